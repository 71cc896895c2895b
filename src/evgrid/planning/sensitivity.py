"""What moves the answer: the recommended pile ratio with each input set low and high.

A planner's answer rests on inputs nobody knows exactly. :func:`hosting_sensitivity` reruns the
time-series tier (the tier the index tier's design demand comes from) with one input at a time
set to the ends of a plausible range, everything else on the basis, the same seed and days, and
ranks the inputs by how far they move the recommended pile ratio:

* ``behaviour``: the report's own behaviour (``report`` preset) and measured Dutch home charging
  (``elaadnl``) in place of the basis's;
* ``plug-in factor``: 50 % and 90 % of cars charging on a given day (the basis: 70 %);
* ``pile power``: every pile 3.5 kW, or the report's AC mix (3.5 and 7 kW), in place of 7 kW;
* ``power factors``: regular load and piles at 0.90 / 0.95, or both at 1 (the report's);
* ``load growth``: the regular load five years on at 2 % a year (× 1.104), or as measured;
* ``season``: one typical day all year in place of the seasonal days;
* ``ambient`` (thermal criteria only): 35 °C all year, or the basis's climate.

The rows are ``{"input", "low", "high", "base", "low_setting", "high_setting"}`` with ``low`` /
``high`` the recommended pile ratio at the two settings [-], sorted by ``|high - low|``
(largest first). A tornado chart: :func:`evgrid.report.figures.tornado_figure`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Discrete
from evgrid.params import parameter

GROWTH_YEARS = 5
"""Years of load growth the ``load growth`` input looks ahead [year]."""

GROWTH_RATE = 0.02
"""Yearly growth of the regular load at the high end of the ``load growth`` input [1/year]."""

PLUG_IN_FACTORS = (0.5, 0.9)
"""Daily plug-in factors at the two ends of the ``plug-in factor`` input [-]."""

LOW_POWER_FACTORS = (0.90, 0.95)
"""Regular load's and piles' power factors at the low end of the ``power factors`` input [-]."""

HOT_AMBIENT_C = 35.0
"""Ambient all year at one end of the ``ambient`` input (a Sichuan summer afternoon) [°C]."""


def plug_in_intervals(factor: float) -> Discrete:
    """Charge intervals (1 and 2 days) whose daily plug-in factor is ``factor`` in 0.5 to 1.

    A share ``2 f - 1`` of cars charges every day, the rest every second day.
    """
    daily = float(np.clip(2.0 * factor - 1.0, 0.0, 1.0))
    return Discrete(np.array([1.0, 2.0]), np.array([daily, 1.0 - daily]))


def _variants(site: Any, basis: Any, criterion: str) -> dict[str, tuple[tuple[str, Any], ...]]:
    """Each input's two settings: ``(label, hosting keyword arguments)``."""
    from evgrid.planning.assumptions import ResidentialAssumptions
    from evgrid.planning.basis import site_transformer
    from evgrid.planning.index import regular_load

    own = Behaviour.load(basis.behaviour(site.kind))
    out: dict[str, tuple[tuple[str, Any], ...]] = {}
    if site.kind == "residential":
        out["behaviour"] = (
            ("report", {"behaviour": "report"}),
            ("elaadnl", {"behaviour": "elaadnl"}),
        )
    out["plug-in factor"] = tuple(
        (
            f"{f:.0%}",
            {"behaviour": dataclasses.replace(own, charge_interval_days=plug_in_intervals(f))},
        )
        for f in PLUG_IN_FACTORS
    )
    ac_mix = Behaviour.preset("report").charger_power_kw
    slow = Discrete.constant(3.5)
    out["pile power"] = (
        ("3.5 kW", {"behaviour": dataclasses.replace(own, charger_power_kw=slow)}),
        ("3.5/7 kW mix", {"behaviour": dataclasses.replace(own, charger_power_kw=ac_mix)}),
    )
    low_pf = site_transformer(
        site, basis, power_factor=LOW_POWER_FACTORS[0], ev_power_factor=LOW_POWER_FACTORS[1]
    )
    unit_pf = site_transformer(site, basis, power_factor=1.0, ev_power_factor=1.0)
    out["power factors"] = (
        (f"{LOW_POWER_FACTORS[0]:g}/{LOW_POWER_FACTORS[1]:g}", {"transformer": low_pf}),
        ("1/1", {"transformer": unit_pf}),
    )
    if site.kind == "residential":
        reg = regular_load(site, ResidentialAssumptions())
        grown = (1.0 + GROWTH_RATE) ** GROWTH_YEARS
        bigger = dataclasses.replace(
            site,
            regular_peak_kw=reg.peak_kw * grown,
            regular_valley_kw=reg.valley_kw * grown,
            load_curve=None,
        )
        out["load growth"] = (
            (f"{GROWTH_RATE:.0%}/year × {GROWTH_YEARS}", {"site": bigger}),
            ("none", {}),
        )
        flat = dataclasses.replace(basis, base_load="typical-day")
        seasonal = dataclasses.replace(basis, base_load="seasonal")
        out["season"] = (("typical day", {"basis": flat}), ("seasonal", {"basis": seasonal}))
    if criterion != "loading":
        hot = dataclasses.replace(site, ambient_c=HOT_AMBIENT_C, climate=None)
        out["ambient"] = ((f"{HOT_AMBIENT_C:g} °C", {"site": hot}), ("climate", {}))
    return out


def hosting_sensitivity(
    site: Any,
    *,
    strategy: str = "uncontrolled",
    basis: Any = None,
    days: int | None = None,
    rng: Any = None,
    criterion: str = "loading",
    limit: float | None = None,
    participation: float = 1.0,
    inputs: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Mapping[str, Any], ...]:
    """The recommended pile ratio with each input low and high, ranked by effect.

    Parameters
    ----------
    site
        The site.
    strategy, participation, criterion, limit
        As :func:`evgrid.planning.hosting.hosting`.
    basis
        The design basis (default the parameter ``basis``).
    days
        Monte Carlo days of every run [day]; default the parameter ``sensitivity_days``.
    rng
        Seed (default the parameter ``seed``): every run draws the same cars but for the input
        that changes them.
    inputs
        The inputs to vary; default all that apply (module docstring).
    progress
        Called with the input's name before its two runs.

    Returns
    -------
    tuple of dict
        ``{"input", "low", "high", "base", "low_setting", "high_setting"}`` per input [-],
        largest ``|high - low|`` first.
    """
    from evgrid.planning.basis import load_basis
    from evgrid.planning.hosting import hosting

    chosen = load_basis(basis)
    n_days = parameter("sensitivity_days").resolve(days, "days")
    seed = parameter("seed").resolve(rng, "seed") if not hasattr(rng, "spawn") else rng
    common = {
        "method": "timeseries",
        "strategy": strategy,
        "participation": participation,
        "criterion": criterion,
        "limit": limit,
        "days": n_days,
        "rng": seed,
    }

    def answer(**change: Any) -> float:
        where = change.pop("site", site)
        options = {"basis": chosen, "network": False, **common, **change}  # the transformer
        return float(hosting(where, **options).recommended_pile_ratio)

    base = answer()
    rows = []
    for name, settings in _variants(site, chosen, criterion).items():
        if inputs is not None and name not in inputs:
            continue
        if progress is not None:
            progress(name)
        (low_label, low_change), (high_label, high_change) = settings
        low = answer(**low_change) if low_change else base
        high = answer(**high_change) if high_change else base
        rows.append(
            {
                "input": name,
                "low": low,
                "high": high,
                "base": base,
                "low_setting": low_label,
                "high_setting": high_label,
            }
        )
    rows.sort(key=lambda r: -_effect(r))
    return tuple(rows)


def _effect(row: Mapping[str, Any]) -> float:
    """How far an input moves the answer: the widest of its two ends and the base [-]."""
    low, high, base = row["low"], row["high"], row["base"]
    return float(max(abs(high - low), abs(high - base), abs(low - base)))
