"""The low-voltage network: transformers, buses, cables, households and piles per bus and phase.

A :class:`Network` is an immutable struct of arrays, validated on construction. Bus 0 need not be
special: every transformer names the bus it feeds (its low-voltage busbar), every cable joins two
buses, a cable may be open (a tie between two busbar sections). Households sit on a bus and a
phase (``households[bus, phase]``); piles sit on a bus and a phase (``-1`` = not known yet, then
:func:`evgrid.network.phases.assign_phases` chooses one); single-phase loads are connected phase
to neutral.

Electrical model (as power-grid-model takes it, :mod:`evgrid.network.powerflow`): a medium-voltage
source of short-circuit power ``source_sk_mva``; two-winding units with short-circuit impedance
``uk_pct``, load losses ``pk_w``, an off-load tap; cables as sequence impedances (``z0 = 4 z1``
for four equal cores, :mod:`evgrid.network.cables`) without shunt capacitance (a few tenths of an
ampere per kilometre at 0.4 kV); loads at constant power.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from evgrid.errors import bad_value
from evgrid.params import default
from evgrid.timegrid import FloatArray, IntArray

PHASES = ("a", "b", "c")
"""Phase names; index 0, 1, 2."""

UNKNOWN_PHASE = -1
"""Phase index of a pile whose phase is not known (assigned before a study)."""

THREE_PHASE = 3
"""Phase index of a three-phase pile (its power split equally)."""


@dataclass(frozen=True)
class Unit:
    """A 10/0.4 kV distribution transformer.

    Parameters
    ----------
    name
        Label.
    bus
        Index of the low-voltage bus it feeds [-].
    rating_kva
        Rated power [kVA].
    uk_pct
        Short-circuit impedance [% of rated voltage].
    pk_w
        Load losses at rated current [W].
    vector_group
        ``Dyn11`` (or ``Dyn1``, ``Dyn5``; delta primary) or ``Yyn0``.
    primary_kv
        Rated primary voltage [kV].
    secondary_v
        Rated secondary (no-load) line voltage [V].
    tap_pos
        Off-load tap position, 0 = nominal [-] (positive raises the primary turns, lowering the
        secondary voltage).
    tap_step_pct
        Voltage per tap step [%].
    tap_min, tap_max
        Tap range [-].
    in_service
        False for a unit that is out (N-1).
    """

    name: str
    bus: int
    rating_kva: float
    uk_pct: float
    pk_w: float
    vector_group: str = "Dyn11"
    primary_kv: float = 10.0
    secondary_v: float = 400.0
    tap_pos: int = 0
    tap_step_pct: float = 2.5
    tap_min: int = -2
    tap_max: int = 2
    in_service: bool = True

    @property
    def r_pu(self) -> float:
        """Series resistance on the unit's own base [pu]."""
        return self.pk_w / (self.rating_kva * 1e3)

    @property
    def x_pu(self) -> float:
        """Series reactance on the unit's own base [pu]."""
        return float(np.sqrt(max((self.uk_pct / 100.0) ** 2 - self.r_pu**2, 0.0)))


@dataclass(frozen=True, eq=False)
class Network:
    """A low-voltage area.

    Parameters
    ----------
    name
        Label.
    nominal_v
        Nominal line-to-line voltage of the low-voltage buses [V] (380 in China, GB/T 156).
    mv_kv
        Nominal voltage of the medium-voltage source [kV].
    source_sk_mva
        Short-circuit power of the source [MVA].
    source_voltage_pu
        Source voltage [pu of ``mv_kv``].
    source_rx
        R/X of the source impedance [-].
    units
        The transformers.
    bus_names
        One name per bus, ``(n_bus,)``.
    from_bus, to_bus
        Cable ends ``(n_cable,)`` [-].
    cable_type
        Type designation per cable (or ``custom``).
    length_m
        Cable length [m].
    r1_ohm, x1_ohm, r0_ohm, x0_ohm
        Sequence impedance of each cable, whole length [ohm].
    ampacity_a
        Continuous current of each cable after the installation derating [A].
    closed
        Whether each cable is in service (an open one is a normally open tie) ``(n_cable,)``.
    households
        Households per bus and phase ``(n_bus, 3)`` [-].
    pile_bus, pile_phase
        Bus and phase (0, 1, 2; ``-1`` unknown; 3 three-phase) of each pile ``(n_pile,)``.
    pile_kw
        Rating of each pile [kW].
    spaces
        Parking spaces per bus that can take a pile ``(n_bus,)`` [-]; default the households.
    xy_m
        Drawing coordinates of each bus ``(n_bus, 2)`` [m]; default a tree layout.
    """

    name: str
    nominal_v: float
    mv_kv: float
    source_sk_mva: float
    source_voltage_pu: float
    units: tuple[Unit, ...]
    bus_names: tuple[str, ...]
    from_bus: IntArray
    to_bus: IntArray
    cable_type: tuple[str, ...]
    length_m: FloatArray
    r1_ohm: FloatArray
    x1_ohm: FloatArray
    r0_ohm: FloatArray
    x0_ohm: FloatArray
    ampacity_a: FloatArray
    closed: np.ndarray
    households: IntArray
    pile_bus: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    pile_phase: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    pile_kw: FloatArray = field(default_factory=lambda: np.empty(0))
    spaces: IntArray | None = None
    xy_m: FloatArray | None = None
    source_rx: float = 0.1

    def __post_init__(self) -> None:
        n_bus = len(self.bus_names)
        ints = ("from_bus", "to_bus", "pile_bus", "pile_phase")
        for name in ints:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        floats = ("length_m", "r1_ohm", "x1_ohm", "r0_ohm", "x0_ohm", "ampacity_a", "pile_kw")
        for name in floats:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        object.__setattr__(self, "closed", np.asarray(self.closed, dtype=bool))
        object.__setattr__(self, "households", np.asarray(self.households, dtype=np.int64))
        n_cable = self.from_bus.size
        where = f"network {self.name}"
        for name in ("to_bus", "length_m", "r1_ohm", "x1_ohm", "r0_ohm", "x0_ohm", "ampacity_a"):
            if getattr(self, name).shape != (n_cable,):
                raise bad_value(f"{where}: {name}", getattr(self, name).shape, f"({n_cable},)")
        if len(self.cable_type) != n_cable or self.closed.shape != (n_cable,):
            raise bad_value(f"{where}: cables", len(self.cable_type), f"{n_cable} types")
        if self.households.shape != (n_bus, 3) or np.any(self.households < 0):
            raise bad_value(f"{where}: households", self.households.shape, f"({n_bus}, 3) >= 0")
        for name in ("from_bus", "to_bus", "pile_bus"):
            arr = getattr(self, name)
            if arr.size and (arr.min() < 0 or arr.max() >= n_bus):
                raise bad_value(f"{where}: {name}", int(arr.max()), f"bus indices 0..{n_bus - 1}")
        if np.any(self.from_bus == self.to_bus):
            raise bad_value(f"{where}: cable", "a cable from a bus to itself", "two buses")
        if not (self.pile_phase.shape == self.pile_kw.shape == self.pile_bus.shape):
            raise bad_value(f"{where}: piles", self.pile_phase.shape, "one phase and kW per pile")
        if self.pile_phase.size and (self.pile_phase.min() < -1 or self.pile_phase.max() > 3):
            raise bad_value(f"{where}: pile phase", int(self.pile_phase.max()), "-1 .. 3")
        if not self.units:
            raise bad_value(f"{where}: transformers", 0, "at least one")
        for u in self.units:
            if not 0 <= u.bus < n_bus:
                raise bad_value(f"{where}: transformer {u.name} bus", u.bus, f"0..{n_bus - 1}")
            if not (u.rating_kva > 0 and u.uk_pct > 0 and u.pk_w >= 0):
                raise bad_value(f"{where}: transformer {u.name}", u.rating_kva, "rating, uk > 0")
        for name in ("length_m", "ampacity_a"):
            arr = getattr(self, name)
            if arr.size and not (np.all(np.isfinite(arr)) and arr.min() > 0):
                raise bad_value(f"{where}: {name}", float(arr.min()), "finite numbers > 0")
        if self.spaces is None:
            object.__setattr__(self, "spaces", self.households.sum(axis=1))
        else:
            object.__setattr__(self, "spaces", np.asarray(self.spaces, dtype=np.int64))
        if self.xy_m is None:
            object.__setattr__(self, "xy_m", _layout(self))
        _check_tree(self)

    # -- sizes ------------------------------------------------------------------------------
    @property
    def n_bus(self) -> int:
        """Buses [-]."""
        return len(self.bus_names)

    @property
    def n_cable(self) -> int:
        """Cables (open ones included) [-]."""
        return int(self.from_bus.size)

    @property
    def n_pile(self) -> int:
        """Piles [-]."""
        return int(self.pile_bus.size)

    @property
    def phase_v(self) -> float:
        """Nominal phase-to-neutral voltage [V]."""
        return self.nominal_v / np.sqrt(3.0)

    def bus(self, name: str) -> int:
        """Index of the bus called ``name``."""
        try:
            return self.bus_names.index(name)
        except ValueError:
            raise bad_value(f"network {self.name}: bus", name, "a bus of the network") from None

    # -- topology -----------------------------------------------------------------------------
    def tree(self) -> Tree:
        """The radial structure of the closed cables from the transformers' buses."""
        return _tree(self)

    def with_piles(
        self, pile_bus: IntArray, pile_phase: IntArray, pile_kw: FloatArray | None = None
    ) -> Network:
        """The same network with these piles instead of its own."""
        kw = (
            np.full(len(pile_bus), float(default("network_pile_power_kw")))
            if pile_kw is None
            else pile_kw
        )
        return replace(self, pile_bus=pile_bus, pile_phase=pile_phase, pile_kw=kw)


@dataclass(frozen=True)
class Tree:
    """The radial structure of a network's closed cables.

    Parameters
    ----------
    order
        Energised buses, each after its parent (breadth first from the roots) ``(n,)``.
    parent
        Parent bus of each bus, ``-1`` for a root or a dead bus ``(n_bus,)``.
    cable_to
        The cable from the parent to each bus, ``-1`` for a root ``(n_bus,)``.
    root_unit
        The unit that feeds each bus, ``-1`` when none does ``(n_bus,)``.
    feeder
        The first cable out of the busbar on the path to each bus (``-1`` at a root) ``(n_bus,)``.
    depth
        Cables from the root ``(n_bus,)``.
    """

    order: IntArray
    parent: IntArray
    cable_to: IntArray
    root_unit: IntArray
    feeder: IntArray
    depth: IntArray

    def downstream(self, cable: int, net: Network) -> IntArray:
        """Buses fed through ``cable`` (its far end and everything beyond)."""
        start = int(self.order[np.flatnonzero(self.cable_to[self.order] == cable)][0])
        inside = np.zeros(self.parent.size, dtype=bool)
        inside[start] = True
        for b in self.order:
            p = self.parent[b]
            if p >= 0 and inside[p]:
                inside[b] = True
        return np.flatnonzero(inside)


def _tree(net: Network) -> Tree:
    n = net.n_bus
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for cab in np.flatnonzero(net.closed).tolist():
        a, b = int(net.from_bus[cab]), int(net.to_bus[cab])
        adj[a].append((b, cab))
        adj[b].append((a, cab))
    parent = np.full(n, -1, np.int64)
    cable_to = np.full(n, -1, np.int64)
    root_unit = np.full(n, -1, np.int64)
    feeder = np.full(n, -1, np.int64)
    depth = np.zeros(n, np.int64)
    seen = np.zeros(n, dtype=bool)
    order: list[int] = []
    for k, unit in enumerate(net.units):
        if not unit.in_service:
            continue
        if seen[unit.bus]:
            raise bad_value(
                f"network {net.name}: transformer {unit.name}",
                net.bus_names[unit.bus],
                "a bus no other transformer feeds through closed cables (a radial network: "
                "open the tie between the busbar sections)",
            )
        seen[unit.bus] = True
        root_unit[unit.bus] = k
        queue = [unit.bus]
        while queue:
            b = queue.pop(0)
            order.append(b)
            for c, cable in adj[b]:
                if cable == cable_to[b]:
                    continue
                if seen[c]:
                    raise bad_value(
                        f"network {net.name}: cable {net.bus_names[b]}-{net.bus_names[c]}",
                        "a loop",
                        "a radial network (open one cable of every loop)",
                    )
                seen[c] = True
                parent[c], cable_to[c], root_unit[c] = b, cable, k
                depth[c] = depth[b] + 1
                feeder[c] = cable if parent[b] < 0 else feeder[b]
                queue.append(c)
    return Tree(np.asarray(order, np.int64), parent, cable_to, root_unit, feeder, depth)


def _check_tree(net: Network) -> None:
    tree = _tree(net)
    dead = np.flatnonzero(tree.root_unit < 0)
    loaded = net.households.sum(axis=1) > 0
    if net.n_pile:
        loaded[net.pile_bus] = True
    if np.any(loaded[dead]):
        b = int(dead[np.argmax(loaded[dead])])
        raise bad_value(
            f"network {net.name}: bus {net.bus_names[b]}",
            "households or piles without supply",
            "every loaded bus connected to a transformer through closed cables",
        )


def _layout(net: Network) -> FloatArray:
    """A tidy tree layout: depth along x (cable length), feeders spread along y [m]."""
    tree = _tree(net)
    xy = np.zeros((net.n_bus, 2))
    leaf_y = 0.0
    children: dict[int, list[int]] = {}
    for b in tree.order:
        p = tree.parent[b]
        if p >= 0:
            children.setdefault(int(p), []).append(int(b))
    roots = [u.bus for u in net.units if u.in_service]
    spacing = max(float(np.median(net.length_m)) if net.n_cable else 10.0, 1.0)

    def place(b: int, x: float) -> float:
        nonlocal leaf_y
        kids = children.get(b, [])
        xy[b, 0] = x
        if not kids:
            xy[b, 1] = leaf_y
            leaf_y += spacing
            return xy[b, 1]
        ys = [place(c, x + float(net.length_m[tree.cable_to[c]])) for c in kids]
        xy[b, 1] = float(np.mean(ys))
        return xy[b, 1]

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * net.n_bus + 100))
    try:
        for r in roots:
            place(r, 0.0)
            leaf_y += spacing
    finally:
        sys.setrecursionlimit(limit)
    dead = tree.root_unit < 0
    xy[dead, 1] = leaf_y + np.arange(int(dead.sum())) * spacing
    return xy


def three_phase_buses(net: Network) -> np.ndarray:
    """Buses held to the three-phase voltage limit (:mod:`evgrid.network.limits`): busbars and
    buses with three-phase piles ``(n_bus,)``."""
    mask = np.zeros(net.n_bus, dtype=bool)
    mask[[u.bus for u in net.units]] = True
    if net.n_pile:
        mask[net.pile_bus[net.pile_phase == THREE_PHASE]] = True
    return mask
