"""Reinforcement of a low-voltage area, cheapest first, so that every limit holds through the years.

The options (costs from a cost table, ``evgrid/data/network/costs.csv``: illustrative defaults,
every row marked assumed; give your own table with the same columns):

* ``rephase`` -- move single-phase piles to balance the phases
  (:func:`evgrid.network.phases.assign_phases` on every pile), per pile moved;
* ``cable`` -- replace a cable section by the next larger size of its family, or lay a second
  one beside a section of the largest size, per metre;
* ``feeder`` -- split a feeder: a new cable of the family's largest size from the busbar to the
  bus beyond the overloaded section that leaves about half its load behind (the cable into that
  bus opened), fixed part and per metre;
* ``unit`` -- a second transformer of the same rating beside the first, on a new busbar section
  that takes every other feeder (by households beyond, largest first);
* ``dedicated`` -- a dedicated charging transformer: the piles leave the area's network (their
  own meter and unit, sized to their peak at the loading limit).

The search walks through the scenario years in order (pile ratio per year): while a year fails,
it takes the element that binds most, lists the options that address its kind (cable:
re-phase when the piles beyond it are unbalanced, the next size, a split; undervoltage: the same
for the path's section of the largest drop; unbalance: re-phase; transformer: a unit or a
dedicated one), and applies the cheapest that lowers that element's utilisation; an option once
applied stays for the later years. It is a greedy plan, not a proven optimum: the costs of later
years are not weighed against earlier ones.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.network.cables import cable_names, cable_type, next_size, transformer_data
from evgrid.network.fleet import Fleet, pile_profiles
from evgrid.network.limits import Element, Limits
from evgrid.network.model import Network
from evgrid.network.phases import assign_phases
from evgrid.network.study import Evaluation, evaluate, resolve_network
from evgrid.params import as_generator, default, parameter

Modification = Callable[[Network], Network]

MAX_ACTIONS_PER_YEAR = 8
"""Most options applied for one year before the search gives up [-]."""

IMPROVEMENT = 0.005
"""An option is taken when it lowers the binding element's utilisation by at least this [-]."""


@dataclass(frozen=True)
class CostTable:
    """Reinforcement costs by option and size [yuan] (``costs.csv``'s columns)."""

    rows: tuple[tuple[str, float | None, float, float], ...]

    @staticmethod
    def bundled() -> CostTable:
        """The illustrative defaults (every row assumed)."""
        text = resources.files("evgrid").joinpath("data", "network", "costs.csv").read_text("utf-8")
        lines = [line for line in text.splitlines() if not line.startswith("#")]
        rows = []
        for r in csv.DictReader(io.StringIO("\n".join(lines))):
            size = float(r["size"]) if r["size"] else None
            rows.append((r["option"], size, float(r["fixed_yuan"]), float(r["per_m_yuan"])))
        return CostTable(tuple(rows))

    def cost(self, option: str, *, size: float | None = None, length_m: float = 0.0) -> float:
        """Cost of an option [yuan]: the row of the size, or of the next larger size."""
        rows = [r for r in self.rows if r[0] == option]
        if not rows:
            raise bad_value("cost table option", option, "a row for it")
        if size is not None and rows[0][1] is not None:
            bigger = sorted(
                (r for r in rows if r[1] is not None and r[1] >= size - 1e-9),
                key=lambda r: r[1] or 0.0,
            )
            row = bigger[0] if bigger else max(rows, key=lambda r: r[1] or 0.0)
        else:
            row = rows[0]
        return row[2] + row[3] * length_m


@dataclass(frozen=True)
class Action:
    """One reinforcement: the year it is needed, the option, what it fixes, its cost."""

    year: int
    option: str
    element: str
    cost_yuan: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Plan:
    """A reinforcement plan through the scenario years.

    Parameters
    ----------
    actions
        The options taken, in order.
    years
        Year -> whether every limit holds after the plan's actions up to that year, and the
        binding element then.
    """

    actions: list[Action]
    years: dict[int, tuple[bool, Element]] = field(default_factory=dict)

    @property
    def total_cost_yuan(self) -> float:
        """Sum of the actions' costs [yuan]."""
        return float(sum(a.cost_yuan for a in self.actions))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "actions": [a.to_dict() for a in self.actions],
            "total_cost_yuan": self.total_cost_yuan,
            "years": {
                str(y): {"passes": ok, "binding": e.to_dict()} for y, (ok, e) in self.years.items()
            },
        }


def default_ratios() -> dict[int, float]:
    """Pile ratio by year: the medium scenario's EV shares (one car a space)."""
    return {
        2025: float(default("ev_share_2025_medium")),
        2030: float(default("ev_share_2030")),
        2035: float(default("ev_share_2035_medium")),
        2050: float(default("ev_share_2050_medium")),
    }


# -- modifications -----------------------------------------------------------------------------


def _rephase(net: Network) -> Network:
    return assign_phases(net.with_piles(net.pile_bus, np.full(net.n_pile, -1), net.pile_kw))


def _with_cable(net: Network, k: int, kind: str) -> Network:
    ct = cable_type(kind)
    km = net.length_m[k] / 1000.0
    arrays = {
        n: getattr(net, n).copy() for n in ("r1_ohm", "x1_ohm", "r0_ohm", "x0_ohm", "ampacity_a")
    }
    arrays["r1_ohm"][k], arrays["x1_ohm"][k] = ct.r1_ohm_per_km * km, ct.x1_ohm_per_km * km
    arrays["r0_ohm"][k], arrays["x0_ohm"][k] = ct.r0_ohm_per_km * km, ct.x0_ohm_per_km * km
    arrays["ampacity_a"][k] = ct.derated_a()
    types = list(net.cable_type)
    types[k] = kind
    return dataclasses.replace(
        net, cable_type=tuple(types), xy_m=net.xy_m, spaces=net.spaces, **arrays
    )


def _parallel(net: Network, k: int) -> Network:
    """A second cable of the same type laid beside cable ``k`` (half the impedance, twice the
    ampacity)."""
    arrays = {n: getattr(net, n).copy() for n in ("r1_ohm", "x1_ohm", "r0_ohm", "x0_ohm")}
    for a in arrays.values():
        a[k] /= 2.0
    amp = net.ampacity_a.copy()
    amp[k] *= 2.0
    types = list(net.cable_type)
    types[k] = f"2x {types[k]}"
    return dataclasses.replace(
        net, cable_type=tuple(types), ampacity_a=amp, xy_m=net.xy_m, spaces=net.spaces, **arrays
    )


def _split_point(net: Network, k: int) -> int:
    """The bus beyond cable ``k`` from which a new feeder takes about half the load beyond it
    (following the most loaded child), or ``-1`` when the cable feeds a single bus."""
    tree = net.tree()
    load = net.households.sum(axis=1).astype(float)
    if net.n_pile:
        np.add.at(load, net.pile_bus, 3.0)
    for b in tree.order[::-1]:
        if tree.parent[b] >= 0:
            load[tree.parent[b]] += load[b]
    far = int(net.to_bus[k]) if tree.cable_to[net.to_bus[k]] == k else int(net.from_bus[k])
    children: dict[int, list[int]] = {}
    for b in tree.order:
        if tree.parent[b] >= 0:
            children.setdefault(int(tree.parent[b]), []).append(int(b))
    half, b = load[far] / 2.0, far
    while children.get(b):
        nxt = max(children[b], key=lambda c: load[c])
        b = nxt
        if load[b] <= half:
            break
    return -1 if b == far else b


def _split(net: Network, k: int) -> Network:
    """A new feeder of the family's largest size from the busbar to :func:`_split_point`, the
    cable into that bus opened."""
    tree = net.tree()
    target = _split_point(net, k)
    length, b = 0.0, target
    while tree.parent[b] >= 0:
        length += float(net.length_m[tree.cable_to[b]])
        b = int(tree.parent[b])
    family = net.cable_type[k].split("-")[0].replace("2x ", "")
    kinds = [n for n in cable_names() if n.startswith(family + "-")] or ["YJV22-4x240"]
    kind = max(kinds, key=lambda n: cable_type(n).size_mm2)
    ct = cable_type(kind)
    km = length / 1000.0
    closed = net.closed.copy()
    closed[tree.cable_to[target]] = False
    return dataclasses.replace(
        net,
        from_bus=np.append(net.from_bus, b),
        to_bus=np.append(net.to_bus, target),
        cable_type=(*net.cable_type, kind),
        length_m=np.append(net.length_m, length),
        r1_ohm=np.append(net.r1_ohm, ct.r1_ohm_per_km * km),
        x1_ohm=np.append(net.x1_ohm, ct.x1_ohm_per_km * km),
        r0_ohm=np.append(net.r0_ohm, ct.r0_ohm_per_km * km),
        x0_ohm=np.append(net.x0_ohm, ct.x0_ohm_per_km * km),
        ampacity_a=np.append(net.ampacity_a, ct.derated_a()),
        closed=np.append(closed, True),
        xy_m=net.xy_m,
        spaces=net.spaces,
    )


def _add_unit(net: Network, u: int) -> Network:
    """A unit of the same rating on a new busbar section taking every other feeder."""
    unit = net.units[u]
    tree = net.tree()
    heads = [
        k
        for k in np.flatnonzero(net.closed)
        if tree.parent[net.to_bus[k]] == unit.bus or tree.parent[net.from_bus[k]] == unit.bus
    ]
    load = net.households.sum(axis=1).astype(float)
    if net.n_pile:
        np.add.at(load, net.pile_bus, 3.0)
    for b in tree.order[::-1]:
        if tree.parent[b] >= 0:
            load[tree.parent[b]] += load[b]
    heads.sort(key=lambda k: -load[net.to_bus[k] if net.to_bus[k] != unit.bus else net.from_bus[k]])
    new_bus = net.n_bus
    from_bus, to_bus = net.from_bus.copy(), net.to_bus.copy()
    for k in heads[1::2]:
        if from_bus[k] == unit.bus:
            from_bus[k] = new_bus
        else:
            to_bus[k] = new_bus
    new = dataclasses.replace(unit, name=f"{unit.name}+", bus=new_bus)
    xy = np.vstack([np.asarray(net.xy_m), np.asarray(net.xy_m)[unit.bus] + [0.0, -5.0]])
    return dataclasses.replace(
        net,
        units=(*net.units, new),
        bus_names=(*net.bus_names, f"{net.bus_names[unit.bus]}+"),
        from_bus=from_bus,
        to_bus=to_bus,
        households=np.vstack([net.households, np.zeros((1, 3), np.int64)]),
        spaces=np.append(np.asarray(net.spaces), 0),
        xy_m=xy,
    )


def _no_piles(net: Network) -> Network:
    return net.with_piles(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))


# -- the search ---------------------------------------------------------------------------------


def _path_cable(net: Network, bus: int) -> int:
    """The section on the path to ``bus`` with the largest resistance x load beyond it."""
    tree = net.tree()
    load = net.households.sum(axis=1).astype(float)
    if net.n_pile:
        np.add.at(load, net.pile_bus, 3.0)
    for b in tree.order[::-1]:
        if tree.parent[b] >= 0:
            load[tree.parent[b]] += load[b]
    best, score, b = -1, -1.0, bus
    while tree.parent[b] >= 0:
        c = int(tree.cable_to[b])
        if net.r1_ohm[c] * load[b] > score:
            best, score = c, float(net.r1_ohm[c] * load[b])
        b = int(tree.parent[b])
    return best


def _unbalanced_beyond(net: Network, cable: int) -> bool:
    tree = net.tree()
    far = (
        int(net.to_bus[cable])
        if tree.cable_to[net.to_bus[cable]] == cable
        else int(net.from_bus[cable])
    )
    beyond = tree.downstream(cable, net) if tree.cable_to[far] == cable else np.array([far])
    counts = np.bincount(
        net.pile_phase[np.isin(net.pile_bus, beyond) & (net.pile_phase < 3)].clip(0), minlength=3
    )
    return bool(counts.max() - counts.min() > 1)


def _options(
    net: Network,
    el: Element,
    costs: CostTable,
    fleet: Fleet,
    ratio: float,
    strategy: str,
    seed: int,
    final_ratio: float,
) -> list[tuple[float, str, str, Modification]]:
    out: list[tuple[float, str, str, Modification]] = []
    moved = int(np.sum(_rephase(net).pile_phase != net.pile_phase)) if net.n_pile else 0
    rephase = (
        costs.cost("rephase") * moved,
        "rephase",
        f"{moved} piles to other phases",
        _rephase,
    )
    if el.kind in ("cable", "undervoltage"):
        k = el.index if el.kind == "cable" else _path_cable(net, el.index)
        if k < 0:
            return out
        if moved and (_unbalanced_beyond(net, k) or el.kind == "undervoltage"):
            out.append(rephase)
        bigger = next_size(net.cable_type[k])
        if bigger is not None:
            out.append(
                (
                    costs.cost(
                        "cable", size=cable_type(bigger).size_mm2, length_m=float(net.length_m[k])
                    ),
                    "cable",
                    f"{net.cable_type[k]} -> {bigger}, {net.length_m[k]:.0f} m",
                    functools.partial(_with_cable, k=k, kind=bigger),
                )
            )
        elif not net.cable_type[k].startswith("2x") and net.cable_type[k] in cable_names():
            size = cable_type(net.cable_type[k]).size_mm2
            out.append(
                (
                    costs.cost("cable", size=size, length_m=float(net.length_m[k])),
                    "cable",
                    f"a second {net.cable_type[k]} beside it, {net.length_m[k]:.0f} m",
                    functools.partial(_parallel, k=k),
                )
            )
        if _split_point(net, k) >= 0:
            split = _split(net, k)
            out.append(
                (
                    costs.cost("feeder", length_m=float(split.length_m[-1])),
                    "feeder",
                    f"new {split.cable_type[-1]} {split.length_m[-1]:.0f} m from the busbar "
                    f"to {net.bus_names[int(split.to_bus[-1])]}",
                    functools.partial(_split, k=k),
                )
            )
    elif el.kind == "unbalance" and moved:
        out.append(rephase)
    elif el.kind == "transformer":
        u = el.index
        rating = net.units[u].rating_kva
        out.append(
            (
                costs.cost("unit", size=rating),
                "unit",
                f"a second {rating:.0f} kVA unit",
                functools.partial(_add_unit, u=u),
            )
        )
        if net.n_pile:
            piles = pile_profiles(
                fleet, *fleet.piles_at(final_ratio), strategy, np.random.default_rng(seed)
            )
            need = float(piles.sum(axis=1).max()) / float(default("ev_power_factor"))
            need /= float(default("loading_limit_pu"))
            size = next(
                (r for r, _, _ in transformer_data() if r >= need), transformer_data()[-1][0]
            )
            out.append(
                (
                    costs.cost("dedicated", size=size),
                    "dedicated",
                    f"a {size:.0f} kVA charging transformer (sized for the last year's piles)",
                    _no_piles,
                )
            )
    return sorted(out, key=lambda o: o[0])


def reinforce(
    network: Network | str,
    *,
    ratios: Mapping[int, float] | None = None,
    strategy: str = "uncontrolled",
    days: int | None = None,
    seed: int | np.random.SeedSequence | None = None,
    costs: CostTable | None = None,
    limits: Limits | None = None,
    behaviour: Any = None,
    household_day_kw: Any = None,
    band: str | None = None,
) -> Plan:
    """The cheapest-first reinforcement plan through the scenario years (module docstring).

    Parameters
    ----------
    network
        The area (a :class:`Network`, bundled name or file).
    ratios
        Pile ratio by year [-]; default :func:`default_ratios`.
    strategy
        Charging strategy.
    days, seed
        Monte Carlo days and seed; defaults ``network_days`` and ``seed``.
    costs
        Cost table; default :meth:`CostTable.bundled` (illustrative).
    limits
        The limits; default the standards'.
    behaviour, household_day_kw
        The cars' behaviour and one household's day ``(96,)`` [kW], as
        :func:`evgrid.network.study.network` takes them (defaults: ``behaviour_residential``,
        the typical day at the planning index).
    band
        How a year's days are read (:mod:`evgrid.network.study`); default the parameter
        ``network_band``.

    Returns
    -------
    Plan
    """
    net0 = resolve_network(network)
    table = costs or CostTable.bundled()
    by_year = dict(sorted((ratios or default_ratios()).items()))
    n_days = int(default("network_days") if days is None else days)
    chosen_band = str(parameter("network_band").resolve(band, "band"))
    rng = as_generator(int(default("seed")) if seed is None else seed)
    fleet_rng, run_rng = rng.spawn(2)
    run_seed = int(run_rng.integers(2**63 - 1))
    day = None if household_day_kw is None else np.asarray(household_day_kw, dtype=np.float64)
    fleet = Fleet.build(net0, n_days, fleet_rng, behaviour, day)
    mods: list[Modification] = []
    actions: list[Action] = []
    years: dict[int, tuple[bool, Element]] = {}

    def run(ratio: float, extra: list[Modification]) -> tuple[Evaluation, Network]:
        net, spaces = fleet.piles_at(ratio)
        for m in [*mods, *extra]:
            net = m(net)
        if net.n_pile == 0:
            spaces = spaces[:0]
        ev = evaluate(
            fleet,
            ratio,
            strategy,
            symmetric=False,
            seed=run_seed,
            limits=limits,
            net=net,
            spaces=spaces,
            band=chosen_band,
        )
        return ev, net

    for year, ratio in by_year.items():
        ev, net = run(ratio, [])
        for _ in range(MAX_ACTIONS_PER_YEAR):
            if ev.passes:
                break
            worst = ev.elements[0]
            taken = False
            for cost, option, detail, mod in _options(
                net, worst, table, fleet, ratio, strategy, run_seed, max(by_year.values())
            ):
                trial, trial_net = run(ratio, [mod])
                same = [e for e in trial.elements if e.kind == worst.kind]
                after = same[0].utilisation if same else 0.0
                if after < worst.utilisation - IMPROVEMENT or trial.passes:
                    mods.append(mod)
                    actions.append(Action(year, option, worst.element, cost, detail))
                    ev, net, taken = trial, trial_net, True
                    break
            if not taken:
                break
        years[year] = (ev.passes, ev.elements[0])
    return Plan(actions, years)


__all__ = ["Action", "CostTable", "Plan", "reinforce"]
