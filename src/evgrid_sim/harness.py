"""One process running the service and the simulated community together (tests, benchmarks).

:func:`run_night` wires a :class:`~evgrid.service.core.ChargingService` and a
:class:`~evgrid_sim.fleet.Fleet` on one clock: in-memory transports and a
:class:`~evgrid.service.clock.VirtualClock` by default (fast, deterministic), or a caller's
``connect`` over real WebSockets. It can restart the service part-way (a new service on the same
store) and send a demand-response event through the grid-signal interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from evgrid.service.adapters import DrEvent, GridEvents, LinkClosedError
from evgrid.service.clock import Clock, VirtualClock
from evgrid.service.core import ChargingService
from evgrid.service.ocpp16 import Ocpp16Link
from evgrid.service.ocpp201 import Ocpp201Link
from evgrid.service.settings import ServiceConfig
from evgrid.service.store import Store
from evgrid.service.transport import memory_pair
from evgrid_sim.fleet import Fleet, SimConfig
from evgrid_sim.piles import Car

RESTART_DOWN_S = 60.0
"""Simulated time the service stays down in a restart [s]."""


class ManualSignal:
    """A grid signal driven by hand (tests, the simulator's DR fault): :meth:`send` delivers an
    event to the service as an OpenADR VEN would."""

    def __init__(self) -> None:
        self.sink: GridEvents | None = None
        self.answers: list[tuple[str, str]] = []

    async def start(self, sink: GridEvents) -> None:
        self.sink = sink

    async def stop(self) -> None:
        self.sink = None

    async def send(self, event: DrEvent) -> str:
        """Deliver an event; the service's opt answer ("" if no service is listening)."""
        if self.sink is None:
            return ""
        answer = await self.sink.on_dr_event(event)
        self.answers.append((event.event_id, answer))
        return answer


@dataclass
class NightResult:
    """What a simulated night gives.

    Parameters
    ----------
    fleet
        The simulated community (its per-minute record and its cars).
    services
        Every service instance of the night (more than one after a restart).
    store
        The shared store.
    dr_answers
        (event id, opt answer) of the demand-response events.
    """

    fleet: Fleet
    services: list[ChargingService]
    store: Store
    dr_answers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def service(self) -> ChargingService:
        """The last service instance."""
        return self.services[-1]


def register_fleet(store: Store, fleet: Fleet) -> None:
    """Register the fleet's piles in the store (no keys: in-memory or loopback plain)."""
    for p in fleet.piles:
        store.register(p.model.pile_id, max_a=p.model.max_a, phases=p.model.phases)


async def run_night(
    site: Any,
    sim: SimConfig,
    config: ServiceConfig | None = None,
    *,
    clock: Clock | None = None,
    db: str | Path = ":memory:",
    restart_at_h: float | None = None,
    dr_event: tuple[float, float, float] | None = None,
    connect: Callable[[ChargingService | None, str, str], Awaitable[Any]] | None = None,
    on_service: Callable[[ChargingService], Awaitable[None]] | None = None,
    cars: list[Car | None] | None = None,
    absent: tuple[str, ...] = (),
) -> NightResult:
    """Run one simulated night of the service with a simulated community.

    Parameters
    ----------
    site
        The site.
    sim
        The community and its faults.
    config
        Service options (ports are not used unless ``connect`` goes over the network).
    clock
        Shared clock; default a :class:`VirtualClock` at ``sim.start`` stepped by this function.
    db
        Store path (a file for a restart that must survive, ``":memory:"`` otherwise).
    restart_at_h
        Hours after the start at which the service is stopped and, after
        :data:`RESTART_DOWN_S`, started again on the same store.
    dr_event
        ``(start after the start [h], length [h], cap [kW])`` of one demand-response event,
        announced 30 minutes ahead.
    connect
        ``await connect(service, pile_id, protocol)`` returning a pile-side transport; default
        in memory.
    on_service
        Called with each service after it started (e.g. to start its network listeners).
    cars
        The cars, one per pile (None: no car), instead of the ones sampled from ``sim``.
    absent
        Piles registered in the store that never connect (never commissioned).
    """
    config = config or ServiceConfig(port=None, status_port=None)
    virtual = clock is None
    clk: Clock = clock or VirtualClock(sim.start)
    store = Store(db)
    signal = ManualSignal()
    holder: dict[str, ChargingService | None] = {"svc": None}
    services: list[ChargingService] = []

    async def start_service() -> ChargingService:
        svc = ChargingService(site, config, clock=clk, store=store, signal=signal)
        await svc.start()
        if on_service is not None:
            await on_service(svc)
        holder["svc"] = svc
        services.append(svc)
        return svc

    async def memory_connect(svc: ChargingService | None, pile_id: str, protocol: str) -> Any:
        if svc is None or not svc.known(pile_id):
            raise ConnectionRefusedError(pile_id)
        pile_end, svc_end = memory_pair()
        cls = Ocpp201Link if protocol == "ocpp2.0.1" else Ocpp16Link
        link = cls(pile_id, svc_end, svc.gateway)
        svc.spawn(svc.serve_link(link))
        return pile_end

    link_fn = connect or memory_connect

    async def do_connect(pile_id: str, protocol: str) -> Any:
        return await link_fn(holder["svc"], pile_id, protocol)

    async def declare(pile: str, connector: int, departure: datetime, energy_kwh: float) -> None:
        svc = holder["svc"]
        if svc is None:
            raise LinkClosedError("service down")
        svc.declare(pile, connector, departure, energy_kwh)

    async def site_meter(kw: float) -> None:
        svc = holder["svc"]
        if svc is not None:
            svc.observe_site_meter(kw)

    probe = ChargingService(site, config, clock=clk, store=Store())
    fleet = Fleet(
        site, sim, clk, do_connect, limit_kw=probe.limit_kw, declare=declare, site_meter=site_meter
    )
    if cars is not None:
        fleet.cars = list(cars)
    register_fleet(store, fleet)
    for pile_id in absent:
        store.register(pile_id)
    await start_service()

    async def restart() -> None:
        assert restart_at_h is not None
        await clk.sleep(restart_at_h * 3600.0)
        svc = holder["svc"]
        holder["svc"] = None
        if svc is not None:
            await svc.stop()
        await clk.sleep(RESTART_DOWN_S)
        await start_service()

    async def demand_response() -> None:
        assert dr_event is not None
        at_h, length_h, cap_kw = dr_event
        await clk.sleep(max(at_h - 0.5, 0.0) * 3600.0)
        start = sim.start + timedelta(hours=at_h)
        ev = DrEvent("dr-1", start, start + timedelta(hours=length_h), cap_kw)
        while holder["svc"] is None:
            await clk.sleep(30.0)
        await signal.send(ev)

    extra = []
    if restart_at_h is not None:
        extra.append(asyncio.ensure_future(restart()))
    if dr_event is not None:
        extra.append(asyncio.ensure_future(demand_response()))
    runner = asyncio.ensure_future(fleet.run())
    if virtual:
        assert isinstance(clk, VirtualClock)
        await clk.run_until(sim.start + timedelta(hours=sim.hours, minutes=2))
    await runner
    for t in extra:
        t.cancel()
    svc = holder["svc"]
    if svc is not None:
        await svc.stop()
    if virtual:
        assert isinstance(clk, VirtualClock)
        await clk.advance(1.0)
    return NightResult(fleet, services, store, list(signal.answers))


def optimum_kwh(
    fleet: Fleet,
    limit_kw: float,
    slot_min: float = 15.0,
    caps: list[tuple[datetime, datetime, float]] | None = None,
) -> float:
    """Most energy the fleet's cars could get with perfect information [kWh].

    The LP (HiGHS) over the true sessions (arrival, departure, energy, the car's own maximum)
    and the true base load (each slot at its highest minute), under ``limit_kw`` and the
    ``(start, end, cap_kw)`` demand-response caps; no 6 A floor, no rounding. The reference the
    service's delivered energy is judged against.
    """
    import numpy as np

    from evgrid.charging.strategies import schedule
    from evgrid.sessions import Sessions
    from evgrid.timegrid import TimeGrid

    start = fleet.minutes[0].t if fleet.minutes else fleet.clock.now()
    cars = [c for c in fleet.cars if c is not None]
    if not cars:
        return 0.0
    days = int(np.ceil(fleet.cfg.hours / 24.0 + 1e-9))
    grid = TimeGrid(slot_min=slot_min, n_days=days)
    base = np.zeros(grid.n_slots)
    for m in fleet.minutes:
        k = int((m.t - start).total_seconds() // (slot_min * 60))
        if k < grid.n_slots:
            base[k] = max(base[k], m.base_kw)
    hours = [(c.arrival - start).total_seconds() / 3600.0 for c in cars]
    sessions = Sessions(
        arrival_h=np.array(hours),
        departure_h=np.array([(c.departure - start).total_seconds() / 3600.0 for c in cars]),
        energy_kwh=np.array([c.energy_kwh for c in cars]),
        max_power_kw=np.array([c.max_kw for c in cars]),
    )
    for c0, c1, cap in caps or []:
        for k in range(grid.n_slots):
            t0 = start + timedelta(minutes=k * slot_min)
            if t0 < c1 and t0 + timedelta(minutes=slot_min) > c0:
                base[k] += max(limit_kw - cap, 0.0)
    n_used = int(np.ceil(fleet.cfg.hours * 60 / slot_min))
    base[n_used:] = limit_kw  # after the night: nothing
    sched = schedule(sessions, "lp", grid=grid, base_kw=base, limit_kw=limit_kw)
    return float(sched.delivered_kwh.sum())
