"""Two-transformer rooms and N-1: normal operation and one unit out.

A room of two units feeds a sectionalised low-voltage busbar: in normal operation each unit feeds
its own section and the bus tie is open; with one unit out (a fault or maintenance), its breaker
opens and the tie closes, so the remaining unit feeds both sections (:func:`outage`). The design
rule checked (parameter ``network_n1_loading_limit_pu``, assumed 1.3 pu): the remaining unit may
carry up to 1.3 times its rating while the other is out -- IEC 60076-7 clause 7 allows short-time
emergency loading of oil-immersed units up to 1.5 pu; Chinese practice sizes a two-unit room so
that one unit can carry the important load. Every other limit (voltage, unbalance, cables) stays
as in normal operation.

:func:`n1_hosting` gives the largest pile ratio at which normal operation passes its limits and
every single-unit outage passes the N-1 rule, and what binds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.network.fleet import Fleet
from evgrid.network.limits import Element, Limits
from evgrid.network.model import Network
from evgrid.network.study import RATIO_STEP, Evaluation, evaluate
from evgrid.params import default


def outage(net: Network, unit: int) -> Network:
    """The network with unit ``unit`` out and the open cables (bus ties) that reconnect its
    buses closed.

    Raises
    ------
    InputError
        No other unit in service, or a bus left without supply.
    """
    if not 0 <= unit < len(net.units):
        raise bad_value("unit", unit, f"0..{len(net.units) - 1}")
    units = tuple(
        dataclasses.replace(u, in_service=u.in_service and k != unit)
        for k, u in enumerate(net.units)
    )
    if not any(u.in_service for u in units):
        raise bad_value("unit", net.units[unit].name, "a unit of a room with another in service")
    closed = net.closed.copy()
    while True:  # close ties from a fed bus to a dead one until every bus is fed
        fed = _fed_by(net, units, closed) >= 0
        ties = np.flatnonzero(~closed & (fed[net.from_bus] != fed[net.to_bus]))
        if ties.size == 0:
            break
        closed[ties[0]] = True
    return dataclasses.replace(
        net,
        name=f"{net.name} ({net.units[unit].name} out)",
        units=units,
        closed=closed,
        xy_m=net.xy_m,
        spaces=net.spaces,
    )


def _fed_by(net: Network, units: tuple[Any, ...], closed: np.ndarray) -> np.ndarray:
    """The unit feeding each bus (``-1``: none) through the ``closed`` cables."""
    n = net.n_bus
    feeder = np.full(n, -1, np.int64)
    adj: list[list[int]] = [[] for _ in range(n)]
    for k in np.flatnonzero(closed).tolist():
        adj[int(net.from_bus[k])].append(int(net.to_bus[k]))
        adj[int(net.to_bus[k])].append(int(net.from_bus[k]))
    for u, unit in enumerate(units):
        if not unit.in_service or feeder[unit.bus] >= 0:
            continue
        stack = [unit.bus]
        feeder[unit.bus] = u
        while stack:
            b = stack.pop()
            for c in adj[b]:
                if feeder[c] < 0:
                    feeder[c] = u
                    stack.append(c)
    return feeder


@dataclass(frozen=True)
class N1Result:
    """Normal operation and every single-unit outage at one pile ratio, or the N-1 hosting.

    Parameters
    ----------
    pile_ratio
        The ratio studied, or the largest that passes every case [-].
    cases
        Case name (``normal``, ``T1 out``, ...) -> its evaluation.
    binding
        The most utilised element over the cases (just above the capacity for a hosting answer)
        and its case.
    """

    pile_ratio: float
    cases: dict[str, Evaluation]
    binding: tuple[str, Element]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "pile_ratio": round(self.pile_ratio, 4),
            "cases": {
                k: {
                    "passes": v.passes,
                    "min_voltage_pu": round(v.extremes.min_voltage_pu, 6),
                    "max_cable_loading_pu": round(v.extremes.max_cable_loading_pu, 6),
                    "max_transformer_loading_pu": round(v.extremes.max_transformer_loading_pu, 6),
                    "binding": v.elements[0].to_dict(),
                }
                for k, v in self.cases.items()
            },
            "binding": {"case": self.binding[0], **self.binding[1].to_dict()},
        }


def n1_cases(
    fleet: Fleet,
    ratio: float,
    strategy: str,
    *,
    symmetric: bool = False,
    seed: int = 0,
    limits: Limits | None = None,
    band: str = "worst",
) -> N1Result:
    """Evaluate normal operation and each single-unit outage at ``ratio`` (``band``: how the
    days are read, :mod:`evgrid.network.study`)."""
    lim = limits or Limits()
    n1_lim = dataclasses.replace(lim, unit_pu=float(default("network_n1_loading_limit_pu")))
    net, spaces = fleet.piles_at(ratio)
    cases = {
        "normal": evaluate(
            fleet,
            ratio,
            strategy,
            symmetric=symmetric,
            seed=seed,
            limits=lim,
            net=net,
            spaces=spaces,
            band=band,
        )
    }
    for u, unit in enumerate(net.units):
        if unit.in_service and sum(x.in_service for x in net.units) > 1:
            cases[f"{unit.name} out"] = evaluate(
                fleet,
                ratio,
                strategy,
                symmetric=symmetric,
                seed=seed,
                limits=n1_lim,
                net=outage(net, u),
                spaces=spaces,
                band=band,
            )
    worst = max(cases.items(), key=lambda kv: kv[1].elements[0].utilisation)
    return N1Result(ratio, cases, (worst[0], worst[1].elements[0]))


def n1_hosting(
    fleet: Fleet,
    strategy: str,
    *,
    symmetric: bool = False,
    seed: int = 0,
    limits: Limits | None = None,
    band: str = "worst",
) -> N1Result:
    """The largest pile ratio (1 % steps) at which every case passes (bisection)."""
    n = round(1.0 / RATIO_STEP)
    cache: dict[int, N1Result] = {}

    def at(k: int) -> N1Result:
        if k not in cache:
            cache[k] = n1_cases(
                fleet,
                k * RATIO_STEP,
                strategy,
                symmetric=symmetric,
                seed=seed,
                limits=limits,
                band=band,
            )
        return cache[k]

    def ok(k: int) -> bool:
        return all(c.passes for c in at(k).cases.values())

    if ok(n):
        return at(n)
    if not ok(0):
        return at(0)
    lo, hi = 0, n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return N1Result(lo * RATIO_STEP, at(lo).cases, at(hi).binding)
