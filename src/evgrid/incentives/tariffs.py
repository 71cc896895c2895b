"""Charging tariffs: price = energy price + service fee, in bands by time of day (and season).

The report proposes a time-of-use charging price (report section 5.2: the price includes the
energy price and the service fee; peak, flat and valley bands; section 6: peak 08:00–23:00,
valley 23:00–08:00, a spread of at least 0.3 yuan/kWh). A :class:`Tariff` holds one or more
:class:`Season` s; a season holds the price of each band and the periods of the day that belong
to each band. Bundled: the report's proposal (:func:`report_tariff`, from the parameter table)
and published tariffs in ``evgrid/data/incentives/tariffs/`` (their source and date are fields
of the file; ``evgrid/data/SOURCES.md`` says what was checked). A user tariff is a YAML or JSON
document of the same form (:func:`load_tariff`)::

    name: My community, time of use
    source: operator's price list
    date: "2024-05-01"
    reference_yuan_per_kwh: 1.0     # optional: the price without time of use
    bands:
      peak: {energy_yuan_per_kwh: 0.52, service_yuan_per_kwh: 0.5}
      valley: {energy_yuan_per_kwh: 0.22, service_yuan_per_kwh: 0.5}
    periods:
      - {start: "08:00", end: "23:00", band: peak}
      - {start: "23:00", end: "08:00", band: valley}

or, with seasons, ``seasons:`` a list of ``{months: [6, 7, 8], bands: ..., periods: ...}`` whose
months cover 1–12 once. Periods give ``start`` and ``end`` as ``"HH:MM"`` or hours; a period
with ``end`` before ``start`` runs past midnight; the periods of a season cover the day once.

A slot that straddles two bands takes the time-weighted mean price (its power is constant over
the slot), so energy × price summed over slots is the cost to floating-point precision.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.io import parse_document, read_document
from evgrid.params import parameter
from evgrid.timegrid import HOURS_PER_DAY, FloatArray, TimeGrid

BANDS = ("critical", "peak", "flat", "valley")
"""Price bands, dearest first: critical peak (尖峰), peak, flat, valley."""

MINUTES_PER_DAY = 1440
"""Resolution of the band periods: whole minutes of the day [-]."""

MONTHS = tuple(range(1, 13))
PRICE_ALLOWED = "a finite number >= 0 [yuan/kWh]"
_HHMM = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_ROUND = 1e-12
"""Prices closer than this are equal (floating-point noise, not a model value) [yuan/kWh]."""


@dataclass(frozen=True)
class BandPrice:
    """The charging price of one band.

    Parameters
    ----------
    energy_yuan_per_kwh
        Energy (electricity) price [yuan/kWh].
    service_yuan_per_kwh
        Charging service fee [yuan/kWh].
    """

    energy_yuan_per_kwh: float
    service_yuan_per_kwh: float = 0.0

    @property
    def total_yuan_per_kwh(self) -> float:
        """The charging price: energy price + service fee [yuan/kWh]."""
        return self.energy_yuan_per_kwh + self.service_yuan_per_kwh


@dataclass(frozen=True)
class Period:
    """Part of the day in one band: ``[start_h, end_h)``, past midnight when ``end_h <= start_h``.

    Parameters
    ----------
    start_h, end_h
        Hours of the day, whole minutes, in [0, 24] [h].
    band
        One of :data:`BANDS`.
    """

    start_h: float
    end_h: float
    band: str

    def minutes(self) -> np.ndarray:
        """Minutes of the day ``0 .. 1439`` the period covers."""
        a = round(self.start_h * 60) % MINUTES_PER_DAY
        b = round(self.end_h * 60) % MINUTES_PER_DAY
        length = (b - a) % MINUTES_PER_DAY or MINUTES_PER_DAY
        return (a + np.arange(length)) % MINUTES_PER_DAY


@dataclass(frozen=True)
class Season:
    """Band prices and periods that hold in some months.

    Parameters
    ----------
    months
        Months of the year (1–12) the season holds in.
    prices
        Price of each band used, band name -> :class:`BandPrice`.
    periods
        The day's periods; together they cover the day once.
    """

    months: tuple[int, ...]
    prices: Mapping[str, BandPrice]
    periods: tuple[Period, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))

    @functools.cached_property
    def minute_band(self) -> np.ndarray:
        """Band index (into :data:`BANDS`) of every minute of the day, ``(1440,)``."""
        codes = np.full(MINUTES_PER_DAY, -1, dtype=np.int64)
        for p in self.periods:
            codes[p.minutes()] = BANDS.index(p.band)
        return codes

    def band_shares(self, grid: TimeGrid) -> FloatArray:
        """Share of each slot in each band, ``(n_slots, len(BANDS))`` [-]; rows sum to 1.

        Parameters
        ----------
        grid
            The slot grid; the day's shares repeat over its days.
        """
        onehot = self.minute_band[:, None] == np.arange(len(BANDS))[None, :]
        cum = np.vstack([np.zeros(len(BANDS)), np.cumsum(onehot, axis=0)])  # minutes so far
        edges_min = np.arange(grid.slots_per_day + 1) * grid.slot_min
        minute_axis = np.arange(MINUTES_PER_DAY + 1, dtype=np.float64)
        covered = np.column_stack(
            [np.interp(edges_min, minute_axis, cum[:, b]) for b in range(len(BANDS))]
        )
        day = np.diff(covered, axis=0) / grid.slot_min
        return np.tile(day, (int(grid.n_days), 1))

    def band_totals(self) -> FloatArray:
        """Charging price of each band of :data:`BANDS`, NaN where unused [yuan/kWh]."""
        return np.array(
            [self.prices[b].total_yuan_per_kwh if b in self.prices else np.nan for b in BANDS]
        )

    def price_per_slot(self, grid: TimeGrid) -> FloatArray:
        """Charging price of each slot, ``(n_slots,)`` [yuan/kWh] (time-weighted in a slot that
        straddles two bands)."""
        return self.band_shares(grid) @ np.nan_to_num(self.band_totals())

    @property
    def spread_yuan_per_kwh(self) -> float:
        """Dearest band price minus cheapest [yuan/kWh]; 0 for a flat price."""
        totals = self.band_totals()
        return float(np.nanmax(totals) - np.nanmin(totals))

    @property
    def top_yuan_per_kwh(self) -> float:
        """The dearest band's price [yuan/kWh]."""
        return float(np.nanmax(self.band_totals()))

    def valley_window_h(self) -> tuple[float, float]:
        """Start and end of the longest period of the cheapest band [h of day, 0..24)."""
        cheapest = BANDS[int(np.nanargmin(self.band_totals()))]
        longest = max(
            (p for p in self.periods if p.band == cheapest), key=lambda p: p.minutes().size
        )
        return longest.start_h % HOURS_PER_DAY, longest.end_h % HOURS_PER_DAY

    def with_spread(self, spread_yuan_per_kwh: float) -> Season:
        """The same season with the dearest price kept and the others moved to a new spread.

        Every band keeps its place between the dearest and the cheapest price:
        ``p_b = top - spread * (top - p_b) / (top - bottom)``. The change comes off the energy
        price first, then off the service fee.

        Parameters
        ----------
        spread_yuan_per_kwh
            The new spread, in [0, dearest price] [yuan/kWh].

        Raises
        ------
        InputError
            A spread outside [0, dearest price], or a spread > 0 for a one-band tariff.
        """
        top, old = self.top_yuan_per_kwh, self.spread_yuan_per_kwh
        s = float(spread_yuan_per_kwh)
        if not (math.isfinite(s) and 0.0 <= s <= top + _ROUND):
            raise bad_value("spread", s, f"a number in [0, {top:g}] (the dearest price) [yuan/kWh]")
        if old <= _ROUND:
            if s <= _ROUND:
                return self
            raise bad_value("spread", s, "0 for a tariff with one price band [yuan/kWh]")
        prices = {}
        for band, price in self.prices.items():
            cut = s * (top - price.total_yuan_per_kwh) / old - (
                top - price.total_yuan_per_kwh
            )  # > 0: the price falls
            energy = price.energy_yuan_per_kwh - cut
            service = price.service_yuan_per_kwh + min(energy, 0.0)
            prices[band] = BandPrice(max(energy, 0.0), max(service, 0.0))
        return replace(self, prices=prices)


@dataclass(frozen=True)
class Tariff:
    """A charging tariff: one or more seasons, with its source.

    Parameters
    ----------
    name
        Label.
    seasons
        Seasons whose months cover the year once (one season: all year).
    source, date, note
        Where the prices come from, the date of the schedule, and what was checked.
    reference_yuan_per_kwh
        The price owners paid without time of use [yuan/kWh]; default the dearest band's
        price (a time-of-use tariff that only lowers prices).
    """

    name: str
    seasons: tuple[Season, ...]
    source: str = ""
    date: str = ""
    note: str = ""
    reference_yuan_per_kwh: float | None = None

    def season(self, month: int) -> Season:
        """The season holding ``month`` (1–12)."""
        for s in self.seasons:
            if month in s.months:
                return s
        raise bad_value("month", month, "a whole number in [1, 12]")

    @property
    def spreads_yuan_per_kwh(self) -> tuple[float, ...]:
        """Peak–valley spread of each season [yuan/kWh]."""
        return tuple(s.spread_yuan_per_kwh for s in self.seasons)

    def with_spread(self, spread_yuan_per_kwh: float) -> Tariff:
        """Every season moved to the same spread (:meth:`Season.with_spread`), the dearest price
        and the reference price kept."""
        seasons = tuple(s.with_spread(spread_yuan_per_kwh) for s in self.seasons)
        return replace(self, seasons=seasons)

    def reference(self, index: int) -> float:
        """Reference price of season ``index`` [yuan/kWh] (see the class parameters)."""
        if self.reference_yuan_per_kwh is not None:
            return self.reference_yuan_per_kwh
        return self.seasons[index].top_yuan_per_kwh

    def month_weights(self) -> FloatArray:
        """Share of the year of each season, months / 12 [-]."""
        return np.array([len(s.months) / 12.0 for s in self.seasons])

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON and reports."""
        return {
            "name": self.name,
            "source": self.source,
            "date": self.date,
            "note": self.note,
            "reference_yuan_per_kwh": self.reference_yuan_per_kwh,
            "seasons": [
                {
                    "months": list(s.months),
                    "spread_yuan_per_kwh": s.spread_yuan_per_kwh,
                    "bands": {
                        b: {
                            "energy_yuan_per_kwh": p.energy_yuan_per_kwh,
                            "service_yuan_per_kwh": p.service_yuan_per_kwh,
                            "total_yuan_per_kwh": p.total_yuan_per_kwh,
                        }
                        for b, p in s.prices.items()
                    },
                    "periods": [
                        {"start_h": p.start_h, "end_h": p.end_h, "band": p.band} for p in s.periods
                    ],
                }
                for s in self.seasons
            ],
        }


# --- the report's proposal ------------------------------------------------------------------
def report_tariff(spread_yuan_per_kwh: float | None = None) -> Tariff:
    """The report's proposed residential charging tariff (report section 6).

    Peak 08:00–23:00 and valley 23:00–08:00 (parameters ``tou_valley_start_h`` and
    ``tou_valley_end_h``); the peak price is the parameters ``report_tariff_energy_yuan_per_kwh``
    + ``report_tariff_service_yuan_per_kwh``; the valley is cheaper by the spread.

    Parameters
    ----------
    spread_yuan_per_kwh
        Peak–valley spread [yuan/kWh]; default the report's 0.3 (parameter
        ``report_tariff_spread_yuan_per_kwh``).
    """
    start = parameter("tou_valley_start_h").value
    end = parameter("tou_valley_end_h").value
    peak = BandPrice(
        parameter("report_tariff_energy_yuan_per_kwh").value,
        parameter("report_tariff_service_yuan_per_kwh").value,
    )
    flat = Season(
        months=MONTHS,
        prices={"peak": peak, "valley": peak},
        periods=(Period(end, start, "peak"), Period(start, end, "valley")),
    )
    spread = parameter("report_tariff_spread_yuan_per_kwh").resolve(spread_yuan_per_kwh, "spread")
    season = _valley_below(flat, spread)
    return Tariff(
        name="report proposal",
        seasons=(season,),
        source="report section 6 (bands); prices: the parameter table",
        note="peak 08:00-23:00, valley 23:00-08:00",
    )


def _valley_below(season: Season, spread: float) -> Season:
    """A two-band season whose valley is ``spread`` below its peak (energy price first)."""
    peak = season.prices["peak"]
    if spread > peak.total_yuan_per_kwh:
        raise bad_value(
            "spread", spread, f"a number in [0, {peak.total_yuan_per_kwh:g}] [yuan/kWh]"
        )
    energy = peak.energy_yuan_per_kwh - spread
    valley = BandPrice(max(energy, 0.0), peak.service_yuan_per_kwh + min(energy, 0.0))
    return replace(season, prices={"peak": peak, "valley": valley})


# --- documents -------------------------------------------------------------------------------
_TARIFF_KEYS = {"name", "source", "date", "note", "reference_yuan_per_kwh", "seasons"}
_SEASON_KEYS = {"months", "bands", "periods"}


def _mapping(value: Any, where: str, allowed: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise bad_value(where, value, allowed)
    return value


def _keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise bad_value(
                f"{where}: {key}", data[key], "no such field; fields: " + ", ".join(sorted(allowed))
            )


def _price(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_value(where, value, PRICE_ALLOWED)
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise bad_value(where, value, PRICE_ALLOWED)
    return number


def _hour(value: Any, where: str) -> float:
    allowed = "a time of day, 'HH:MM' in 00:00-24:00 or hours in [0, 24], whole minutes"
    if isinstance(value, str):
        m = _HHMM.match(value.strip())
        if not m or int(m.group(2)) >= 60:
            raise bad_value(where, value, allowed)
        hours = int(m.group(1)) + int(m.group(2)) / 60.0
    elif isinstance(value, int | float) and not isinstance(value, bool):
        hours = float(value)
    else:
        raise bad_value(where, value, allowed)
    if not (math.isfinite(hours) and 0.0 <= hours <= HOURS_PER_DAY):
        raise bad_value(where, value, allowed)
    if abs(hours * 60 - round(hours * 60)) > 1e-6:
        raise bad_value(where, value, allowed)
    return hours


def _bands(value: Any, where: str) -> dict[str, BandPrice]:
    data = _mapping(value, where, "a mapping band -> {energy_yuan_per_kwh, service_yuan_per_kwh}")
    if not data:
        raise bad_value(where, value, "at least one band: " + ", ".join(BANDS))
    out = {}
    for band, price in data.items():
        if band not in BANDS:
            raise bad_value(f"{where}: {band}", band, "one of " + ", ".join(BANDS))
        fields = _mapping(price, f"{where}: {band}", "{energy_yuan_per_kwh, service_yuan_per_kwh}")
        _keys(fields, {"energy_yuan_per_kwh", "service_yuan_per_kwh"}, f"{where}: {band}")
        if "energy_yuan_per_kwh" not in fields:
            raise bad_value(f"{where}: {band}: energy_yuan_per_kwh", "missing", PRICE_ALLOWED)
        here = f"{where}: {band}: "
        out[band] = BandPrice(
            _price(fields["energy_yuan_per_kwh"], here + "energy_yuan_per_kwh"),
            _price(fields.get("service_yuan_per_kwh", 0.0), here + "service_yuan_per_kwh"),
        )
    return out


def _periods(value: Any, bands: Mapping[str, BandPrice], where: str) -> tuple[Period, ...]:
    if not isinstance(value, list) or not value:
        raise bad_value(where, value, "a list of {start, end, band}")
    periods = []
    for i, item in enumerate(value, start=1):
        here = f"{where} entry {i}"
        fields = _mapping(item, here, "{start, end, band}")
        _keys(fields, {"start", "end", "band"}, here)
        for key in ("start", "end", "band"):
            if key not in fields:
                raise bad_value(f"{here}: {key}", "missing", "start, end and band")
        band = fields["band"]
        if band not in bands:
            raise bad_value(f"{here}: band", band, "a band priced in bands: " + ", ".join(bands))
        periods.append(
            Period(
                _hour(fields["start"], f"{here}: start"), _hour(fields["end"], f"{here}: end"), band
            )
        )
    counts = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
    for p in periods:
        np.add.at(counts, p.minutes(), 1)
    if np.any(counts != 1):
        minute = int(np.flatnonzero(counts != 1)[0])
        what = "no period" if counts[minute] == 0 else "two periods"
        raise bad_value(
            where,
            f"{what} at {minute // 60:02d}:{minute % 60:02d}",
            "periods that cover the day once",
        )
    unused = sorted(set(bands) - {p.band for p in periods})
    if unused:
        raise bad_value(f"{where}", f"band {unused[0]} in no period", "every priced band used")
    return tuple(periods)


def _season(data: Mapping[str, Any], months: tuple[int, ...], where: str) -> Season:
    for key in ("bands", "periods"):
        if key not in data:
            raise bad_value(f"{where}: {key}", "missing", "bands and periods")
    bands = _bands(data["bands"], f"{where}: bands")
    return Season(months, bands, _periods(data["periods"], bands, f"{where}: periods"))


def _months(value: Any, where: str) -> tuple[int, ...]:
    allowed = "a list of months, whole numbers in [1, 12]"
    if not isinstance(value, list) or not value:
        raise bad_value(where, value, allowed)
    for m in value:
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
            raise bad_value(where, m, allowed)
    return tuple(value)


def parse_tariff(data: Any, where: str = "tariff") -> Tariff:
    """Validate a tariff document already read (see the module docstring for its form).

    Parameters
    ----------
    data
        The document's mapping.
    where
        Name in messages (the file name).

    Raises
    ------
    InputError
        One line naming the field, the value and what is allowed.
    """
    doc = _mapping(data, where, "a tariff document (a mapping with name, bands, periods)")
    single = {"bands", "periods"}
    _keys(doc, _TARIFF_KEYS | single, where)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_value(f"{where}: name", name, "a text")
    texts = {}
    for key in ("source", "date", "note"):
        value = doc.get(key, "")
        if not isinstance(value, str):
            raise bad_value(f"{where}: {key}", value, 'a text (quote a date: "2024-05-01")')
        texts[key] = value
    reference = doc.get("reference_yuan_per_kwh")
    if reference is not None:
        reference = _price(reference, f"{where}: reference_yuan_per_kwh")
    if "seasons" in doc:
        if single & set(doc):
            raise bad_value(f"{where}: seasons", "seasons and bands", "seasons or bands, not both")
        items = doc["seasons"]
        if not isinstance(items, list) or not items:
            raise bad_value(f"{where}: seasons", items, "a list of {months, bands, periods}")
        seasons = []
        for i, item in enumerate(items, start=1):
            here = f"{where}: seasons entry {i}"
            fields = _mapping(item, here, "{months, bands, periods}")
            _keys(fields, _SEASON_KEYS, here)
            if "months" not in fields:
                raise bad_value(f"{here}: months", "missing", "a list of months")
            seasons.append(_season(fields, _months(fields["months"], f"{here}: months"), here))
        covered = sorted(m for s in seasons for m in s.months)
        if covered != list(MONTHS):
            raise bad_value(f"{where}: seasons", covered, "months 1-12, each in one season")
    else:
        seasons = [_season(doc, MONTHS, where)]
    return Tariff(name.strip(), tuple(seasons), reference_yuan_per_kwh=reference, **texts)


def bundled_tariff_names() -> tuple[str, ...]:
    """Names of the bundled tariffs: ``report`` and the files of ``data/incentives/tariffs``."""
    folder = resources.files("evgrid") / "data" / "incentives" / "tariffs"
    files = sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    return ("report", *files)


def load_tariff(source: str | Path | Tariff | None = None) -> Tariff:
    """A tariff by bundled name, from a YAML or JSON file, or as given.

    Parameters
    ----------
    source
        A :class:`Tariff`, a bundled name (:func:`bundled_tariff_names`), a file path, or None
        for the report's proposal (:func:`report_tariff`).

    Raises
    ------
    InputError
        An unknown name, an unreadable file or a bad document.
    """
    if source is None or source == "report":
        return report_tariff()
    if isinstance(source, Tariff):
        return source
    text = str(source)
    if text in bundled_tariff_names():
        file = resources.files("evgrid") / "data" / "incentives" / "tariffs" / f"{text}.yaml"
        return parse_tariff(parse_document(file.read_text("utf-8"), text), text)
    if not Path(text).suffix:
        raise bad_value(
            "tariff",
            text,
            "a tariff file (YAML or JSON) or one of " + ", ".join(bundled_tariff_names()),
        )
    return parse_tariff(read_document(text, "tariff document (YAML or JSON)"), text)


def season_items(tariff: Tariff) -> Sequence[tuple[int, Season, float]]:
    """``(index, season, share of the year)`` of every season of a tariff."""
    weights = tariff.month_weights()
    return [(i, s, float(weights[i])) for i, s in enumerate(tariff.seasons)]
