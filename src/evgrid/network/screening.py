"""Time-series power flow of a year in seconds: screen every step, verify the extremes exactly.

Every step is solved by the compiled radial sweep (:mod:`evgrid.network._sweep`) to a voltage
update below ``SCREEN_TOL_PU``, with an a-posteriori error bound ``eps`` per step (contraction
mapping theorem). For every element (bus phase, cable phase, unit) the screen keeps the extreme
and the step where it occurs; those steps -- a few dozen, whatever the length of the run -- are
then solved again by power-grid-model's Newton-Raphson, and the reported extreme of each element
is the Newton-Raphson value at its screened step.

Why the screen cannot miss: let ``s(t)`` be the screened and ``x(t)`` the exact value of an
element's quantity at step ``t``, ``|s(t) - x(t)| <= eps`` at every step, and ``t_s`` the screened
argmax. For the exact argmax ``t*``: ``x(t*) <= s(t*) + eps <= s(t_s) + eps <= x(t_s) + 2 eps``.
So the Newton-Raphson value at ``t_s`` is within ``2 eps`` (plus Newton-Raphson's own tolerance)
of the true extreme over every step, and a limit violated at any step by more than that shows in
the reported extreme. ``docs/network.md`` carries the bound for each quantity; the result states
the bound it achieved (:attr:`Extremes.bound_pu`) and the largest screen-versus-Newton-Raphson
difference at the verified steps (:attr:`Extremes.screen_error_pu`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from evgrid.errors import EvgridError
from evgrid.network.model import Network, three_phase_buses
from evgrid.network.powerflow import (
    LoadPoints,
    PowerFlowError,
    Solution,
    _tan,
    pgm_batch,
    pgm_model,
)
from evgrid.params import default
from evgrid.timegrid import FloatArray, IntArray

SCREEN_TOL_PU = 1e-9
"""The sweep stops when no phase voltage moves by more than this between iterations [pu]; with
the contraction factor of a low-voltage feeder (0.01-0.3) the error bound is then near 1e-10 pu,
far inside the reported 1e-6 pu."""

SCREEN_MAX_ITER = 200
"""Iteration cap of the sweep per step [-] (a step that does not converge has no bound)."""

REPORT_TOL_PU = 1e-6
"""The tolerance to which reported extremes equal a full Newton-Raphson solution [pu]."""

PER_STEP = (
    "min_voltage_pu",
    "max_voltage_pu",
    "max_cable_loading_pu",
    "max_transformer_loading_pu",
    "max_voltage_unbalance_pct",
    "bound_pu",
    "iterations",
    "min_voltage_1ph_pu",
    "max_voltage_1ph_pu",
    "min_voltage_3ph_pu",
    "max_voltage_3ph_pu",
)
"""The network-wide quantities kept for every step; the last four over the buses held to the
single-phase and to the three-phase voltage limit (:func:`~evgrid.network.model.three_phase_buses`:
a bus of neither kind has ``inf`` and 0), so that a step can be judged against its limits
(:func:`evgrid.network.limits.step_utilisation`)."""


@dataclass(frozen=True)
class Extremes:
    """Each element's extremes over a run of steps and the step of each (memory bounded).

    Parameters
    ----------
    vmin_pu, vmin_step
        Lowest phase-to-neutral voltage per bus and phase ``(n_bus, 3)`` [pu of the nominal
        phase voltage] and its step.
    vmax_pu, vmax_step
        Highest, likewise.
    unbalance_pct, unbalance_step
        Highest negative-sequence voltage unbalance factor per bus ``(n_bus,)`` [%].
    cable_loading_pu, cable_loading_step
        Highest phase current / derated ampacity per cable and phase ``(n_cable, 3)`` [pu].
    neutral_a, neutral_step
        Highest return (neutral) current ``|I_a + I_b + I_c|`` per cable ``(n_cable,)`` [A].
    unit_loading_pu, unit_loading_step
        Highest phase loading ``3 |V I*| / S_rated`` per unit ``(n_unit,)`` [pu].
    unit_total_pu, unit_total_step
        Highest total loading ``|S_a + S_b + S_c| / S_rated`` per unit ``(n_unit,)`` [pu].
    per_step
        Network-wide values per step (:data:`PER_STEP`), each ``(n_steps,)``.
    bound_pu
        Largest a-posteriori error bound of the screen over the steps [pu] (``inf`` when a
        step did not converge).
    screen_error_pu
        Largest |screen - Newton-Raphson| voltage at the verified steps [pu] (NaN if not
        verified).
    verified_steps
        The steps solved again by Newton-Raphson.
    method
        ``screen+nr`` (the sweep, extremes verified by Newton-Raphson), ``screen`` (not
        verified) or ``pgm-<method>`` (every step by power-grid-model).
    """

    vmin_pu: FloatArray
    vmin_step: IntArray
    vmax_pu: FloatArray
    vmax_step: IntArray
    unbalance_pct: FloatArray
    unbalance_step: IntArray
    cable_loading_pu: FloatArray
    cable_loading_step: IntArray
    neutral_a: FloatArray
    neutral_step: IntArray
    unit_loading_pu: FloatArray
    unit_loading_step: IntArray
    unit_total_pu: FloatArray
    unit_total_step: IntArray
    per_step: dict[str, FloatArray] = field(default_factory=dict)
    bound_pu: float = float("nan")
    screen_error_pu: float = float("nan")
    verified_steps: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    method: str = "screen+nr"

    @property
    def min_voltage_pu(self) -> float:
        """Lowest phase voltage of the network [pu]."""
        return float(np.nanmin(np.where(np.isfinite(self.vmin_pu), self.vmin_pu, np.nan)))

    @property
    def max_voltage_pu(self) -> float:
        """Highest phase voltage of the network [pu]."""
        return float(np.max(self.vmax_pu))

    @property
    def max_cable_loading_pu(self) -> float:
        """Highest cable loading [pu]."""
        return float(np.max(self.cable_loading_pu)) if self.cable_loading_pu.size else 0.0

    @property
    def max_transformer_loading_pu(self) -> float:
        """Highest unit loading [pu]."""
        return float(np.max(self.unit_loading_pu))

    @property
    def max_transformer_total_pu(self) -> float:
        """Highest total (three-phase) unit loading [pu]."""
        return float(np.max(self.unit_total_pu))

    @property
    def max_voltage_unbalance_pct(self) -> float:
        """Highest voltage unbalance [%]."""
        return float(np.max(self.unbalance_pct))


@dataclass(frozen=True)
class StepLoads:
    """The load of every load point at every step, built a chunk at a time.

    Parameters
    ----------
    lp
        The load points.
    household_kw
        One household's load per step ``(n_steps,)`` [kW].
    pile_kw
        Each pile's charging power per step ``(n_steps, n_pile)`` [kW] (or ``(n_steps, 0)``).
    household_pf, pile_pf
        Power factors [-]; default the parameters.
    symmetric
        Balance every bus: its three phases' sum split equally.
    """

    lp: LoadPoints
    household_kw: FloatArray
    pile_kw: FloatArray
    household_pf: float = field(default_factory=lambda: float(default("household_power_factor")))
    pile_pf: float = field(default_factory=lambda: float(default("ev_power_factor")))
    symmetric: bool = False

    @property
    def n_steps(self) -> int:
        """Steps [-]."""
        return int(self.household_kw.size)

    def power_pq(self, steps: slice | IntArray) -> tuple[FloatArray, FloatArray]:
        """Active and reactive power per step and load point, two ``(n, n_lp)`` arrays
        [W, var] (the screen's input: no complex arrays to build)."""
        if self.symmetric:
            s = self.power(steps)
            return np.ascontiguousarray(s.real), np.ascontiguousarray(s.imag)
        p_hh = np.outer(self.household_kw[steps], self.lp.households * 1e3)
        q_hh = p_hh * _tan(self.household_pf)
        if self.pile_kw.shape[1]:
            p_ev = self.pile_kw[steps] @ self._pile_matrix * 1e3
            p_hh += p_ev
            if self.pile_pf < 1.0:
                q_hh += p_ev * _tan(self.pile_pf)
        return p_hh, q_hh

    @functools.cached_property
    def _pile_matrix(self) -> FloatArray:
        return self.lp.pile_matrix()

    def power(self, steps: slice | IntArray) -> np.ndarray:
        """Complex power per step and load point ``(n, n_lp)`` [VA] for these steps."""
        s = self.lp.power_va(
            self.household_kw[steps],
            self.pile_kw[steps],
            household_pf=self.household_pf,
            pile_pf=self.pile_pf,
        )
        if self.symmetric:
            s = balanced(s, self.lp)
        return s


def balanced(s: np.ndarray, lp: LoadPoints) -> np.ndarray:
    """Each bus's total power split equally over the load points of its three phases.

    Buses whose load sits on fewer than three phases gain load points; the returned array is
    laid out on :func:`balanced_points` of ``lp``.
    """
    full = balanced_points(lp)
    out = np.zeros((s.shape[0], full.size), dtype=complex)
    col = np.searchsorted(full.bus * 3 + full.phase, lp.bus * 3 + lp.phase)
    total = np.zeros((s.shape[0], int(full.bus.max()) + 1 if full.size else 0), dtype=complex)
    np.add.at(total.T, lp.bus, s.T)
    del col
    out[:] = total[:, full.bus] / 3.0
    return out


def balanced_points(lp: LoadPoints) -> LoadPoints:
    """Load points on all three phases of every loaded bus."""
    buses = np.unique(lp.bus)
    bus = np.repeat(buses, 3)
    phase = np.tile(np.arange(3), buses.size)
    return LoadPoints(bus, phase, np.zeros(bus.size, np.int64), lp.pile_lp[:0], lp.pile_share[:0])


@dataclass(frozen=True)
class _Kernel:
    order: IntArray
    parent: IntArray
    cable_to: IntArray
    z_cable: np.ndarray
    z1_cable: np.ndarray
    zm_cable: np.ndarray
    unit_index: IntArray
    unit_bus: IntArray
    unit_ratio: FloatArray
    unit_z1: np.ndarray
    unit_z0: np.ndarray
    e_mv: complex
    z_mv: complex
    v_base: float
    path_w: FloatArray
    w_thevenin: float
    feeder_of_bus: IntArray
    unit_va: FloatArray


def _phase_matrix(z1: np.ndarray, z0: np.ndarray) -> np.ndarray:
    zs = (z0 + 2.0 * z1) / 3.0
    zm = (z0 - z1) / 3.0
    out = np.empty((*np.shape(z1), 3, 3), dtype=complex)
    out[...] = zm[..., None, None]
    for r in range(3):
        out[..., r, r] = zs
    return out


def _kernel_data(net: Network) -> _Kernel:
    tree = net.tree()
    live = [k for k, u in enumerate(net.units) if u.in_service]
    for k in live:
        if not net.units[k].vector_group.lower().startswith("d"):
            raise EvgridError(
                f"network {net.name}: the fast screen takes delta-primary units (Dyn11); "
                f"unit {net.units[k].name} is {net.units[k].vector_group}: "
                "use evgrid.network.reference.pgm_extremes"
            )
    z_cable = _phase_matrix(net.r1_ohm + 1j * net.x1_ohm, net.r0_ohm + 1j * net.x0_ohm)
    mv_v = net.mv_kv * 1e3
    rx = net.source_rx
    z_mv = mv_v**2 / (net.source_sk_mva * 1e6) * (rx + 1j) / np.sqrt(1.0 + rx**2)
    ratio, z1, z0 = [], [], []
    for k in live:
        u = net.units[k]
        u1 = u.primary_kv * 1e3 * (1.0 + u.tap_pos * u.tap_step_pct / 100.0)
        ratio.append(u.secondary_v / u1)
        zt = (u.r_pu + 1j * u.x_pu) * u.secondary_v**2 / (u.rating_kva * 1e3)
        z1.append(zt)
        z0.append(zt)
    ratio_a = np.asarray(ratio)
    z1_a, z0_a = np.asarray(z1, complex), np.asarray(z0, complex)
    # bound weights: largest element of each bus's impedance path (Thevenin + cables)
    thev = _phase_matrix(z1_a + ratio_a**2 * z_mv, z0_a)
    w = np.zeros(net.n_bus)  # cables on the path of each bus [ohm]
    zmax = np.abs(z_cable).reshape(net.n_cable, 9).max(axis=1) if net.n_cable else np.zeros(0)
    w_th = float(np.abs(thev).max()) + float(np.sum(ratio_a**2) * abs(z_mv)) if live else 0.0
    for b in tree.order:
        p = tree.parent[b]
        if p >= 0:
            w[b] = w[p] + zmax[tree.cable_to[b]]
    feeder = np.where(tree.feeder >= 0, tree.feeder, net.n_cable)
    return _Kernel(
        order=tree.order,
        parent=tree.parent,
        cable_to=tree.cable_to,
        z_cable=np.ascontiguousarray(z_cable),
        z1_cable=np.ascontiguousarray(net.r1_ohm + 1j * net.x1_ohm),
        zm_cable=np.ascontiguousarray(
            ((net.r0_ohm - net.r1_ohm) + 1j * (net.x0_ohm - net.x1_ohm)) / 3.0
        ),
        unit_index=np.asarray(live, np.int64),
        unit_bus=np.asarray([net.units[k].bus for k in live], np.int64),
        unit_ratio=ratio_a,
        unit_z1=z1_a,
        unit_z0=z0_a,
        e_mv=complex(net.source_voltage_pu * mv_v / np.sqrt(3.0)),
        z_mv=complex(z_mv),
        v_base=float(net.phase_v),
        path_w=w,
        w_thevenin=w_th,
        feeder_of_bus=feeder.astype(np.int64),
        unit_va=np.asarray([net.units[k].rating_kva * 1e3 for k in live]),
    )


def screen(
    net: Network,
    loads: StepLoads,
    *,
    chunk: int | None = None,
    verify: bool = True,
    model: object = None,
) -> Extremes:
    """Every step by the sweep; each element's extreme verified by Newton-Raphson.

    Parameters
    ----------
    net
        The network (radial with its ties open; delta-primary units).
    loads
        The load of every load point at every step.
    chunk
        Steps built and solved together [-]; default the parameter ``network_step_chunk``.
    verify
        Solve the steps of the extremes again with power-grid-model's Newton-Raphson and report
        those values.
    model
        A ``PowerGridModel`` to reuse for the verification.

    Returns
    -------
    Extremes
    """
    from evgrid.network._sweep import sweep_steps

    kd = _kernel_data(net)
    lp = balanced_points(loads.lp) if loads.symmetric else loads.lp
    size = int(default("network_step_chunk") if chunk is None else chunk)
    n_steps = loads.n_steps
    n_unit = kd.unit_bus.size
    ext_bus = np.empty((net.n_bus, 7))
    ext_bus[:, :3] = np.inf
    ext_bus[:, 3:] = 0.0
    ext_bus_t = np.full((net.n_bus, 7), -1, np.int64)
    ext_cable = np.zeros((net.n_cable, 4))
    ext_cable_t = np.full((net.n_cable, 4), -1, np.int64)
    ext_unit = np.zeros((n_unit, 2))
    ext_unit_t = np.full((n_unit, 2), -1, np.int64)
    per_step = np.empty((n_steps, len(PER_STEP)))
    v_state = np.zeros((net.n_bus, 3), complex)
    # warm start: no-load voltages
    for j, b in enumerate(kd.unit_bus):
        e1 = kd.unit_ratio[j] * kd.e_mv
        v_state[b] = e1 * np.array([1.0, np.exp(-2j * np.pi / 3), np.exp(2j * np.pi / 3)])
    tree = net.tree()
    for b in tree.order:
        if tree.parent[b] >= 0:
            v_state[b] = v_state[tree.parent[b]]
    three = three_phase_buses(net)
    lp_weight = kd.path_w[lp.bus]
    lp_feeder = kd.feeder_of_bus[lp.bus]
    for lo in range(0, n_steps, size):
        hi = min(lo + size, n_steps)
        p_w, q_var = loads.power_pq(slice(lo, hi))
        sweep_steps(
            p_w,
            q_var,
            lp.bus,
            lp.phase,
            lp_weight,
            lp_feeder,
            kd.w_thevenin,
            kd.order,
            kd.parent,
            kd.cable_to,
            kd.z1_cable,
            kd.zm_cable,
            kd.unit_bus,
            kd.unit_ratio,
            kd.unit_z1,
            kd.unit_z0,
            kd.e_mv,
            kd.z_mv,
            kd.v_base,
            three,
            net.ampacity_a,
            kd.unit_va,
            SCREEN_TOL_PU,
            SCREEN_MAX_ITER,
            lo,
            v_state,
            ext_bus,
            ext_bus_t,
            ext_cable,
            ext_cable_t,
            ext_unit,
            ext_unit_t,
            per_step[lo:hi],
        )
    unit_full = np.zeros(len(net.units))
    unit_full_t = np.full(len(net.units), -1, np.int64)
    unit_full[kd.unit_index] = ext_unit[:, 0]
    unit_full_t[kd.unit_index] = ext_unit_t[:, 0]
    total_full = np.zeros(len(net.units))
    total_full_t = np.full(len(net.units), -1, np.int64)
    total_full[kd.unit_index] = ext_unit[:, 1]
    total_full_t[kd.unit_index] = ext_unit_t[:, 1]
    result = Extremes(
        vmin_pu=ext_bus[:, :3].copy(),
        vmin_step=ext_bus_t[:, :3].copy(),
        vmax_pu=ext_bus[:, 3:6].copy(),
        vmax_step=ext_bus_t[:, 3:6].copy(),
        unbalance_pct=ext_bus[:, 6].copy(),
        unbalance_step=ext_bus_t[:, 6].copy(),
        cable_loading_pu=ext_cable[:, :3].copy(),
        cable_loading_step=ext_cable_t[:, :3].copy(),
        neutral_a=ext_cable[:, 3].copy(),
        neutral_step=ext_cable_t[:, 3].copy(),
        unit_loading_pu=unit_full,
        unit_loading_step=unit_full_t,
        unit_total_pu=total_full,
        unit_total_step=total_full_t,
        per_step={name: per_step[:, k].copy() for k, name in enumerate(PER_STEP)},
        bound_pu=float(np.max(per_step[:, 5])) if n_steps else 0.0,
        method="screen",
    )
    if verify and n_steps:
        result = verify_extremes(net, loads, result, model=model)
    return result


def _metrics(net: Network, sol: Solution) -> dict[str, np.ndarray]:
    """Per-step element quantities: |V| [pu], unbalance [%], loadings [pu], neutral [A]."""
    v = sol.v
    a = np.exp(2j * np.pi / 3.0)
    v1 = np.abs(v[..., 0] + a * v[..., 1] + a * a * v[..., 2])
    v2 = np.abs(v[..., 0] + a * a * v[..., 1] + a * v[..., 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        unb = np.where(v1 > 0, 100.0 * v2 / v1, 0.0)
    live = [u.bus for u in net.units]
    rating = np.asarray([u.rating_kva * 1e3 for u in net.units])
    s_unit = 3.0 * np.abs(v[:, live] * np.conj(sol.i_unit)) / rating[None, :, None]
    return {
        "v": np.abs(v) / net.phase_v,
        "unb": unb,
        "cable": np.abs(sol.i_cable) / net.ampacity_a[None, :, None],
        "neutral": np.abs(sol.i_cable.sum(axis=2)),
        "unit": s_unit.max(axis=2),
        "unit_total": np.abs((v[:, live] * np.conj(sol.i_unit)).sum(axis=2)) / rating[None, :],
    }


def verify_extremes(
    net: Network, loads: StepLoads, ext: Extremes, *, model: object = None
) -> Extremes:
    """Replace each screened extreme by Newton-Raphson's value at its step.

    Raises
    ------
    EvgridError
        The screen and Newton-Raphson disagree at a verified step by more than the reported
        tolerance (a model mismatch: never expected).
    """
    stuck = np.flatnonzero(ext.per_step["iterations"] >= SCREEN_MAX_ITER)
    if stuck.size:
        raise PowerFlowError(
            f"network {net.name}: the sweep does not converge at {stuck.size} steps (first "
            f"{int(stuck[0])}); the load is near or beyond what the network carries"
        )
    lp = balanced_points(loads.lp) if loads.symmetric else loads.lp
    tables = (
        ext.vmin_step,
        ext.vmax_step,
        ext.unbalance_step,
        ext.cable_loading_step,
        ext.neutral_step,
        ext.unit_loading_step,
        ext.unit_total_step,
    )
    steps = np.unique(np.concatenate([t.ravel() for t in tables]))
    steps = steps[steps >= 0]
    if steps.size == 0:
        return ext
    mdl = model if model is not None else pgm_model(net, lp)
    sol = pgm_batch(net, lp, loads.power(steps), model=mdl)
    m = _metrics(net, sol)
    at = {int(t): k for k, t in enumerate(steps)}

    def pick(values: np.ndarray, step: np.ndarray, old: np.ndarray) -> np.ndarray:
        out = old.copy()
        idx = np.nonzero(step >= 0)
        rows = np.array([at[int(t)] for t in step[idx]], dtype=np.int64)
        out[idx] = values[(rows, *idx)]
        return out

    vmin = pick(m["v"], ext.vmin_step, ext.vmin_pu)
    vmax = pick(m["v"], ext.vmax_step, ext.vmax_pu)
    err = max(
        float(np.nanmax(np.abs(np.where(ext.vmin_step >= 0, vmin - ext.vmin_pu, 0.0)))),
        float(np.nanmax(np.abs(np.where(ext.vmax_step >= 0, vmax - ext.vmax_pu, 0.0)))),
    )
    if err > REPORT_TOL_PU:
        raise EvgridError(
            f"network {net.name}: screen and Newton-Raphson differ by {err:.3g} pu at a "
            "verified step (model mismatch)"
        )
    return Extremes(
        vmin_pu=vmin,
        vmin_step=ext.vmin_step,
        vmax_pu=vmax,
        vmax_step=ext.vmax_step,
        unbalance_pct=pick(m["unb"], ext.unbalance_step, ext.unbalance_pct),
        unbalance_step=ext.unbalance_step,
        cable_loading_pu=pick(m["cable"], ext.cable_loading_step, ext.cable_loading_pu),
        cable_loading_step=ext.cable_loading_step,
        neutral_a=pick(m["neutral"], ext.neutral_step, ext.neutral_a),
        neutral_step=ext.neutral_step,
        unit_loading_pu=pick(m["unit"], ext.unit_loading_step, ext.unit_loading_pu),
        unit_loading_step=ext.unit_loading_step,
        unit_total_pu=pick(m["unit_total"], ext.unit_total_step, ext.unit_total_pu),
        unit_total_step=ext.unit_total_step,
        per_step=ext.per_step,
        bound_pu=ext.bound_pu,
        screen_error_pu=err,
        verified_steps=steps,
        method="screen+nr",
    )
