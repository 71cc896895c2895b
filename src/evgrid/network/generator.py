"""Typical Chinese residential low-voltage areas, for sites without a drawing.

Every number below is an evgrid assumption, stated as one (``docs/network.md``, "Generated
areas"); a planner with the area's drawing writes a network file instead.

* ``cn-residential-old`` -- a community built before 2000 (report 3.1): nine six-storey
  walk-up buildings of three stairwells (6 floors x 2 flats = 12 households a stairwell, 324 in
  all), one 630 kVA unit, three aluminium feeders (YJLV22-4x240) each chaining three buildings:
  80 m from the room to the first building, 50 m between buildings, 10 m between stairwells;
  surface parking for 0.4 cars a household at the buildings.
* ``cn-residential-sub-new`` -- built 2000-2018: ten eleven-storey slab buildings of two
  stairwells (11 floors x 4 flats = 44 households a stairwell, 880 in all), a room of two
  1 000 kVA units on a sectionalised busbar (tie open; one unit carries the area at 1.2 pu),
  one copper feeder per building
  (YJV22-4x185, 60-200 m); a space a household in the basement of each building.
* ``cn-residential-new`` -- built within five years: twelve 26-storey towers (4 flats a floor,
  104 households, 1 248 in all), two 1 250 kVA units on a sectionalised busbar, one feeder per
  tower (YJV22-4x240, 40-150 m), and the
  garage's piles on their own feeders (one per busbar
  section, YJV22-4x240, 60 m, four garage buses 30 m apart).
* ``cn-feeder-4x25`` -- the comparison feeder of ``docs/network.md``: a 630 kVA Dyn11 unit, four
  feeders of 25 nodes, 12 m sections of YJLV22-4x150, three single-phase households a node (one a
  phase: 300), one in three with a 7 kW pile -- the first household of each node, on phase a.

A two-unit room's bus tie is a short copper busbar rated for 1.5 times a unit's current, not a
cable (:data:`TIE_RATING_FACTOR`).

Households are spread over the phases floor by floor (a, b, c, a, ...), as flats are connected
in practice; a stairwell's households hang on one bus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evgrid.errors import bad_value
from evgrid.network.cables import CableType, cable_type, unit_impedance
from evgrid.network.model import Network, Unit
from evgrid.params import default

AREAS = ("cn-residential-old", "cn-residential-sub-new", "cn-residential-new", "cn-feeder-4x25")
"""Names of the generated areas."""


@dataclass
class _Builder:
    """Buses and cables accumulated while an area is drawn."""

    names: list[str]
    households: list[list[int]]
    spaces: list[int]
    cables: list[tuple[int, int, str, float, bool]]

    def bus(self, name: str, households: int = 0, spaces: int = 0) -> int:
        per = [households // 3 + (1 if k < households % 3 else 0) for k in range(3)]
        self.names.append(name)
        self.households.append(per)
        self.spaces.append(spaces)
        return len(self.names) - 1

    def cable(self, a: int, b: int, kind: str, length_m: float, closed: bool = True) -> None:
        self.cables.append((a, b, kind, length_m, closed))

    def network(self, name: str, units: list[Unit]) -> Network:
        kinds = [_tie_type(units) if c[2] == TIE else cable_type(c[2]) for c in self.cables]
        length = np.array([c[3] for c in self.cables])
        km = length / 1000.0
        return Network(
            name=name,
            nominal_v=float(default("network_nominal_voltage_v")),
            mv_kv=float(default("network_mv_voltage_kv")),
            source_sk_mva=float(default("network_source_sk_mva")),
            source_voltage_pu=float(default("network_source_voltage_pu")),
            units=tuple(units),
            bus_names=tuple(self.names),
            from_bus=np.array([c[0] for c in self.cables]),
            to_bus=np.array([c[1] for c in self.cables]),
            cable_type=tuple(c[2] for c in self.cables),
            length_m=length,
            r1_ohm=np.array([k.r1_ohm_per_km for k in kinds]) * km,
            x1_ohm=np.array([k.x1_ohm_per_km for k in kinds]) * km,
            r0_ohm=np.array([k.r0_ohm_per_km for k in kinds]) * km,
            x0_ohm=np.array([k.x0_ohm_per_km for k in kinds]) * km,
            ampacity_a=np.array([k.ampacity_a if k.name == TIE else k.derated_a() for k in kinds]),
            closed=np.array([c[4] for c in self.cables]),
            households=np.array(self.households),
            spaces=np.array(self.spaces),
        )


TIE = "bus-tie"
"""Type name of a sectionalised busbar's tie (a busbar section with its breaker)."""

TIE_RATING_FACTOR = 1.5
"""A bus tie carries 1.5 times the larger unit's rated current (assumed: the busbar and its tie
breaker are rated for the room, not for a cable)."""

TIE_OHM_PER_KM = (0.03, 0.1)
"""Resistance and reactance of the tie's copper busbar [ohm/km] (assumed, 100 x 10 mm bars)."""


def _tie_type(units: list[Unit]) -> CableType:
    amp = max(u.rating_kva for u in units) * 1e3 / (np.sqrt(3.0) * units[0].secondary_v)
    r, x = TIE_OHM_PER_KM
    return CableType(TIE, "copper", 1000.0, r, x, 4 * r, 4 * x, TIE_RATING_FACTOR * amp)


def _unit(name: str, bus: int, rating_kva: float) -> Unit:
    uk, pk = unit_impedance(rating_kva)
    return Unit(
        name=name,
        bus=bus,
        rating_kva=rating_kva,
        uk_pct=uk,
        pk_w=pk,
        primary_kv=float(default("network_mv_voltage_kv")),
        secondary_v=float(default("network_transformer_secondary_v")),
    )


def _builder() -> _Builder:
    return _Builder([], [], [], [])


def _old() -> Network:
    b = _builder()
    lv = b.bus("LV")
    trunk = "YJLV22-4x240"
    for f in range(3):
        prev = lv
        for k in range(3):
            n = 3 * f + k + 1
            entry = b.bus(f"B{n}")
            b.cable(prev, entry, trunk, 80.0 if k == 0 else 50.0)
            at = entry
            for s in range(3):
                stair = b.bus(f"B{n}-{s + 1}", households=12, spaces=5)
                b.cable(at, stair, "YJLV22-4x95", 10.0)
                at = stair
            prev = entry
    return b.network("cn-residential-old", [_unit("T1", lv, 630.0)])


def _two_section(b: _Builder) -> tuple[int, int]:
    lv1, lv2 = b.bus("LV1"), b.bus("LV2")
    b.cable(lv1, lv2, TIE, 5.0, closed=False)  # the bus tie, normally open
    return lv1, lv2


def _sub_new() -> Network:
    b = _builder()
    lv1, lv2 = _two_section(b)
    lengths = (60.0, 90.0, 120.0, 160.0, 200.0)
    for n in range(10):
        sec = lv1 if n < 5 else lv2
        entry = b.bus(f"B{n + 1}")
        b.cable(sec, entry, "YJV22-4x185", lengths[n % 5])
        at = entry
        for s in range(2):
            stair = b.bus(f"B{n + 1}-{s + 1}", households=44, spaces=44)
            b.cable(at, stair, "YJV22-4x95", 15.0)
            at = stair
    return b.network("cn-residential-sub-new", [_unit("T1", lv1, 1000.0), _unit("T2", lv2, 1000.0)])


def _new() -> Network:
    b = _builder()
    lv1, lv2 = _two_section(b)
    lengths = (40.0, 60.0, 80.0, 100.0, 125.0, 150.0)
    for n in range(12):
        sec = lv1 if n < 6 else lv2
        tower = b.bus(f"T{n + 1}", households=104)
        b.cable(sec, tower, "YJV22-4x240", lengths[n % 6])
    for g, sec in enumerate((lv1, lv2)):
        prev = sec
        for k in range(4):
            garage = b.bus(f"G{g + 1}-{k + 1}", spaces=78)
            b.cable(prev, garage, "YJV22-4x240", 60.0 if k == 0 else 30.0)
            prev = garage
    return b.network("cn-residential-new", [_unit("T1", lv1, 1250.0), _unit("T2", lv2, 1250.0)])


def _feeder_4x25() -> Network:
    b = _builder()
    lv = b.bus("LV")
    for f in range(4):
        prev = lv
        for k in range(25):
            node = b.bus(f"F{f + 1}-{k + 1}", households=3, spaces=1)
            b.cable(prev, node, "YJLV22-4x150", 12.0)
            prev = node
    net = b.network("cn-feeder-4x25", [_unit("T1", lv, 630.0)])
    piles = np.arange(1, net.n_bus)
    return net.with_piles(piles, np.zeros(piles.size, np.int64))


_MAKERS = {
    "cn-residential-old": _old,
    "cn-residential-sub-new": _sub_new,
    "cn-residential-new": _new,
    "cn-feeder-4x25": _feeder_4x25,
}


def generate_area(kind: str) -> Network:
    """A typical residential low-voltage area (module docstring: every assumption).

    Parameters
    ----------
    kind
        One of :data:`AREAS`.

    Raises
    ------
    InputError
        An unknown kind.
    """
    if kind not in _MAKERS:
        raise bad_value("area", kind, "one of " + ", ".join(AREAS))
    return _MAKERS[kind]()
