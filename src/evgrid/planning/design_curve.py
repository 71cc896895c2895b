"""The index tier's design demand, derived from the time-series tier for a basis.

The planning-index tier adds a per-pile demand to a site's regular load. The report's own (the
``report`` basis) is flat: 7 kW × 0.55 at the evening peak for 31 piles and for 4 896 alike.
Diversity makes the coincident demand per pile fall with the number of piles, so for any other
basis the index tier reads it from a **coincidence curve** that the time-series tier derives for
that basis's behaviour (:func:`derive_curve`, run by ``tools/coincidence_curve.py`` and stored
with its provenance in ``data/coincidence/<basis>.csv``):

* ``peak_kw_p95(n)``: the 95th percentile over days of the daily maximum of the uncontrolled
  charging of ``n`` piles, per pile [kW] (with its bootstrap interval ``peak_kw_p95_low`` /
  ``_high`` and the mean of the daily maxima, ``peak_kw_mean``, the ADMD);
* ``energy_kwh_p95(n)``: the 95th percentile over days of the energy the cars of ``n`` piles
  ask on a day, per pile [kWh];
* ``profile_pu``: the mean daily shape of uncontrolled charging (1 at its maximum) and
  ``plugged_share``: the share of cars plugged in, per slot of the day.

Small groups are pooled over many disjoint groups of the same size, so a count's percentiles
are over groups and days, not one group's cars.

:func:`design_loads_kw` is then the index tier's closed form on many sites, years and ratios at
once: uncontrolled piles add ``n × peak_kw_p95(n) × profile_pu`` to the design day's regular load;
orderly piles fill ``n × energy_kwh_p95(n)`` into the lowest slots of the day (a water level),
no slot taking more than the plugged-in cars' piles can (``n × plugged_share × pile_kw``). A
design-coefficient table (``n_piles, coefficient``) given by a user replaces the uncontrolled
curve by ``pile_kw × coefficient(n)`` added at the evening peak.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

CURVE_COUNTS = (
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000,
    3000, 5000,
)  # fmt: skip
"""Pile counts of a stored curve [-]; beyond the last the per-pile values are held."""

MAX_GROUPS = 60
"""Disjoint groups a count's percentiles pool at most [-]."""

BOOTSTRAP_REPS = 200
"""Bootstrap resamples of the daily maxima for the interval of ``peak_kw_p95`` [-]."""

WATER_ITERATIONS = 48
"""Bisection steps of the water level of orderly charging (2^-48 of the span) [-]."""

EVENING_H = (20.0, 21.0)
"""The residential evening peak hour (report 3.1) [h], where a coefficient table adds its load."""

VALLEY_H = (23.0, 7.0)
"""The residential night valley (report 3.1) [h]."""

CURVE_COLUMNS = (
    "n_piles",
    "peak_kw_mean",
    "peak_kw_p95",
    "peak_kw_p95_low",
    "peak_kw_p95_high",
    "energy_kwh_p95",
)
PROFILE_COLUMNS = ("slot", "profile_pu", "plugged_share")


@dataclass(frozen=True, eq=False)
class CoincidenceCurve:
    """A basis's design demand against the number of piles (see the module docstring).

    Parameters
    ----------
    n_piles
        Pile counts, increasing, ``(k,)`` [-].
    peak_kw_mean, peak_kw_p95, peak_kw_p95_low, peak_kw_p95_high
        Per pile: mean and 95th percentile over days of the daily maximum of uncontrolled
        charging, and the 95 % bootstrap interval of the latter, ``(k,)`` [kW].
    energy_kwh_p95
        Per pile: 95th percentile over days of the energy asked on a day, ``(k,)`` [kWh].
    profile_pu
        Mean daily shape of uncontrolled charging, 1 at its maximum, ``(slots_per_day,)`` [-].
    plugged_share
        Share of the cars plugged in, ``(slots_per_day,)`` [-].
    pile_kw
        Pile rating the orderly fill may use per plugged-in car [kW].
    provenance
        How the curve was made (basis, behaviour, seed, cars, days, evgrid version, date).
    """

    n_piles: IntArray
    peak_kw_mean: FloatArray
    peak_kw_p95: FloatArray
    peak_kw_p95_low: FloatArray
    peak_kw_p95_high: FloatArray
    energy_kwh_p95: FloatArray
    profile_pu: FloatArray
    plugged_share: FloatArray
    pile_kw: float
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def slot_min(self) -> float:
        """Slot length of the profiles [min]."""
        return 1440.0 / self.profile_pu.size

    def at(self, n_piles: npt.ArrayLike, column: str) -> FloatArray:
        """A per-pile column at any pile counts, linear in log(n) between the stored counts and
        held outside them, shape of ``n_piles`` [unit of the column]."""
        n = np.maximum(np.asarray(n_piles, dtype=np.float64), 1.0)
        values = getattr(self, column)
        return np.asarray(np.interp(np.log(n), np.log(self.n_piles), values), dtype=np.float64)


def derive_curve(
    behaviour: Any,
    *,
    n_cars: int = 5000,
    days: int = 365,
    counts: tuple[int, ...] = CURVE_COUNTS,
    rng: np.random.Generator | int | None = 1,
    slot_min: float = 15.0,
    provenance: dict[str, str] | None = None,
) -> CoincidenceCurve:
    """Derive a coincidence curve from Monte Carlo days of a behaviour (uncontrolled charging).

    Parameters
    ----------
    behaviour
        The behaviour (:class:`~evgrid.demand.behaviour.Behaviour`).
    n_cars
        Cars sampled; every count up to it is pooled over disjoint groups [-].
    days
        Days sampled (a warm-up and a cool-down day are added) [day].
    counts
        Pile counts of the curve, each at most ``n_cars`` [-].
    rng
        Seed or generator.
    slot_min
        Slot length [min].
    provenance
        Entries to record with the curve (basis name, command).
    """
    import scipy.sparse as sp

    from evgrid.charging.uncontrolled import uncontrolled
    from evgrid.demand.sampling import sample_sessions_detail

    if max(counts) > n_cars:
        raise bad_value("counts", max(counts), f"counts up to n_cars = {n_cars}")
    gen = np.random.default_rng(rng)
    sample_rng, boot_rng = gen.spawn(2)
    grid = TimeGrid(slot_min=slot_min, n_days=int(days) + 2)
    spd = grid.slots_per_day
    detail = sample_sessions_detail(behaviour, int(n_cars), days=int(days) + 1, rng=sample_rng)
    s = detail.sessions
    per_session = sp.coo_array(uncontrolled(s, grid, per_session=True).session_kw)
    slot_day = per_session.col // spd
    keep_slot = (slot_day >= 1) & (slot_day <= days)
    arrival_day = np.floor(s.arrival_h / 24.0).astype(np.int64)
    asked = s.energy_kwh + detail.left_kwh
    keep_arrival = (arrival_day >= 1) & (arrival_day <= days)
    stats = np.empty((6, len(counts)))
    for j, n in enumerate(counts):  # a couple of dozen counts
        groups = min(MAX_GROUPS, n_cars // n)
        car = s.vehicle[per_session.row]
        in_group = keep_slot & (car < groups * n)
        flat = (car[in_group] // n) * (days * spd) + (per_session.col[in_group] - spd)
        load = np.bincount(flat, weights=per_session.data[in_group], minlength=groups * days * spd)
        daily_max = load.reshape(groups, days, spd).max(axis=2).reshape(-1) / n
        sel = keep_arrival & (s.vehicle < groups * n)
        energy = (
            np.bincount(
                (s.vehicle[sel] // n) * days + arrival_day[sel] - 1,
                weights=asked[sel],
                minlength=groups * days,
            )
            / n
        )
        boot = boot_rng.choice(daily_max, size=(BOOTSTRAP_REPS, daily_max.size))
        p95_boot = np.percentile(boot, 95.0, axis=1)
        stats[:, j] = (
            daily_max.mean(),
            np.percentile(daily_max, 95.0),
            np.percentile(p95_boot, 2.5),
            np.percentile(p95_boot, 97.5),
            np.percentile(energy, 95.0),
            0.0,
        )
    whole = np.bincount(
        per_session.col[keep_slot] - spd, weights=per_session.data[keep_slot], minlength=days * spd
    )
    profile = whole.reshape(days, spd).mean(axis=0)
    plugged = _plugged_share(s.arrival_h, s.departure_h, grid, days, n_cars)
    info = {
        "derived": datetime.date.today().isoformat(),
        "cars": str(n_cars),
        "days": str(days),
        "seed": str(rng) if isinstance(rng, int) else "generator",
        "slot_min": f"{slot_min:g}",
        **(provenance or {}),
    }
    return CoincidenceCurve(
        n_piles=np.asarray(counts, dtype=np.int64),
        peak_kw_mean=stats[0],
        peak_kw_p95=stats[1],
        peak_kw_p95_low=stats[2],
        peak_kw_p95_high=stats[3],
        energy_kwh_p95=stats[4],
        profile_pu=profile / profile.max(),
        plugged_share=plugged,
        pile_kw=float(np.max(s.max_power_kw)) if len(s) else 0.0,
        provenance=info,
    )


def _plugged_share(
    arrival_h: FloatArray, departure_h: FloatArray, grid: TimeGrid, days: int, n_cars: int
) -> FloatArray:
    """Mean share of cars plugged in per slot of the day over the evaluated days [-]."""
    first = np.clip(np.floor(arrival_h / grid.slot_h).astype(np.int64), 0, grid.n_slots)
    end = np.clip(np.ceil(departure_h / grid.slot_h).astype(np.int64), 0, grid.n_slots)
    delta = np.zeros(grid.n_slots + 1)
    np.add.at(delta, first, 1.0)
    np.add.at(delta, end, -1.0)
    present = np.cumsum(delta)[: grid.n_slots]
    spd = grid.slots_per_day
    return np.asarray(
        present.reshape(-1, spd)[1 : days + 1].mean(axis=0) / n_cars, dtype=np.float64
    )


# --- storage ----------------------------------------------------------------------------------
def write_curve(curve: CoincidenceCurve, path: str | Path) -> Path:
    """Write a curve as ``PATH`` (per count) and ``PATH`` with ``_profile`` (per slot), CSV with
    the provenance as ``#`` header lines."""
    from evgrid.fileio import write_text_atomic

    p = Path(path)
    head = [f"# {k}: {v}" for k, v in curve.provenance.items()]
    head.append(f"# pile_kw: {curve.pile_kw:g}")
    rows = [",".join(CURVE_COLUMNS)]
    for i, n in enumerate(curve.n_piles.tolist()):
        values = [getattr(curve, c)[i] for c in CURVE_COLUMNS[1:]]
        rows.append(",".join([str(n), *(f"{v:.6f}" for v in values)]))
    write_text_atomic(p, "\n".join([*head, *rows]) + "\n")
    prof = [",".join(PROFILE_COLUMNS)]
    for k, (u, q) in enumerate(zip(curve.profile_pu, curve.plugged_share, strict=True)):
        prof.append(f"{k},{u:.6f},{q:.6f}")
    write_text_atomic(_profile_path(p), "\n".join([*head, *prof]) + "\n")
    return p


def _profile_path(path: Path) -> Path:
    return path.with_name(path.stem + "_profile" + path.suffix)


def read_curve(path: str | Path) -> CoincidenceCurve:
    """Read a curve written by :func:`write_curve` (and its ``_profile`` file).

    Raises
    ------
    InputError
        A missing file or column, counts not increasing, a negative value.
    """
    from evgrid.io import read_table

    p = Path(path)
    info = _provenance(p)
    table = read_table(p, "coincidence curve (CSV)", casefold=True, comments=True)
    for c in CURVE_COLUMNS:
        if c not in table:
            raise InputError(
                f"{p}: columns: a {c!r} column is required ({', '.join(CURVE_COLUMNS)})"
            )
    cols = {c: table.numbers(c, "a number >= 0") for c in CURVE_COLUMNS}
    n = cols["n_piles"]
    if n.size == 0 or np.any(np.diff(n) <= 0) or n[0] < 1:
        raise bad_value(f"{p}: n_piles", n.tolist(), "increasing whole numbers >= 1")
    if any(np.any(v < 0) for v in cols.values()):
        raise bad_value(f"{p}", "a negative value", "numbers >= 0")
    prof = read_table(_profile_path(p), "coincidence profile (CSV)", casefold=True, comments=True)
    for c in PROFILE_COLUMNS:
        if c not in prof:
            raise InputError(f"{_profile_path(p)}: columns: a {c!r} column is required")
    return CoincidenceCurve(
        n_piles=n.astype(np.int64),
        peak_kw_mean=cols["peak_kw_mean"],
        peak_kw_p95=cols["peak_kw_p95"],
        peak_kw_p95_low=cols["peak_kw_p95_low"],
        peak_kw_p95_high=cols["peak_kw_p95_high"],
        energy_kwh_p95=cols["energy_kwh_p95"],
        profile_pu=prof.numbers("profile_pu", "a number in [0, 1]"),
        plugged_share=prof.numbers("plugged_share", "a number in [0, 1]"),
        pile_kw=float(info.get("pile_kw", "7")),
        provenance=info,
    )


def _provenance(path: Path) -> dict[str, str]:
    from evgrid.io import read_bytes

    info: dict[str, str] = {}
    text = read_bytes(path, "coincidence curve (CSV)").decode("utf-8", errors="replace")
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        info[key.strip()] = value.strip()
    return info


@functools.cache
def bundled_curve(name: str) -> CoincidenceCurve:
    """The stored curve of a bundled basis (``data/coincidence/<name>.csv``).

    Raises
    ------
    InputError
        No curve is stored for that basis.
    """
    folder = resources.files("evgrid") / "data" / "coincidence"
    entry = folder / f"{name}.csv"
    if not entry.is_file():
        raise bad_value(
            "basis", name, "a basis with a stored coincidence curve (tools/coincidence_curve.py)"
        )
    with resources.as_file(entry) as p, resources.as_file(folder / f"{name}_profile.csv"):
        return read_curve(p)


@dataclass(frozen=True, eq=False)
class CoefficientTable:
    """A user's design-coefficient table: coincident share of a pile's rating by pile count.

    Parameters
    ----------
    n_piles
        Pile counts, increasing, ``(k,)`` [-]; a count up to and including ``n_piles[i]`` takes
        ``coefficient[i]`` (the last is held beyond).
    coefficient
        Coincident share of the pile rating, ``(k,)`` [-].
    source
        The file.
    """

    n_piles: IntArray
    coefficient: FloatArray
    source: str

    def at(self, n_piles: npt.ArrayLike) -> FloatArray:
        """The coefficient at pile counts, shape of ``n_piles`` [-]."""
        n = np.asarray(n_piles, dtype=np.float64)
        idx = np.minimum(np.searchsorted(self.n_piles, n, side="left"), self.n_piles.size - 1)
        return np.asarray(self.coefficient[idx], dtype=np.float64)


def read_coefficients(path: str | Path) -> CoefficientTable:
    """Read a design-coefficient table: CSV columns ``n_piles`` and ``coefficient``.

    Raises
    ------
    InputError
        A missing column, counts not increasing, a coefficient outside (0, 1].
    """
    from evgrid.io import read_table

    table = read_table(path, "design-coefficient table (CSV)", casefold=True, comments=True)
    for c in ("n_piles", "coefficient"):
        if c not in table:
            raise InputError(f"{path}: columns: a {c!r} column is required (n_piles, coefficient)")
    n = table.numbers("n_piles", "whole numbers >= 1, increasing")
    k = table.numbers("coefficient", "a number in (0, 1]")
    if n.size == 0 or np.any(np.diff(n) <= 0) or n[0] < 1:
        raise bad_value(f"{path}: n_piles", n.tolist(), "increasing whole numbers >= 1")
    if np.any((k <= 0) | (k > 1)):
        raise bad_value(f"{path}: coefficient", float(k[(k <= 0) | (k > 1)][0]), "(0, 1]")
    return CoefficientTable(n.astype(np.int64), k, str(path))


def index_demand(basis: Any) -> CoincidenceCurve | CoefficientTable | None:
    """The index tier's per-pile demand of a basis: a curve, a coefficient table, or None for
    the report's flat per-pile loads (``index: report``)."""
    if basis.index == "report":
        return None
    if basis.index == "curve":
        return bundled_curve(basis.name)
    return _file_demand(basis.index)


@functools.cache
def _file_demand(path: str) -> CoincidenceCurve | CoefficientTable:
    from evgrid.io import read_table

    table = read_table(path, "index demand (CSV)", casefold=True, comments=True)
    if "coefficient" in table:
        return read_coefficients(path)
    return read_curve(path)


# --- the closed form --------------------------------------------------------------------------
def design_loads_kw(
    base_day_kw: FloatArray,
    n_piles: npt.ArrayLike,
    orderly_share: npt.ArrayLike,
    demand: CoincidenceCurve | CoefficientTable,
    *,
    pile_kw: float,
    orderly_kw_per_pile: float,
    column: str = "peak_kw_p95",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The index tier's design day with piles: evening, night and peak load [kW].

    Broadcasts ``base_day_kw`` ``(..., spd)`` against ``n_piles`` and ``orderly_share`` (``(...)``,
    any shape that broadcasts with ``base_day_kw.shape[:-1]``).

    Parameters
    ----------
    base_day_kw
        The design day's regular load, at the charging power factor [kW].
    n_piles
        Piles [-] (need not be whole).
    orderly_share
        Share of them charging orderly [-].
    demand
        A :class:`CoincidenceCurve` or a user's :class:`CoefficientTable`.
    pile_kw
        Pile rating [kW] (a coefficient table's rating; the curve's own otherwise).
    orderly_kw_per_pile
        With a coefficient table: the report's orderly load per pile in the valley [kW].
    column
        The curve's per-pile peak: ``peak_kw_p95`` (the 95th-percentile day), its interval
        ``peak_kw_p95_low`` / ``peak_kw_p95_high``, or ``peak_kw_mean`` (the ADMD).

    Returns
    -------
    tuple
        Mean load over the evening peak hour 20:00-21:00, the peak over the night valley
        23:00-07:00 and the day's peak, each of the broadcast shape [kW]. The charging load's
        own peak is :func:`charging_peak_kw`.
    """
    base = np.asarray(base_day_kw, dtype=np.float64)
    spd = base.shape[-1]
    n = np.asarray(n_piles, dtype=np.float64)
    share = np.asarray(orderly_share, dtype=np.float64)
    n_unc = n * (1.0 - share)
    n_ord = n * share
    hours = (np.arange(spd) + 0.5) * 24.0 / spd
    evening = (hours >= EVENING_H[0]) & (hours < EVENING_H[1])
    night = (hours >= VALLEY_H[0]) | (hours < VALLEY_H[1])
    if isinstance(demand, CoefficientTable):
        unc = (n_unc * pile_kw * demand.at(np.maximum(n_unc, 1.0)))[..., None] * evening
        total = base + unc
        valley_add = (n_ord * orderly_kw_per_pile)[..., None] * night
        total = np.maximum(total, base + valley_add)
    else:
        profile = _on_slots(demand.profile_pu, spd)
        plugged = _on_slots(demand.plugged_share, spd)
        unc_kw = (n_unc * demand.at(np.maximum(n_unc, 1.0), column))[..., None] * profile
        energy = n_ord * demand.at(np.maximum(n_ord, 1.0), "energy_kwh_p95")
        total = base + unc_kw
        if np.any(n_ord > 0):
            cap_kw = (n_ord[..., None] * plugged) * demand.pile_kw
            total = total + _water_fill(total, energy, cap_kw, 24.0 / spd)
    return (
        total[..., evening].mean(axis=-1),
        total[..., night].max(axis=-1),
        total.max(axis=-1),
    )


def charging_peak_kw(
    n_piles: npt.ArrayLike,
    orderly_share: npt.ArrayLike,
    demand: CoincidenceCurve | CoefficientTable,
    *,
    pile_kw: float,
    orderly_kw_per_pile: float,
    spd: int = 96,
) -> FloatArray:
    """Peak of the charging load alone, on a transformer of its own (a dedicated charging
    transformer): uncontrolled piles at their design peak, orderly piles filled flat over the
    hours they are plugged in, shape of ``n_piles`` [kW]."""
    n = np.asarray(n_piles, dtype=np.float64)
    share = np.asarray(orderly_share, dtype=np.float64)
    n_unc, n_ord = n * (1.0 - share), n * share
    if isinstance(demand, CoefficientTable):
        unc = n_unc * pile_kw * demand.at(np.maximum(n_unc, 1.0))
        return np.asarray(np.maximum(unc, n_ord * orderly_kw_per_pile), dtype=np.float64)
    profile = _on_slots(demand.profile_pu, spd)
    unc_kw = (n_unc * demand.at(np.maximum(n_unc, 1.0), "peak_kw_p95"))[..., None] * profile
    energy = n_ord * demand.at(np.maximum(n_ord, 1.0), "energy_kwh_p95")
    cap_kw = (n_ord[..., None] * _on_slots(demand.plugged_share, spd)) * demand.pile_kw
    total = unc_kw + _water_fill(unc_kw, energy, cap_kw, 24.0 / spd)
    return np.asarray(total.max(axis=-1), dtype=np.float64)


def _on_slots(values: FloatArray, spd: int) -> FloatArray:
    """A per-slot day profile at another resolution (mean or repetition) [unit of values]."""
    k = values.size
    if k == spd:
        return values
    if k % spd == 0:
        return np.asarray(values.reshape(spd, k // spd).mean(axis=1), dtype=np.float64)
    if spd % k == 0:
        return np.repeat(values, spd // k)
    raise bad_value(
        "slot_min", 1440.0 / spd, f"a slot that divides or is divided by {1440 / k:g} min"
    )


def _water_fill(
    level_kw: FloatArray, energy_kwh: npt.ArrayLike, cap_kw: FloatArray, slot_h: float
) -> FloatArray:
    """Charging that fills ``energy_kwh`` into the lowest slots up to one level, each slot at
    most ``cap_kw`` (the piles plugged in there); ``(..., spd)`` [kW].

    The level ``L`` solves ``sum_t min(max(L - level_t, 0), cap_t) slot_h = energy`` (bisection,
    :data:`WATER_ITERATIONS` steps, vectorised over every case). Energy beyond what the
    capacities can take is not placed (it would be unmet).
    """
    level = np.broadcast_to(level_kw, np.broadcast_shapes(level_kw.shape, cap_kw.shape))
    cap = np.broadcast_to(cap_kw, level.shape)
    want = np.broadcast_to(np.asarray(energy_kwh, dtype=np.float64), level.shape[:-1])
    lo = level.min(axis=-1)
    hi = (level + cap).max(axis=-1)
    for _ in range(WATER_ITERATIONS):  # bisection steps, each over every case at once
        mid = 0.5 * (lo + hi)
        got = np.clip(mid[..., None] - level, 0.0, cap).sum(axis=-1) * slot_h
        short = got < want
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    return np.asarray(np.clip(hi[..., None] - level, 0.0, cap), dtype=np.float64)
