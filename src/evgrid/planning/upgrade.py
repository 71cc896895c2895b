"""Upgrade timeline: the first failing year, the standard size then needed, its cost and value.

For every site and charging strategy, given the criterion's pass/fail and the load by year
(:mod:`evgrid.planning.years` or the time-series tier), this module finds

* the **upgrade year**: the first evaluated year whose loading (or IEC 60076-7 hot-spot / ageing
  metric) is above the limit;
* the **reinforcement** that holds from the upgrade year to the scenario's last year, as practice
  builds it (:func:`practice_options`): units of the standard 10/0.4 kV series
  (``data/transformer_ratings.csv``: GB/T 6451-2015, GB 20052-2020) added beside the existing one
  — a box substation, or a dry-type or oil-immersed unit in the room, each within the rating its
  enclosure takes — or a dedicated charging transformer with the piles on their own meter, the
  cheapest that holds; without the existing capacity, the earlier model (the whole capacity
  replaced by standard units, :func:`standard_size`);
* the **cost**, equipment and installation apart: from a user's cost per kVA or cost table, or
  the bundled ILLUSTRATIVE table (``data/upgrade_costs.csv``, marked ``illustrative`` wherever
  it shows: not a market price); and its **present value** at the scenario's base year;
* what **orderly charging defers**: the upgrade year and present value against uncontrolled
  charging.

All functions are vectorised over sites (numpy arrays), no I/O except :func:`read_cost_table`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.planning.costs import (
    UNIT_KINDS,
    UNIT_LIMITS,
    CostModel,
    UnitCost,
    illustrative_costs,
    read_cost_table,
)
from evgrid.timegrid import FloatArray, IntArray

__all__ = [
    "UNIT_KINDS",
    "UNIT_LIMITS",
    "CostModel",
    "UnitCost",
    "illustrative_costs",
    "read_cost_table",
]

NO_YEAR = -1
"""Upgrade year of a site that does not fail within the scenario's years [-]."""


@functools.cache
def standard_ratings_kva() -> FloatArray:
    """The standard 10/0.4 kV distribution-transformer ratings, increasing [kVA].

    From ``evgrid/data/transformer_ratings.csv`` (GB/T 6451-2015; GB 20052-2020).
    """
    text = (resources.files("evgrid") / "data" / "transformer_ratings.csv").read_text("utf-8")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    values = np.array([float(r) for r in rows[1:]])
    values.setflags(write=False)
    return values


def standard_size(required_kva: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """The standard transformer(s) that cover a required rating.

    Parameters
    ----------
    required_kva
        Required rating, any shape; NaN or <= 0 for none [kVA].

    Returns
    -------
    tuple
        Unit rating [kVA] and number of equal parallel units [-], both of the input's shape:
        the smallest standard rating >= the requirement, or above the largest rating the fewest
        units ``n = ceil(required / largest)`` of the smallest rating with ``n × rating >=
        required``. NaN and 0 where nothing is required.
    """
    ratings = standard_ratings_kva()
    need = np.asarray(required_kva, dtype=np.float64)
    some = np.isfinite(need) & (need > 0)
    safe = np.where(some, need, 1.0)
    units = np.maximum(np.ceil(safe / ratings[-1] - 1e-12), 1.0)
    per_unit = safe / units
    idx = np.minimum(np.searchsorted(ratings, per_unit - 1e-9, side="left"), ratings.size - 1)
    unit = ratings[idx]
    return np.where(some, unit, np.nan), np.where(some, units, 0).astype(np.int64)


def first_failing(fails: npt.ArrayLike) -> IntArray:
    """First failing year index per site, ``(n_sites, n_years) -> (n_sites,)``; -1 for none."""
    f = np.asarray(fails, dtype=bool)
    idx = np.argmax(f, axis=1)
    return np.where(f.any(axis=1), idx, -1).astype(np.int64)


def horizon_kva(needed_kva: FloatArray, first: IntArray) -> FloatArray:
    """Rating that meets the criterion in every year from the first failing one to the last.

    Parameters
    ----------
    needed_kva
        Rating each year needs, ``(n_sites, n_years)``; NaN where not computed (a passing year
        of the thermal criteria) [kVA]. Under the loading criterion it is the judged load ÷
        (limit × power factor).
    first
        First failing year index per site, -1 for none, ``(n_sites,)`` [-].

    Returns
    -------
    numpy.ndarray
        The largest need over the years from ``first`` on [kVA]; NaN without a failure.
    """
    n_years = needed_kva.shape[1]
    after = np.arange(n_years)[None, :] >= np.where(first < 0, n_years, first)[:, None]
    masked = np.where(after & np.isfinite(needed_kva), needed_kva, -np.inf)
    worst = np.max(masked, axis=1, initial=-np.inf)
    return np.where((first >= 0) & np.isfinite(worst), worst, np.nan)


def present_value(cost: FloatArray, year: FloatArray, base_year: int, rate: float) -> FloatArray:
    """Cost discounted to the base year, ``cost / (1 + rate)^(year - base_year)`` [yuan]."""
    return np.asarray(cost / (1.0 + rate) ** (np.asarray(year) - base_year), dtype=np.float64)


@dataclass(frozen=True)
class Timeline:
    """Upgrade of every site under one strategy, arrays of shape ``(n_sites,)``.

    Parameters
    ----------
    year
        First failing year, or :data:`NO_YEAR` [year].
    required_kva
        Rating needed from then to the last year [kVA] (NaN without an upgrade).
    unit_kva, units
        Standard unit rating [kVA] and parallel units [-] bought.
    cost_yuan, pv_yuan
        Cost and its present value at the base year [yuan]; NaN without a cost model, 0
        without an upgrade.
    option
        How the supply is reinforced (:func:`practice_options`): ``add`` (units beside the
        existing one, on its bus), ``dedicated`` (a charging transformer, the piles on their
        own meter), ``replace`` (the existing capacity replaced, without the site's existing
        rating) or ``""`` without an upgrade, ``(n_sites,)``.
    kind
        ``box``, ``dry``, ``oil`` or ``any`` (a cost without kinds), ``""`` without one.
    equipment_yuan, installation_yuan
        The cost's two parts [yuan]; NaN where the cost model does not split them.
    """

    year: IntArray
    required_kva: FloatArray
    unit_kva: FloatArray
    units: IntArray
    cost_yuan: FloatArray
    pv_yuan: FloatArray
    option: npt.NDArray[np.str_] | None = None
    kind: npt.NDArray[np.str_] | None = None
    equipment_yuan: FloatArray | None = None
    installation_yuan: FloatArray | None = None


def timeline(
    years: npt.ArrayLike,
    fails: npt.ArrayLike,
    needed_kva: FloatArray,
    *,
    cost: CostModel,
    base_year: int,
    discount_rate: float,
    existing_kva: npt.ArrayLike | None = None,
    household_kva: FloatArray | None = None,
    charging_kva: FloatArray | None = None,
) -> Timeline:
    """Upgrade year, reinforcement, cost and present value of every site (one strategy).

    Parameters
    ----------
    years
        Evaluated years, ``(n_years,)`` [year].
    fails
        Whether the criterion fails, ``(n_sites, n_years)``.
    needed_kva
        Rating each year needs, ``(n_sites, n_years)`` [kVA] (:func:`horizon_kva`).
    cost, base_year, discount_rate
        Cost model, year of present values [year] and discount rate [-].
    existing_kva
        The sites' present capacity, ``(n_sites,)`` [kVA]. Given, the reinforcement is the
        cheapest of the practice options (:func:`practice_options`: units added beside the
        existing one, or a dedicated charging transformer); without it, the whole capacity is
        replaced by standard units (:func:`standard_size`, the earlier model).
    household_kva, charging_kva
        The rating the regular load alone and the charging load alone need each year,
        ``(n_sites, n_years)`` [kVA]: a dedicated charging transformer is an option where
        both are given and the existing capacity carries the regular load alone.
    """
    y = np.asarray(years, dtype=np.int64)
    first = first_failing(fails)
    year = np.where(first >= 0, y[np.maximum(first, 0)], NO_YEAR)
    need = horizon_kva(np.asarray(needed_kva, dtype=np.float64), first)
    if existing_kva is None:
        unit, units = standard_size(need)
        price = cost.cost_yuan(unit, units)
        if cost.priced:
            price = np.where(first >= 0, price, 0.0)
        pv = present_value(price, np.where(first >= 0, year, base_year), base_year, discount_rate)
        n = need.shape[0]
        return Timeline(
            year,
            need,
            unit,
            units,
            price,
            pv,
            option=np.where(first >= 0, "replace", "").astype(str),
            kind=np.where(first >= 0, "any", "").astype(str),
            equipment_yuan=np.full(n, np.nan),
            installation_yuan=np.full(n, np.nan),
        )
    household = None if household_kva is None else horizon_kva(household_kva, first)
    charging = None if charging_kva is None else horizon_kva(charging_kva, first)
    chosen = practice_options(
        np.asarray(existing_kva, dtype=np.float64), need, household, charging, cost
    )
    price = np.where(first >= 0, chosen["cost_yuan"], 0.0 if cost.priced else np.nan)
    pv = present_value(price, np.where(first >= 0, year, base_year), base_year, discount_rate)
    return Timeline(
        year,
        need,
        chosen["unit_kva"],
        chosen["units"],
        price,
        pv,
        option=chosen["option"],
        kind=chosen["kind"],
        equipment_yuan=chosen["equipment_yuan"],
        installation_yuan=chosen["installation_yuan"],
    )


def unit_options(cost: CostModel, kinds: tuple[str, ...] = UNIT_KINDS) -> list[tuple[str, float]]:
    """``(kind, rating)`` of every unit an upgrade may add: the standard ratings up to each
    kind's limit (parameters ``box_substation_max_kva``, ``room_dry_max_kva``,
    ``room_oil_max_kva``), those the cost table prices when it has kinds."""
    from evgrid.params import default

    rows = cost.unit_costs()
    ratings = standard_ratings_kva()
    out = []
    for kind in kinds:
        top = float(default(UNIT_LIMITS[kind]))
        for rating in ratings[ratings <= top + 1e-9].tolist():
            if rows is None or any(r.kind == kind and r.rating_kva == rating for r in rows):
                out.append((kind, float(rating)))
    return out


def _unit_price(cost: CostModel, kind: str, rating: float) -> tuple[float, float, float]:
    """Equipment, installation and total cost of one unit [yuan] (NaN parts where unsplit)."""
    rows = cost.unit_costs()
    if rows is not None:
        for r in rows:
            if r.kind == kind and r.rating_kva == rating:
                return r.equipment_yuan, r.installation_yuan, r.equipment_yuan + r.installation_yuan
        return np.nan, np.nan, np.inf
    if cost.per_kva is not None:
        return np.nan, np.nan, rating * cost.per_kva
    if cost.table is not None:
        return np.nan, np.nan, float(cost.table.get(rating, np.inf))
    return np.nan, np.nan, np.nan


def practice_options(
    existing_kva: FloatArray,
    need_kva: FloatArray,
    household_kva: FloatArray | None,
    charging_kva: FloatArray | None,
    cost: CostModel,
) -> dict[str, np.ndarray]:
    """The cheapest reinforcement as practice builds it, per site.

    Options (every unit a standard rating within what its enclosure takes, :func:`unit_options`):

    * ``add``: ``k`` equal units beside the existing one (box substations, at most the
      parameter ``box_max_units``, or dry-type or oil-immersed units in the room, at most
      ``room_spare_units``), with ``existing + k × unit >= need``;
    * ``dedicated``: a charging transformer of ``k`` box units (at most ``box_max_units``)
      carrying the charging load alone (the piles on their own meter), where the existing
      capacity carries the regular load alone: ``k × unit >= charging need`` and ``existing >=
      regular need``;
    * ``new-room`` where neither fits: a new distribution room of dry-type units of the
      largest room rating, as many as the need takes.

    The cheapest option wins, then the fewest units, then the least added capacity; without a
    price, the fewest units, then the least added capacity.

    Parameters
    ----------
    existing_kva, need_kva
        Present capacity and the rating needed through the years, ``(n_sites,)`` [kVA]; NaN
        need: no upgrade.
    household_kva, charging_kva
        Ratings the regular and the charging load alone need, ``(n_sites,)`` [kVA], or None.
    cost
        The cost model.

    Returns
    -------
    dict
        ``option``, ``kind``, ``unit_kva``, ``units``, ``added_kva``, ``equipment_yuan``,
        ``installation_yuan``, ``cost_yuan``, each ``(n_sites,)``.
    """
    existing = np.asarray(existing_kva, dtype=np.float64)
    need = np.asarray(need_kva, dtype=np.float64)
    some = np.isfinite(need)
    deficit = np.where(some, np.maximum(need - existing, 0.0), 0.0)
    cands: list[tuple[str, str, float, np.ndarray]] = []
    from evgrid.params import default

    most = {"box": default("box_max_units"), "dry": default("room_spare_units")}
    most["oil"] = most["dry"]
    for unit_kind, unit_kva in unit_options(cost):
        need_units = np.ceil(deficit / unit_kva - 1e-9)
        fits_units = some & (deficit > 0) & (need_units <= most[unit_kind])
        cands.append(("add", unit_kind, unit_kva, np.where(fits_units, need_units, np.nan)))
    if household_kva is not None and charging_kva is not None:
        fits = np.asarray(household_kva) <= existing * (1 + 1e-9)
        charge = np.asarray(charging_kva, dtype=np.float64)
        for unit_kind, unit_kva in unit_options(cost, ("box",)):
            need_units = np.maximum(np.ceil(charge / unit_kva - 1e-9), 1.0)
            ok = some & (deficit > 0) & fits & np.isfinite(charge)
            ok &= need_units <= most["box"]
            cands.append(("dedicated", unit_kind, unit_kva, np.where(ok, need_units, np.nan)))
    n = existing.size
    room = list(unit_options(cost, ("dry",)))
    if room:  # a new room of the largest dry-type units, where nothing else fits
        kind_new, unit_new = room[-1]
        need_units = np.ceil(deficit / unit_new - 1e-9)
        taken = np.stack([np.isfinite(c[3]) for c in cands], axis=1).any(axis=1)
        ok = some & (deficit > 0) & ~taken
        cands.append(("new-room", kind_new, unit_new, np.where(ok, need_units, np.nan)))
    if not cands:
        raise bad_value("cost table", "no unit", "a unit of a kind and rating an upgrade can add")
    units = np.stack([c[3] for c in cands], axis=1)  # (n_sites, n_candidates)
    rating = np.array([c[2] for c in cands])
    prices = np.array([_unit_price(cost, c[1], c[2]) for c in cands])  # (n_candidates, 3)
    total = units * prices[None, :, 2]
    added = units * rating[None, :]
    unpriced = bool(np.all(np.isnan(prices[:, 2])))
    feasible = np.isfinite(units)
    if not unpriced:
        feasible &= np.isfinite(total)
    keys = [units, added] if unpriced else [total, units, added]
    tied = feasible
    for key in keys:  # lexicographic: cheapest, then fewest units, then least capacity
        k = np.where(tied, key, np.inf)
        tied = tied & (k <= k.min(axis=1, keepdims=True) * (1 + 1e-12))
    best = np.argmax(tied, axis=1)
    has = tied.any(axis=1)
    pick = lambda a: a[np.arange(n), best]  # noqa: E731
    k = np.where(has, pick(units), 0.0)
    option = np.array([cands[b][0] for b in best], dtype=object)
    kind = np.array([cands[b][1] for b in best], dtype=object)
    return {
        "option": np.where(has, option, "").astype(str),
        "kind": np.where(has, kind, "").astype(str),
        "unit_kva": np.where(has, rating[best], np.nan),
        "units": k.astype(np.int64),
        "added_kva": np.where(has, rating[best] * k, np.nan),
        "equipment_yuan": np.where(has, prices[best, 0] * k, np.nan),
        "installation_yuan": np.where(has, prices[best, 1] * k, np.nan),
        "cost_yuan": np.where(has & np.isfinite(prices[best, 2]), prices[best, 2] * k, np.nan),
    }


def deferral(base: Timeline, other: Timeline, last_year: int) -> tuple[FloatArray, FloatArray]:
    """What a strategy defers against ``base`` (uncontrolled): years and present value.

    A site that does not fail within the scenario counts as failing the year after the last one,
    so the deferral is then a lower bound. Returns years ``(n_sites,)`` [year] (NaN where
    ``base`` does not fail either) and the saved present value ``base.pv - other.pv`` [yuan].
    """
    end = last_year + 1
    b = np.where(base.year == NO_YEAR, end, base.year).astype(np.float64)
    o = np.where(other.year == NO_YEAR, end, other.year).astype(np.float64)
    years = np.where(base.year == NO_YEAR, np.nan, o - b)
    return years, base.pv_yuan - other.pv_yuan


def bootstrap_first_years(
    years: npt.ArrayLike,
    metric_days: FloatArray,
    limit: float,
    percentile: float,
    rng: np.random.Generator,
    reps: int = 200,
) -> tuple[int, int]:
    """Interval of a site's upgrade year from its daily metric, by resampling the days.

    Each resample draws the evaluated days with replacement (the same days in every year, as
    one sample of cars serves them all), takes the band of each year and finds the first year
    above the limit; the interval holds the central 95 % of those years.

    Parameters
    ----------
    years
        The scenario's years, ``(n_years,)`` [year].
    metric_days
        The criterion's daily metric, ``(n_years, n_days)`` [unit of the limit].
    limit
        The limit.
    percentile
        The deciding band (50 or 95) [percentile].
    rng
        Generator of the resamples.
    reps
        Resamples [-].

    Returns
    -------
    tuple
        Earliest and latest year of the interval; :data:`NO_YEAR` for a bound beyond the last
        year [year].
    """
    y = np.asarray(years, dtype=np.int64)
    values = np.asarray(metric_days, dtype=np.float64)
    if not np.isfinite(values).all():
        return NO_YEAR, NO_YEAR
    days = rng.integers(0, values.shape[1], size=(reps, values.shape[1]))
    band = np.percentile(values[:, days], percentile, axis=-1).T  # (reps, n_years)
    first = first_failing(band > limit * (1 + 1e-9))
    position = np.where(first < 0, y.size, first)
    low, high = np.percentile(position, [2.5, 97.5], method="nearest")
    pick = lambda i: int(y[int(i)]) if i < y.size else NO_YEAR  # noqa: E731
    return pick(low), pick(high)
