"""Three-phase power flow on power-grid-model: the model, the load points and batch runs.

:func:`pgm_input` turns a :class:`~evgrid.network.model.Network` into power-grid-model's input
(one medium-voltage node with the source, one node per low-voltage bus, transformers, lines, one
asymmetric constant-power load per loaded bus); :func:`pgm_batch` solves many steps at once
(batch calculation, asymmetric by default) and returns the complex phase voltages and cable
currents. power-grid-model is imported when a run starts (the ``network`` extra).

Load points (:class:`LoadPoints`): every (bus, phase) that carries households or a pile; a step's
load is a complex power per load point [VA], phase to neutral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.errors import EvgridError
from evgrid.network.model import THREE_PHASE, UNKNOWN_PHASE, Network
from evgrid.timegrid import FloatArray, IntArray

NR_TOLERANCE_PU = 1e-10
"""Newton-Raphson stopping tolerance on the voltage update [pu]: well below the 1e-6 pu to
which evgrid reports extremes (quadratic convergence makes the final error far smaller still)."""

NR_MAX_ITERATIONS = 30
"""Newton-Raphson iteration cap [-]."""

YYN_ZERO_SEQUENCE_I0_PU = 1.0
"""Zero-sequence magnetising current of a unit [pu of rated current], i.e. a zero-sequence
magnetising impedance of 1 pu seen from the secondary of a three-limb Yyn0 unit (assumed; it
matters only where the primary is an ungrounded star: a delta primary carries the zero sequence
in its winding, and keeps its default)."""

MV_NODE_OFFSET = 0
"""The medium-voltage node takes id ``n_bus``; branch and load ids follow (see :func:`_ids`)."""


class PowerFlowError(EvgridError):
    """A power flow that does not converge: the load is beyond what the network can carry."""


def require_pgm() -> Any:
    """Import power_grid_model, or an error naming the extra that brings it."""
    try:
        import power_grid_model
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise EvgridError(
            "network power flow needs power-grid-model: pip install 'evgrid[network]'"
        ) from None
    return power_grid_model


@dataclass(frozen=True)
class LoadPoints:
    """The (bus, phase) pairs that carry load, and which households and piles feed them.

    Parameters
    ----------
    bus, phase
        Bus and phase (0, 1, 2) of each load point ``(n_lp,)``.
    households
        Households on each load point ``(n_lp,)`` [-].
    pile_lp
        Load points of each pile ``(n_pile, 3)``: a single-phase pile feeds one (the other two
        ``-1``), a three-phase pile three [-].
    pile_share
        Share of each pile's power on each of its load points ``(n_pile, 3)`` [-].
    """

    bus: IntArray
    phase: IntArray
    households: IntArray
    pile_lp: IntArray
    pile_share: FloatArray

    @property
    def size(self) -> int:
        """Load points [-]."""
        return int(self.bus.size)

    @staticmethod
    def of(net: Network) -> LoadPoints:
        """The load points of a network (piles of unknown phase are refused: assign first)."""
        if net.n_pile and np.any(net.pile_phase == UNKNOWN_PHASE):
            raise EvgridError(
                f"network {net.name}: piles of unknown phase; assign them first "
                "(evgrid.network.phases.assign_phases)"
            )
        used = net.households > 0
        three = net.pile_phase == THREE_PHASE
        for ph in range(3):
            used[net.pile_bus[(net.pile_phase == ph) | three], ph] = True
        bus, phase = np.nonzero(used)
        index = np.full((net.n_bus, 3), -1, np.int64)
        index[bus, phase] = np.arange(bus.size)
        pile_lp = np.full((net.n_pile, 3), -1, np.int64)
        share = np.zeros((net.n_pile, 3))
        single = ~three
        pile_lp[single, 0] = index[net.pile_bus[single], net.pile_phase[single]]
        share[single, 0] = 1.0
        for ph in range(3):
            pile_lp[three, ph] = index[net.pile_bus[three], ph]
            share[three, ph] = 1.0 / 3.0
        return LoadPoints(
            bus.astype(np.int64),
            phase.astype(np.int64),
            net.households[bus, phase].astype(np.int64),
            pile_lp,
            share,
        )

    def power_va(
        self,
        household_kw: FloatArray,
        pile_kw: FloatArray | None,
        *,
        household_pf: float,
        pile_pf: float,
    ) -> np.ndarray:
        """Complex power per step and load point ``(n_steps, n_lp)`` [VA].

        Parameters
        ----------
        household_kw
            One household's load per step ``(n_steps,)`` [kW].
        pile_kw
            Each pile's charging power per step ``(n_steps, n_pile)`` [kW], or None.
        household_pf, pile_pf
            Power factors (lagging) [-].
        """
        p_hh = np.outer(household_kw, self.households * 1e3)
        out = np.empty(p_hh.shape, dtype=complex)
        if pile_kw is not None and pile_kw.shape[1]:
            p_ev = pile_kw @ self.pile_matrix() * 1e3
            out.real = p_hh + p_ev
            out.imag = p_hh * _tan(household_pf) + p_ev * _tan(pile_pf)
        else:
            out.real = p_hh
            out.imag = p_hh * _tan(household_pf)
        return out

    def pile_matrix(self) -> FloatArray:
        """Share of each pile's power on each load point ``(n_pile, n_lp)`` [-]."""
        m = np.zeros((self.pile_lp.shape[0], self.size))
        for k in range(3):
            ok = np.flatnonzero(self.pile_lp[:, k] >= 0)
            m[ok, self.pile_lp[ok, k]] += self.pile_share[ok, k]
        return m


def _tan(pf: float) -> float:
    return float(np.sqrt(max(1.0 / pf**2 - 1.0, 0.0)))


def _ids(net: Network) -> dict[str, int]:
    n_bus = net.n_bus
    return {
        "mv": n_bus,
        "source": n_bus + 1,
        "unit": n_bus + 2,
        "cable": n_bus + 2 + len(net.units),
        "load": n_bus + 2 + len(net.units) + net.n_cable,
    }


def pgm_input(net: Network, lp: LoadPoints) -> dict[str, np.ndarray]:
    """power-grid-model input arrays of a network (loads at zero; a batch sets them)."""
    pgm = require_pgm()
    from power_grid_model import ComponentType, DatasetType, initialize_array

    del pgm
    ids = _ids(net)
    node = initialize_array(DatasetType.input, ComponentType.node, net.n_bus + 1)
    node["id"] = np.arange(net.n_bus + 1)
    node["u_rated"] = np.append(np.full(net.n_bus, net.nominal_v), net.mv_kv * 1e3)
    source = initialize_array(DatasetType.input, ComponentType.source, 1)
    source["id"] = ids["source"]
    source["node"] = ids["mv"]
    source["status"] = 1
    source["u_ref"] = net.source_voltage_pu
    source["sk"] = net.source_sk_mva * 1e6
    source["rx_ratio"] = net.source_rx
    source["z01_ratio"] = 1.0
    trafo = initialize_array(DatasetType.input, ComponentType.transformer, len(net.units))
    for k, u in enumerate(net.units):
        t = trafo[k]
        t["id"] = ids["unit"] + k
        t["from_node"] = ids["mv"]
        t["to_node"] = u.bus
        t["from_status"] = t["to_status"] = int(u.in_service)
        t["u1"] = u.primary_kv * 1e3
        t["u2"] = u.secondary_v
        t["sn"] = u.rating_kva * 1e3
        t["uk"] = u.uk_pct / 100.0
        t["pk"] = u.pk_w
        t["i0"] = 0.0
        t["p0"] = 0.0
        if not u.vector_group.lower().startswith("d"):
            # an ungrounded star primary (Yyn0) passes the secondary's zero sequence only
            # through the core: a three-limb core's zero-sequence magnetising impedance, about
            # 1 pu (assumed)
            t["i0_zero_sequence"] = YYN_ZERO_SEQUENCE_I0_PU
            t["p0_zero_sequence"] = 0.0
        group = u.vector_group.lower()
        # delta 2; YN (grounded star) 1; Y (ungrounded star, Yyn0's primary) 0
        t["winding_from"] = 2 if group.startswith("d") else 1 if group.startswith("yn") else 0
        t["winding_to"] = 1
        t["clock"] = int("".join(ch for ch in group if ch.isdigit()) or 0)
        t["tap_side"] = 0
        t["tap_pos"] = u.tap_pos
        t["tap_min"] = u.tap_min
        t["tap_max"] = u.tap_max
        t["tap_nom"] = 0
        t["tap_size"] = u.primary_kv * 1e3 * u.tap_step_pct / 100.0
    line = initialize_array(DatasetType.input, ComponentType.line, net.n_cable)
    line["id"] = ids["cable"] + np.arange(net.n_cable)
    line["from_node"] = net.from_bus
    line["to_node"] = net.to_bus
    line["from_status"] = line["to_status"] = net.closed.astype(np.int8)
    line["r1"], line["x1"] = net.r1_ohm, net.x1_ohm
    line["r0"], line["x0"] = net.r0_ohm, net.x0_ohm
    line["c1"] = line["c0"] = 0.0
    line["tan1"] = line["tan0"] = 0.0
    line["i_n"] = net.ampacity_a
    load_bus = np.unique(lp.bus)
    load = initialize_array(DatasetType.input, ComponentType.asym_load, load_bus.size)
    load["id"] = ids["load"] + np.arange(load_bus.size)
    load["node"] = load_bus
    load["status"] = 1
    load["type"] = 0  # constant power
    load["p_specified"] = 0.0
    load["q_specified"] = 0.0
    return {
        ComponentType.node: node,
        ComponentType.source: source,
        ComponentType.transformer: trafo,
        ComponentType.line: line,
        ComponentType.asym_load: load,
    }


@dataclass(frozen=True)
class Solution:
    """Complex phase quantities of a batch of steps.

    Parameters
    ----------
    v
        Phase-to-neutral voltage of every bus ``(n_steps, n_bus, 3)`` [V].
    i_cable
        Current of every cable, from-end ``(n_steps, n_cable, 3)`` [A] (0 for an open one).
    i_unit
        Low-voltage current of every unit ``(n_steps, n_unit, 3)`` [A].
    """

    v: np.ndarray
    i_cable: np.ndarray
    i_unit: np.ndarray


def pgm_batch(
    net: Network,
    lp: LoadPoints,
    power_va: np.ndarray,
    *,
    symmetric: bool = False,
    method: str = "newton_raphson",
    tolerance_pu: float = NR_TOLERANCE_PU,
    max_iterations: int = NR_MAX_ITERATIONS,
    threading: int = 1,
    model: Any = None,
) -> Solution:
    """Solve every step with power-grid-model (one batch calculation).

    Parameters
    ----------
    net, lp
        The network and its load points.
    power_va
        Complex power per step and load point ``(n_steps, n_lp)`` [VA].
    symmetric
        Balanced calculation: each bus's three phases are summed and split equally (what a
        single-phase equivalent sees).
    method
        power-grid-model's method: ``newton_raphson``, ``iterative_current``, ``linear``,
        ``linear_current``.
    tolerance_pu, max_iterations
        Stopping rule of the iterative methods.
    threading
        power-grid-model's threads (1: one core).
    model
        A ``PowerGridModel`` of ``pgm_input(net, lp)`` to reuse.

    Returns
    -------
    Solution
    """
    require_pgm()
    from power_grid_model import ComponentType, DatasetType, PowerGridModel, initialize_array

    data = None
    if model is None:
        data = pgm_input(net, lp)
        model = PowerGridModel(data)
    ids = _ids(net)
    n_steps = power_va.shape[0]
    load_bus = np.unique(lp.bus)
    col = np.searchsorted(load_bus, lp.bus)
    per_bus = np.zeros((n_steps, load_bus.size, 3), dtype=complex)
    np.add.at(per_bus.transpose(1, 2, 0), (col, lp.phase), power_va.T)
    if symmetric:
        per_bus[:] = per_bus.sum(axis=2, keepdims=True) / 3.0
    update = initialize_array(DatasetType.update, ComponentType.asym_load, (n_steps, load_bus.size))
    update["id"] = ids["load"] + np.arange(load_bus.size)
    update["status"] = 1
    update["p_specified"] = per_bus.real
    update["q_specified"] = per_bus.imag
    from power_grid_model.errors import PowerGridError

    try:
        out = _run(model, tolerance_pu, max_iterations, method, update, threading, ComponentType)
    except PowerGridError as exc:
        raise PowerFlowError(
            f"network {net.name}: the power flow does not converge at some of {n_steps} steps "
            f"({type(exc).__name__}); the load is beyond what the network carries"
        ) from None
    node = out[ComponentType.node]
    v_all = node["u"] * np.exp(1j * node["u_angle"])  # (steps, n_node, 3)
    v = v_all[:, : net.n_bus]
    line = out[ComponentType.line]
    s_from = line["p_from"] + 1j * line["q_from"]
    v_from = v[:, net.from_bus]
    with np.errstate(divide="ignore", invalid="ignore"):
        i_cable = np.where(np.abs(v_from) > 0, np.conj(s_from / v_from), 0.0)
    tr = out[ComponentType.transformer]
    s_to = tr["p_to"] + 1j * tr["q_to"]
    v_lv = v[:, [u.bus for u in net.units]]
    with np.errstate(divide="ignore", invalid="ignore"):
        i_unit = np.where(np.abs(v_lv) > 0, -np.conj(s_to / v_lv), 0.0)
    return Solution(v=v, i_cable=i_cable, i_unit=i_unit)


def pgm_model(net: Network, lp: LoadPoints) -> Any:
    """A ``PowerGridModel`` of the network, to reuse across batches."""
    require_pgm()
    from power_grid_model import PowerGridModel

    return PowerGridModel(pgm_input(net, lp))


def _run(
    model: Any,
    tolerance_pu: float,
    max_iterations: int,
    method: str,
    update: np.ndarray,
    threading: int,
    component: Any,
) -> Any:
    return model.calculate_power_flow(
        symmetric=False,
        error_tolerance=tolerance_pu,
        max_iterations=max_iterations,
        calculation_method=method,
        update_data={component.asym_load: update},
        threading=threading,
        output_component_types={
            component.node: ["u", "u_angle"],
            component.line: ["p_from", "q_from"],
            component.transformer: ["p_to", "q_to"],
        },
    )
