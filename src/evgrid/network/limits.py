"""Limits of a low-voltage area from standards, and what binds first.

* voltage deviation, GB/T 12325-2008: single-phase 220 V supply +7 % / -10 % (clause 4.3) at the
  buses that serve households; three-phase supply +-7 % (clause 4.2) at the transformers'
  busbars and at buses with three-phase piles (evgrid checks phase-to-neutral voltages against
  both);
* voltage unbalance, GB/T 15543-2008 clause 4.1: negative-sequence factor at most 2 % (the
  standard's limit at a point of common coupling; evgrid applies it at every bus);
* cable current within its derated ampacity, GB 50217-2018 clause 3.6;
* transformer loading at most the report's planning limit (report 3.3: 80 %), taken on the most
  loaded phase (``3 |V I*| / S_rated``).

Every element's *utilisation* is its value over what the limit allows (for voltage: its deviation
over the allowed deviation), so 1.0 is the limit; the binding element is the one with the
largest utilisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evgrid.network.model import PHASES, Network, three_phase_buses
from evgrid.network.screening import Extremes
from evgrid.params import default


@dataclass(frozen=True)
class Limits:
    """The limits a study checks (defaults from the parameter table, with their clauses).

    Parameters
    ----------
    under_1ph_pu, over_1ph_pu
        Allowed drop and rise of a single-phase supply voltage [pu].
    dev_3ph_pu
        Allowed deviation of a three-phase supply voltage [pu].
    unbalance_pct
        Largest negative-sequence voltage unbalance [%].
    cable_pu
        Largest cable current / derated ampacity [pu].
    unit_pu
        Largest transformer phase loading [pu].
    """

    under_1ph_pu: float = field(
        default_factory=lambda: float(default("network_voltage_under_1ph_pu"))
    )
    over_1ph_pu: float = field(
        default_factory=lambda: float(default("network_voltage_over_1ph_pu"))
    )
    dev_3ph_pu: float = field(default_factory=lambda: float(default("network_voltage_dev_3ph_pu")))
    unbalance_pct: float = field(
        default_factory=lambda: float(default("network_unbalance_limit_pct"))
    )
    cable_pu: float = field(
        default_factory=lambda: float(default("network_cable_loading_limit_pu"))
    )
    unit_pu: float = field(default_factory=lambda: float(default("loading_limit_pu")))


@dataclass(frozen=True)
class Element:
    """One element's worst value against its limit.

    Parameters
    ----------
    element
        ``bus NAME phase P``, ``cable FROM-TO phase P``, ``transformer NAME``.
    kind
        ``undervoltage``, ``overvoltage``, ``unbalance``, ``cable``, ``transformer``.
    value
        Its worst value [pu or %].
    limit
        The limit [pu or %].
    utilisation
        Value over what the limit allows (1.0 at the limit) [-].
    step
        The step where it occurs [-].
    """

    element: str
    kind: str
    value: float
    limit: float
    utilisation: float
    step: int
    index: int = -1
    phase: int = -1

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""

        def number(x: float) -> float | None:
            return round(x, 6) if np.isfinite(x) else None

        return {
            "element": self.element,
            "kind": self.kind,
            "value": number(self.value),
            "limit": self.limit,
            "utilisation": number(self.utilisation),
            "step": self.step,
        }


def utilisation(net: Network, ext: Extremes, limits: Limits | None = None) -> list[Element]:
    """The worst element of each kind, most utilised first (every kind that has elements)."""
    lim = limits or Limits()
    three = three_phase_buses(net)
    energised = np.asarray(np.isfinite(ext.vmin_pu).all(axis=1))
    under = np.where(three, lim.dev_3ph_pu, lim.under_1ph_pu)[:, None]
    over = np.where(three, lim.dev_3ph_pu, lim.over_1ph_pu)[:, None]
    out: list[Element] = []

    def best(
        util: np.ndarray,
        values: np.ndarray,
        steps: np.ndarray,
        kind: str,
        name: Any,
        limit: np.ndarray | float,
    ) -> None:
        if util.size == 0:
            return
        idx = np.unravel_index(int(np.nanargmax(util)), util.shape)
        lim_v = float(np.broadcast_to(limit, util.shape)[idx])
        where = (int(idx[0]), int(idx[1]) if len(idx) > 1 else -1)
        out.append(
            Element(
                name(idx),
                kind,
                float(values[idx]),
                lim_v,
                float(util[idx]),
                int(steps[idx]),
                *where,
            )
        )

    def bus_name(idx: Any) -> str:
        return f"bus {net.bus_names[idx[0]]} phase {PHASES[idx[1]]}"

    def cable_name(idx: Any) -> str:
        c = idx[0]
        text = f"cable {net.bus_names[net.from_bus[c]]}-{net.bus_names[net.to_bus[c]]}"
        return text + (f" phase {PHASES[idx[1]]}" if len(idx) > 1 else "")

    vmin = np.where(energised[:, None], ext.vmin_pu, 1.0)
    vmax = np.where(energised[:, None], ext.vmax_pu, 1.0)
    best(
        (1.0 - vmin) / under,
        vmin,
        ext.vmin_step,
        "undervoltage",
        bus_name,
        1.0 - np.broadcast_to(under, vmin.shape),
    )
    best(
        (vmax - 1.0) / over,
        vmax,
        ext.vmax_step,
        "overvoltage",
        bus_name,
        1.0 + np.broadcast_to(over, vmax.shape),
    )
    unb = np.where(energised, ext.unbalance_pct, 0.0)
    best(
        unb / lim.unbalance_pct,
        unb,
        ext.unbalance_step,
        "unbalance",
        lambda idx: f"bus {net.bus_names[idx[0]]}",
        lim.unbalance_pct,
    )
    live = net.closed[:, None] & np.ones((1, 3), dtype=bool)
    cab = np.where(live, ext.cable_loading_pu, 0.0)
    best(cab / lim.cable_pu, cab, ext.cable_loading_step, "cable", cable_name, lim.cable_pu)
    units = np.array([u.in_service for u in net.units])
    uload = np.where(units, ext.unit_loading_pu, 0.0)
    best(
        uload / lim.unit_pu,
        uload,
        ext.unit_loading_step,
        "transformer",
        lambda idx: f"transformer {net.units[idx[0]].name}",
        lim.unit_pu,
    )
    return sorted(out, key=lambda e: -e.utilisation)


def binding(net: Network, ext: Extremes, limits: Limits | None = None) -> Element:
    """The most utilised element (it binds first)."""
    return utilisation(net, ext, limits)[0]


def step_utilisation(ext: Extremes, limits: Limits | None = None) -> np.ndarray:
    """The network's utilisation at each step ``(n_steps,)`` [-]: the largest of every limit's
    (voltage drop and rise at the buses held to the single-phase and to the three-phase limit,
    unbalance, cable and transformer loading) from the screen's network-wide values per step
    (:data:`~evgrid.network.screening.PER_STEP`). Its largest value is the largest element
    utilisation of :func:`utilisation`, up to the screen's error bound."""
    lim = limits or Limits()
    s = ext.per_step
    with np.errstate(invalid="ignore"):  # inf - inf where a class has no bus: not a value
        parts = np.stack(
            [
                (1.0 - s["min_voltage_1ph_pu"]) / lim.under_1ph_pu,
                (s["max_voltage_1ph_pu"] - 1.0) / lim.over_1ph_pu,
                (1.0 - s["min_voltage_3ph_pu"]) / lim.dev_3ph_pu,
                (s["max_voltage_3ph_pu"] - 1.0) / lim.dev_3ph_pu,
                s["max_voltage_unbalance_pct"] / lim.unbalance_pct,
                s["max_cable_loading_pu"] / lim.cable_pu,
                s["max_transformer_loading_pu"] / lim.unit_pu,
            ]
        )
    return np.asarray(np.nanmax(np.where(np.isfinite(parts), parts, -np.inf), axis=0))
