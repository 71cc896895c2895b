"""Tariffs as practice prices them: the NDRC peak:valley rule, and moving a tariff within floors.

**The rule.** The NDRC notice on further improving the time-of-use electricity price mechanism
(July 2021) asks that the peak:valley price ratio be at least 4:1 where the system's peak-valley
difference exceeded 40 % (last year or expected this year), and at least 3:1 elsewhere
(parameters ``ndrc_peak_valley_ratio``, ``ndrc_peak_valley_ratio_large_gap`` and
``ndrc_large_gap_share``). It governs the *electricity* price, so evgrid checks the ratio of the
dearest band's energy price to the cheapest band's (a service fee on top is the operator's); the
ratio on the whole charging price is reported beside it. :func:`tariff_warnings` gives one line
per season below the rule, and every output that uses a tariff carries them.

**Moving a tariff.** A sweep moves a tariff (:func:`move_tariff`) in one of two ways, and says
which:

* ``spread``: the peak–valley spread of the charging price (what owners answer to, the response
  curve's input). Widening lowers the bands below the dearest, each keeping its place between
  the dearest and the cheapest price, with the energy price never below the floor (parameter
  ``valley_energy_floor_yuan_per_kwh``: valley energy is not given away); what the floor holds
  back is added to the dearest band's energy price. Narrowing raises the lower bands.
* ``ratio``: the peak:valley ratio of the energy price, the NDRC rule's quantity. The dearest
  band's energy price is kept and the cheapest band's becomes ``peak / ratio``; at the floor the
  valley stays there and the peak rises to ``ratio × floor``. Bands in between keep their place.

Service fees never move.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from evgrid.errors import bad_value
from evgrid.incentives.tariffs import BandPrice, Season, Tariff
from evgrid.params import parameter

MODES = ("spread", "ratio")
"""How a sweep moves a tariff (module docstring)."""
_EPS = 1e-12
"""Prices closer than this are equal (round-off, not a model value) [yuan/kWh]."""


def _ends(season: Season) -> tuple[str, str]:
    """The dearest and the cheapest band of a season (by the whole charging price)."""
    totals = {b: p.total_yuan_per_kwh for b, p in season.prices.items()}
    return max(totals, key=lambda b: totals[b]), min(totals, key=lambda b: totals[b])


def season_ratio(season: Season, *, energy_only: bool = True) -> float:
    """Peak:valley ratio of a season: dearest band's price / cheapest band's [-] (1 for one band,
    inf for a free valley).

    Parameters
    ----------
    season
        The season.
    energy_only
        Energy prices only (the NDRC rule's basis), else whole charging prices.
    """
    top, bottom = _ends(season)
    if energy_only:
        hi = season.prices[top].energy_yuan_per_kwh
        lo = season.prices[bottom].energy_yuan_per_kwh
    else:
        hi = season.prices[top].total_yuan_per_kwh
        lo = season.prices[bottom].total_yuan_per_kwh
    if top == bottom:
        return 1.0
    return math.inf if lo <= _EPS else hi / lo


def peak_valley_ratio(tariff: Tariff, *, energy_only: bool = True) -> float:
    """The smallest peak:valley ratio over the tariff's seasons [-] (see :func:`season_ratio`)."""
    return min(season_ratio(s, energy_only=energy_only) for s in tariff.seasons)


def ndrc_ratio(system_gap_share: float | None = None) -> float:
    """The least peak:valley ratio the NDRC rule asks [-]: 4 where the system's peak-valley
    difference exceeds 40 %, else 3 (module docstring).

    Parameters
    ----------
    system_gap_share
        The provincial system's peak-valley difference rate [-]; None when not known (the 3:1
        rule, the warning names the 4:1 case).
    """
    gap = parameter("ndrc_large_gap_share").value
    if system_gap_share is not None:
        share = parameter("ndrc_large_gap_share").check(system_gap_share, "system_gap_share")
        if share > gap:
            return float(parameter("ndrc_peak_valley_ratio_large_gap").value)
    return float(parameter("ndrc_peak_valley_ratio").value)


def tariff_warnings(tariff: Tariff, *, system_gap_share: float | None = None) -> list[str]:
    """One line per season of ``tariff`` whose energy peak:valley ratio is below the NDRC rule.

    Parameters
    ----------
    tariff
        The tariff (bundled or the user's).
    system_gap_share
        The system's peak-valley difference rate [-], if known (:func:`ndrc_ratio`).
    """
    rule = ndrc_ratio(system_gap_share)
    large = parameter("ndrc_peak_valley_ratio_large_gap").value
    gap = parameter("ndrc_large_gap_share").value
    out = []
    for s in tariff.seasons:
        ratio = season_ratio(s)
        if ratio + 1e-9 >= rule:
            continue
        months = "" if len(tariff.seasons) == 1 else f" (months {', '.join(map(str, s.months))})"
        shown = "1 (one price all day)" if ratio == 1.0 else f"{ratio:.2f}:1"
        extra = (
            f"; {large:g}:1 where the system peak-valley difference exceeds {gap:.0%}"
            if system_gap_share is None
            else ""
        )
        out.append(
            f"tariff {tariff.name!r}{months}: peak:valley energy price {shown}, below the NDRC "
            f"rule of at least {rule:g}:1 (NDRC notice on improving time-of-use pricing, July "
            f"2021{extra})"
        )
    return out


def floor_price(floor_yuan_per_kwh: float | None = None) -> float:
    """The least energy price a sweep may set [yuan/kWh] (parameter
    ``valley_energy_floor_yuan_per_kwh``)."""
    return float(parameter("valley_energy_floor_yuan_per_kwh").resolve(floor_yuan_per_kwh, "floor"))


def _move_spread(season: Season, spread: float, floor: float) -> Season:
    top_band, _ = _ends(season)
    top = season.top_yuan_per_kwh
    old = season.spread_yuan_per_kwh
    if old <= _EPS:
        if spread <= _EPS:
            return season
        raise bad_value("spread", spread, "0 for a tariff with one price band [yuan/kWh]")
    prices: dict[str, BandPrice] = {}
    for band, price in season.prices.items():
        target = top - spread * (top - price.total_yuan_per_kwh) / old
        energy = target - price.service_yuan_per_kwh
        low = min(floor, price.energy_yuan_per_kwh)  # a band already below the floor stays
        prices[band] = BandPrice(max(energy, low), price.service_yuan_per_kwh)
    bottom = min(p.total_yuan_per_kwh for p in prices.values())
    short = spread - (top - bottom)
    if short > _EPS:  # the floor held the valley back: raise the dearest band
        p = prices[top_band]
        prices[top_band] = BandPrice(p.energy_yuan_per_kwh + short, p.service_yuan_per_kwh)
    return replace(season, prices=prices)


def _move_ratio(season: Season, ratio: float, floor: float) -> Season:
    top_band, bottom_band = _ends(season)
    if top_band == bottom_band:
        raise bad_value("ratio", ratio, "a tariff with at least two price bands")
    hi = season.prices[top_band].energy_yuan_per_kwh
    lo = season.prices[bottom_band].energy_yuan_per_kwh
    new_lo = hi / ratio
    new_hi = hi
    if new_lo < floor:
        new_lo = floor
        new_hi = ratio * floor
    prices: dict[str, BandPrice] = {}
    for band, price in season.prices.items():
        place = 0.0 if hi - lo <= _EPS else (price.energy_yuan_per_kwh - lo) / (hi - lo)
        energy = new_lo + place * (new_hi - new_lo)
        prices[band] = BandPrice(energy, price.service_yuan_per_kwh)
    return replace(season, prices=prices)


def move_tariff(
    tariff: Tariff, value: float, *, mode: str = "spread", floor_yuan_per_kwh: float | None = None
) -> Tariff:
    """``tariff`` moved to a spread or an energy peak:valley ratio (module docstring).

    The moved tariff keeps the original's reference price (what owners paid before time of use)
    when it is one price all year; a seasonal tariff without one compares with the original's
    seasons (``tariff.reference(i)``), as the sweeps do.

    Parameters
    ----------
    tariff
        The tariff.
    value
        The spread [yuan/kWh] (mode ``spread``, >= 0) or the ratio [-] (mode ``ratio``, >= 1).
    mode
        ``spread`` or ``ratio``.
    floor_yuan_per_kwh
        Least energy price [yuan/kWh]; default the parameter ``valley_energy_floor_yuan_per_kwh``.

    Raises
    ------
    InputError
        An unknown mode, a value out of range, or a one-band tariff asked for a spread or ratio.
    """
    if mode not in MODES:
        raise bad_value("mode", mode, "one of " + ", ".join(MODES))
    floor = floor_price(floor_yuan_per_kwh)
    x = float(value)
    if mode == "spread":
        if not (math.isfinite(x) and x >= 0):
            raise bad_value("spread", value, "a finite number >= 0 [yuan/kWh]")
        seasons = tuple(_move_spread(s, x, floor) for s in tariff.seasons)
    else:
        if not (math.isfinite(x) and x >= 1):
            raise bad_value("ratio", value, "a finite number >= 1 [-]")
        seasons = tuple(_move_ratio(s, x, floor) for s in tariff.seasons)
    refs = {tariff.reference(i) for i in range(len(tariff.seasons))}
    reference = tariff.reference_yuan_per_kwh
    if reference is None and len(refs) == 1:
        reference = refs.pop()
    return replace(tariff, seasons=seasons, reference_yuan_per_kwh=reference)


def band_prices(tariff: Tariff) -> dict[str, float]:
    """Season-weighted dearest and cheapest prices of a tariff [yuan/kWh]: ``peak_price``,
    ``valley_price`` (whole charging price), ``valley_energy`` (energy only)."""
    w = tariff.month_weights()
    peak, valley, energy = [], [], []
    for s in tariff.seasons:
        top, bottom = _ends(s)
        peak.append(s.prices[top].total_yuan_per_kwh)
        valley.append(s.prices[bottom].total_yuan_per_kwh)
        energy.append(s.prices[bottom].energy_yuan_per_kwh)
    return {
        "peak_price": float(np.dot(w, peak)),
        "valley_price": float(np.dot(w, valley)),
        "valley_energy": float(np.dot(w, energy)),
    }
