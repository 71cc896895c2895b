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

QUANTILES = (80, 85, 90, 95, 97, 99)
"""Percentiles over days a curve stores of the daily maximum and of the daily energy [-]."""

CURVE_COLUMNS = (
    "n_piles",
    "peak_kw_mean",
    *(f"peak_kw_p{q}{end}" for q in QUANTILES for end in ("", "_low", "_high")),
    *(f"energy_kwh_p{q}" for q in QUANTILES),
)
PROFILE_COLUMNS = ("slot", "profile_pu", "plugged_share")


@dataclass(frozen=True, eq=False)
class CoincidenceCurve:
    """A basis's design demand against the number of piles (see the module docstring).

    Parameters
    ----------
    n_piles
        Pile counts, increasing, ``(k,)`` [-].
    columns
        Per pile, ``(k,)`` each: ``peak_kw_mean`` (the mean over days of the daily maximum of
        uncontrolled charging, the ADMD) [kW]; for each percentile ``q`` of :data:`QUANTILES`,
        ``peak_kw_pq`` (the daily maximum's ``q``-th percentile over days) with its 95 %
        bootstrap interval ``peak_kw_pq_low`` / ``_high`` [kW], and ``energy_kwh_pq`` (the
        daily energy's) [kWh].
    profile_pu
        Mean daily shape of uncontrolled charging, 1 at its maximum, ``(slots_per_day,)`` [-].
    plugged_share
        Share of the cars plugged in, ``(slots_per_day,)`` [-].
    slot_kw
        Per pile, the charging load of each slot of the day on the ``q``-th percentile day of
        that slot, ``(k, len(QUANTILES), slots_per_day)`` [kW]: the design profile of ``n``
        piles (a few piles' load is spiky and falls at any time; the percentile of each slot
        keeps only what coincides).
    pile_kw
        Pile rating the orderly fill may use per plugged-in car [kW].
    provenance
        How the curve was made (basis, behaviour, seed, cars, days, evgrid version, date).
    """

    n_piles: IntArray
    columns: dict[str, FloatArray]
    profile_pu: FloatArray
    plugged_share: FloatArray
    pile_kw: float
    slot_kw: FloatArray
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def slot_min(self) -> float:
        """Slot length of the profiles [min]."""
        return 1440.0 / self.profile_pu.size

    @property
    def peak_kw_mean(self) -> FloatArray:
        """Per pile, the mean over days of the daily maximum (the ADMD) ``(k,)`` [kW]."""
        return self.columns["peak_kw_mean"]

    @property
    def peak_kw_p95(self) -> FloatArray:
        """Per pile, the 95th percentile over days of the daily maximum ``(k,)`` [kW]."""
        return self.columns["peak_kw_p95"]

    def at(self, n_piles: npt.ArrayLike, column: str) -> FloatArray:
        """A per-pile column at any pile counts, linear in log(n) between the stored counts and
        held outside them, shape of ``n_piles`` [unit of the column]."""
        n = np.maximum(np.asarray(n_piles, dtype=np.float64), 1.0)
        values = self.columns[column]
        return np.asarray(np.interp(np.log(n), np.log(self.n_piles), values), dtype=np.float64)

    def slot_profile(self, n_piles: npt.ArrayLike, quantile: float, end: str = "") -> FloatArray:
        """Per pile, the design profile of ``n`` piles on the ``quantile`` day, linear in log(n)
        and in the percentile between the stored ones, ``(*shape of n_piles, slots)`` [kW].

        ``end`` ``"_low"`` / ``"_high"`` scales it by the ends of the daily maximum's bootstrap
        interval (the curve's Monte Carlo error).
        """
        n = np.maximum(np.asarray(n_piles, dtype=np.float64), 1.0)
        qs = np.array(QUANTILES, dtype=np.float64)
        q = float(np.clip(quantile, qs[0], qs[-1]))
        i = min(int(np.searchsorted(qs, q, side="right")) - 1, qs.size - 2)
        wq = (q - qs[i]) / (qs[i + 1] - qs[i])
        by_n = (1.0 - wq) * self.slot_kw[:, i] + wq * self.slot_kw[:, i + 1]  # (k, slots)
        x = np.log(n)
        logn = np.log(self.n_piles.astype(np.float64))
        j = np.clip(np.searchsorted(logn, x) - 1, 0, logn.size - 2)
        w = np.clip((x - logn[j]) / (logn[j + 1] - logn[j]), 0.0, 1.0)
        out = by_n[j] * (1.0 - w)[..., None] + by_n[j + 1] * w[..., None]
        if end:
            ratio = self.at_quantile(n, "peak_kw", q, end) / np.maximum(
                self.at_quantile(n, "peak_kw", q), 1e-12
            )
            out = out * ratio[..., None]
        return np.asarray(out, dtype=np.float64)

    def at_quantile(
        self, n_piles: npt.ArrayLike, kind: str, quantile: float, end: str = ""
    ) -> FloatArray:
        """A per-pile quantity on the ``quantile`` day, between the stored percentiles
        (:data:`QUANTILES`, linear, held outside them).

        Parameters
        ----------
        n_piles
            Pile counts [-].
        kind
            ``"peak_kw"`` (the daily maximum) or ``"energy_kwh"`` (the daily energy).
        quantile
            The day, as a percentile over days [-].
        end
            ``""``, or ``"_low"`` / ``"_high"``: the ends of the daily maximum's bootstrap
            interval.
        """
        qs = np.array(QUANTILES, dtype=np.float64)
        q = float(np.clip(quantile, qs[0], qs[-1]))
        i = min(int(np.searchsorted(qs, q, side="right")) - 1, qs.size - 2)
        w = (q - qs[i]) / (qs[i + 1] - qs[i])
        suffix = end if kind == "peak_kw" else ""
        lo = self.at(n_piles, f"{kind}_p{QUANTILES[i]}{suffix}")
        hi = self.at(n_piles, f"{kind}_p{QUANTILES[i + 1]}{suffix}")
        return np.asarray((1.0 - w) * lo + w * hi, dtype=np.float64)


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
    stats: dict[str, list[float]] = {c: [] for c in CURVE_COLUMNS[1:]}
    car = s.vehicle[per_session.row]
    slots = np.empty((len(counts), len(QUANTILES), spd))
    for k, n in enumerate(counts):  # a couple of dozen counts
        groups = min(MAX_GROUPS, n_cars // n)
        in_group = keep_slot & (car < groups * n)
        flat = (car[in_group] // n) * (days * spd) + (per_session.col[in_group] - spd)
        load = np.bincount(flat, weights=per_session.data[in_group], minlength=groups * days * spd)
        by_slot = load.reshape(groups * days, spd) / n
        slots[k] = np.percentile(by_slot, QUANTILES, axis=0)
        daily_max = by_slot.max(axis=1)
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
        stats["peak_kw_mean"].append(float(daily_max.mean()))
        for q in QUANTILES:
            on_boot = np.percentile(boot, q, axis=1)
            stats[f"peak_kw_p{q}"].append(float(np.percentile(daily_max, q)))
            stats[f"peak_kw_p{q}_low"].append(float(np.percentile(on_boot, 2.5)))
            stats[f"peak_kw_p{q}_high"].append(float(np.percentile(on_boot, 97.5)))
            stats[f"energy_kwh_p{q}"].append(float(np.percentile(energy, q)))
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
        columns={k: np.asarray(v, dtype=np.float64) for k, v in stats.items()},
        profile_pu=profile / profile.max(),
        plugged_share=plugged,
        pile_kw=float(np.max(s.max_power_kw)) if len(s) else 0.0,
        slot_kw=slots,
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
        values = [curve.columns[c][i] for c in CURVE_COLUMNS[1:]]
        rows.append(",".join([str(n), *(f"{v:.6f}" for v in values)]))
    write_text_atomic(p, "\n".join([*head, *rows]) + "\n")
    prof = [",".join(PROFILE_COLUMNS)]
    for k, (u, q) in enumerate(zip(curve.profile_pu, curve.plugged_share, strict=True)):
        prof.append(f"{k},{u:.6f},{q:.6f}")
    write_text_atomic(_profile_path(p), "\n".join([*head, *prof]) + "\n")
    lines = [",".join(["n_piles", "slot", *(f"p{q}" for q in QUANTILES)])]
    for k, n in enumerate(curve.n_piles.tolist()):
        for t in range(curve.slot_kw.shape[2]):
            cells = ",".join(f"{v:.5f}" for v in curve.slot_kw[k, :, t])
            lines.append(f"{n},{t},{cells}")
    write_text_atomic(_slots_path(p), "\n".join([*head, *lines]) + "\n")
    return p


def _slots_path(path: Path) -> Path:
    return path.with_name(path.stem + "_slots" + path.suffix)


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
    slot_table = read_table(
        _slots_path(p), "coincidence design profiles (CSV)", casefold=True, comments=True
    )
    spd = prof.numbers("profile_pu", "a number in [0, 1]").size
    per_q = [slot_table.numbers(f"p{q}", "a number >= 0 [kW]") for q in QUANTILES]
    if any(v.size != n.size * spd for v in per_q):
        raise bad_value(
            f"{_slots_path(p)}", "rows", f"{n.size * spd} rows: every count and slot once"
        )
    slots = np.stack([v.reshape(n.size, spd) for v in per_q], axis=1)
    return CoincidenceCurve(
        n_piles=n.astype(np.int64),
        columns={c: v for c, v in cols.items() if c != "n_piles"},
        slot_kw=slots,
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
    with (
        resources.as_file(entry) as p,
        resources.as_file(folder / f"{name}_profile.csv"),
        resources.as_file(folder / f"{name}_slots.csv"),
    ):
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
