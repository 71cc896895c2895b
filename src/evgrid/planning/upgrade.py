"""Upgrade timeline: the first failing year, the standard size then needed, its cost and value.

For every site and charging strategy, given the criterion's pass/fail and the load by year
(:mod:`evgrid.planning.years` or the time-series tier), this module finds

* the **upgrade year**: the first evaluated year whose loading (or IEC 60076-7 hot-spot / ageing
  metric) is above the limit;
* the **size**: the smallest transformer of the standard 10/0.4 kV series (30 … 2 500 kVA,
  ``data/transformer_ratings.csv``: GB/T 6451-2015, GB 20052-2020) that meets the criterion in
  every evaluated year from the upgrade year to the scenario's last year; above 2 500 kVA, the
  fewest equal parallel units of the smallest rating that together suffice;
* the **cost**: from a cost per kVA or a table of unit costs that the user gives (evgrid ships no
  price: none would be a market price); and its **present value** at the scenario's base year;
* what **orderly charging defers**: the upgrade year and present value against uncontrolled
  charging.

All functions are vectorised over sites (numpy arrays), no I/O except :func:`read_cost_table`.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.params import Spec
from evgrid.timegrid import FloatArray, IntArray

NO_YEAR = -1
"""Upgrade year of a site that does not fail within the scenario's years [-]."""

_COST = Spec("cost", "yuan", "[0, inf)")
_RATING = Spec("rating_kva", "kVA", "(0, inf)")


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


@dataclass(frozen=True)
class CostModel:
    """Cost of the transformers bought by an upgrade (given by the user; evgrid has no price).

    Parameters
    ----------
    per_kva
        Installed cost per kVA bought [yuan/kVA], or None.
    table
        Installed cost of one unit by its rating [yuan], or None (:func:`read_cost_table`).
    """

    per_kva: float | None = None
    table: Mapping[float, float] | None = None

    def __post_init__(self) -> None:
        if self.per_kva is not None and self.table is not None:
            raise bad_value("cost_per_kva", self.per_kva, "either a cost per kVA or a table")
        if self.per_kva is not None:
            object.__setattr__(self, "per_kva", _COST.check(self.per_kva, "cost_per_kva"))

    @property
    def given(self) -> bool:
        """Whether a cost was given."""
        return self.per_kva is not None or self.table is not None

    def cost_yuan(self, unit_kva: FloatArray, units: IntArray) -> FloatArray:
        """Cost of ``units`` transformers of ``unit_kva`` each; NaN without a cost [yuan]."""
        unit = np.asarray(unit_kva, dtype=np.float64)
        n = np.asarray(units, dtype=np.float64)
        if self.per_kva is not None:
            return np.where(n > 0, unit * n * self.per_kva, np.nan)
        if self.table is not None:
            keys = np.array(sorted(self.table))
            vals = np.array([self.table[k] for k in keys])
            idx = np.clip(np.searchsorted(keys, unit), 0, keys.size - 1)
            found = np.isclose(keys[idx], unit)
            missing = (n > 0) & ~found
            if missing.any():
                raise bad_value(
                    "cost table",
                    float(unit[missing][0]),
                    "a row for every standard rating that an upgrade buys [kVA]",
                )
            return np.where(n > 0, vals[idx] * n, np.nan)
        return np.full(unit.shape, np.nan)


def read_cost_table(path: str | Path) -> CostModel:
    """Read a cost table: CSV with columns ``rating_kva`` and ``cost_yuan`` (one unit, installed).

    Raises
    ------
    InputError
        Missing file or columns, a bad number (one line naming the row).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: file not found")
    table: dict[float, float] = {}
    with file.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        if not rows.fieldnames or not {"rating_kva", "cost_yuan"} <= set(rows.fieldnames):
            raise InputError(f"{file}: columns rating_kva and cost_yuan are required")
        for i, row in enumerate(rows, start=2):
            where = f"{file} row {i}"
            try:
                rating = float(row["rating_kva"])
                cost = float(row["cost_yuan"])
            except (TypeError, ValueError):
                raise InputError(
                    f"{where}: got {row['rating_kva']!r}, {row['cost_yuan']!r}; allowed: numbers"
                ) from None
            table[float(_RATING.check(rating, f"{where}: rating_kva"))] = float(
                _COST.check(cost, f"{where}: cost_yuan")
            )
    if not table:
        raise InputError(f"{file}: no rows")
    return CostModel(table=table)


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
    """

    year: IntArray
    required_kva: FloatArray
    unit_kva: FloatArray
    units: IntArray
    cost_yuan: FloatArray
    pv_yuan: FloatArray


def timeline(
    years: npt.ArrayLike,
    fails: npt.ArrayLike,
    needed_kva: FloatArray,
    *,
    cost: CostModel,
    base_year: int,
    discount_rate: float,
) -> Timeline:
    """Upgrade year, standard size, cost and present value of every site (one strategy).

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
    """
    y = np.asarray(years, dtype=np.int64)
    first = first_failing(fails)
    year = np.where(first >= 0, y[np.maximum(first, 0)], NO_YEAR)
    need = horizon_kva(np.asarray(needed_kva, dtype=np.float64), first)
    unit, units = standard_size(need)
    price = cost.cost_yuan(unit, units)
    if cost.given:
        price = np.where(first >= 0, price, 0.0)
    pv = present_value(price, np.where(first >= 0, year, base_year), base_year, discount_rate)
    return Timeline(year, need, unit, units, price, pv)


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
