"""``simulate-chargers``: a community of simulated AC piles driving the service over OCPP.

Cars come from evgrid's behaviour presets (:func:`evgrid.demand.sampling.sample_sessions`), one
pile per car, over a night window; the true base load is the site's regular load (with an
optional bias and noise, so the meter correction has work to do). A single recorder task steps
the physics every simulated minute on the shared clock: it charges every car under its pile's
profiles, records the highest site load of the minute (base plus the sum of every pile's highest
power within the minute, so skewed piles that change mid-minute are caught), sends the site
meter reading, and fires the piles' own events (plug-in, meter values, departure). Faults on
demand: piles offline for a while, clock skew, TxProfile rejection, cars that do not resume
after a pause (:class:`Faults`); a service restart and a demand-response event are the
harness's (:mod:`evgrid_sim.harness`).
"""

from __future__ import annotations

import asyncio
import functools
import math
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from evgrid.service.adapters import LinkClosedError
from evgrid.service.clock import Clock
from evgrid.service.forecast import base_day_kw
from evgrid.service.ocpp16 import inline_validation
from evgrid.service.settings import METER_INTERVAL_S, PHASE_VOLTAGE_V
from evgrid_sim.piles import Car, PileModel, SimLink16, SimLink201

Connect = Callable[[str, str], Awaitable[Any]]
Declare = Callable[[str, int, datetime, float], Awaitable[None]]
SiteMeter = Callable[[float], Awaitable[None]]
RECONNECT_S = 30.0
"""Simulated wait before a pile retries a refused connection [s]."""


@dataclass(frozen=True)
class Faults:
    """Faults to inject.

    Parameters
    ----------
    offline_share
        Share of piles that lose their connection [-].
    offline_at_h, offline_for_h
        When (hours after the start) and for how long they are offline [h].
    skew_share, skew_s
        Share of piles whose clock is off, and by how much [s].
    reject_share
        Share of piles that reject TxProfile [-].
    refuse_share
        Share of piles that answer ``Rejected`` to every SetChargingProfile (smart charging
        is optional in OCPP 1.6) [-].
    no_resume_share
        Share of cars that never resume after a 0 A pause [-].
    """

    offline_share: float = 0.0
    offline_at_h: float = 4.0
    offline_for_h: float = 2.0
    skew_share: float = 0.0
    skew_s: float = 150.0
    reject_share: float = 0.0
    refuse_share: float = 0.0
    no_resume_share: float = 0.0


@dataclass(frozen=True)
class SimConfig:
    """A simulated community night.

    Parameters
    ----------
    n_piles
        Piles (one car each) [-].
    start
        Start of the simulation (UTC).
    hours
        Length [h].
    seed
        Seed of cars, faults and noise.
    share_201
        Share of piles speaking OCPP 2.0.1 (the rest 1.6J) [-].
    declare_share
        Share of owners who declare departure and energy [-].
    base_bias, base_noise
        True base load = forecast x (1 + bias) x (1 + noise x N(0, 1)) [-].
    utc_offset_h
        Site time zone [h].
    behaviour
        Behaviour preset of the cars.
    faults
        Faults.
    """

    n_piles: int
    start: datetime
    hours: float = 16.0
    seed: int = 1
    share_201: float = 0.0
    declare_share: float = 1.0
    base_bias: float = 0.0
    base_noise: float = 0.0
    utc_offset_h: float = 8.0
    behaviour: str = "home"
    volts: float = PHASE_VOLTAGE_V
    meter_interval_s: float = METER_INTERVAL_S
    faults: Faults = field(default_factory=Faults)


def sample_cars(cfg: SimConfig, max_kw: float) -> list[Car | None]:
    """One car (or None) per pile: sessions of one day from the behaviour preset, placed in the
    simulated window (arrivals before it plug in at its start, departures after it are cut)."""
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.sampling import sample_sessions

    rng = np.random.default_rng(cfg.seed)
    with warnings.catch_warnings():  # the bundled distance table's known 104.2 % (report typo)
        warnings.filterwarnings("ignore", message=".*104.2 %.*")
        behaviour = Behaviour.preset(cfg.behaviour)
    sessions = sample_sessions(behaviour, cfg.n_piles, days=2, rng=rng)
    local0 = cfg.start + timedelta(hours=cfg.utc_offset_h)
    midnight = local0.replace(hour=0, minute=0, second=0, microsecond=0)
    start_h = (local0 - midnight).total_seconds() / 3600.0
    end_h = start_h + cfg.hours
    cars: list[Car | None] = [None] * cfg.n_piles
    for i in range(len(sessions)):
        v = int(sessions.vehicle[i])
        a, d = float(sessions.arrival_h[i]), float(sessions.departure_h[i])
        if cars[v] is not None or d <= start_h + 0.5 or a >= end_h - 1.0:
            continue
        a = max(a, start_h)
        d = min(d, end_h)
        to_utc = midnight - timedelta(hours=cfg.utc_offset_h)
        arrival = to_utc + timedelta(minutes=math.ceil(a * 60))
        departure = to_utc + timedelta(minutes=math.floor(d * 60))
        if departure <= arrival:
            continue
        cars[v] = Car(
            arrival=arrival,
            departure=departure,
            energy_kwh=float(sessions.energy_kwh[i]),
            max_kw=min(float(sessions.max_power_kw[i]), max_kw),
            declare=bool(rng.random() < cfg.declare_share),
            no_resume=bool(rng.random() < cfg.faults.no_resume_share),
        )
    return cars


@dataclass
class Minute:
    """One simulated minute: its start, true base load, and highest charging and total [kW]."""

    t: datetime
    base_kw: float
    charging_kw: float
    total_kw: float


class SimPile:
    """A simulated pile: its model, its OCPP link, its own action queue (so its messages keep
    their order while piles act in parallel) and the messages held while it is offline."""

    def __init__(self, model: PileModel, protocol: str, fleet: Fleet) -> None:
        self.model = model
        self.protocol = protocol
        self.fleet = fleet
        self.link: SimLink16 | SimLink201 | None = None
        self.want_online = True
        self.outbox: list[Callable[[Any], Awaitable[Any]]] = []
        self.actions: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.next_meter: datetime | None = None
        self.car_done = False
        self.tx: dict[str, int | str | None] = {"id": None}

    def start(self) -> None:
        """Start its connection loop and its action worker."""
        self.tasks = [
            asyncio.ensure_future(self._connect_loop()),
            asyncio.ensure_future(self._worker()),
        ]

    def stop(self) -> None:
        """Cancel its tasks."""
        for t in self.tasks:
            t.cancel()

    def act(self, action: Callable[[], Awaitable[None]]) -> None:
        """Queue an action (runs after the pile's earlier actions)."""
        self.actions.put_nowait(action)

    async def _worker(self) -> None:
        while True:
            action = await self.actions.get()
            await action()

    async def _connect_loop(self) -> None:
        clock = self.fleet.clock
        while True:
            if not self.want_online:
                await clock.sleep(RECONNECT_S)
                continue
            try:
                transport = await self.fleet.connect(self.model.pile_id, self.protocol)
            except (OSError, LinkClosedError, ConnectionError):
                await clock.sleep(RECONNECT_S)
                continue
            except Exception as exc:  # a refused handshake (websockets InvalidStatus, ...)
                self.fleet.refused.append(f"{self.model.pile_id}: {type(exc).__name__}")
                await clock.sleep(RECONNECT_S)
                continue
            cls = SimLink201 if self.protocol == "ocpp2.0.1" else SimLink16
            link = cls(self.model, transport, clock.now)
            runner = asyncio.ensure_future(link.start())
            try:
                if not self.fleet.booted.get(self.model.pile_id):
                    await link.boot()
                    self.fleet.booted[self.model.pile_id] = True
                    await link.status("Available")
                self.link = link
                await self._flush()
                await runner
            except (LinkClosedError, TimeoutError):
                pass
            except Exception as exc:
                if not type(exc).__name__.startswith("ConnectionClosed"):
                    raise
            finally:
                runner.cancel()
                self.link = None
            await clock.sleep(RECONNECT_S if self.want_online else 1.0)

    async def _flush(self) -> None:
        while self.outbox and self.link is not None:
            try:
                await self.outbox[0](self.link)
            except (LinkClosedError, TimeoutError):
                return
            self.outbox.pop(0)

    async def send(self, job: Callable[[Any], Awaitable[Any]]) -> None:
        """Send now if connected, else hold it (in order) until the connection is back."""
        if self.link is None or self.outbox:
            self.outbox.append(job)
            return
        try:
            await job(self.link)
        except (LinkClosedError, TimeoutError):
            self.outbox.append(job)

    async def disconnect(self) -> None:
        """Drop the connection (fault); the pile keeps charging on its profiles."""
        self.want_online = False
        if self.link is not None:
            await self.link._connection.close()

    def reconnect(self) -> None:
        """Allow the connection back."""
        self.want_online = True

    async def plug_in(self) -> None:
        """The car arrives: start a transaction, the owner declares, charging begins."""
        car = self.model.car
        assert car is not None
        self.model.tx_id = "local"
        holder: dict[str, int | str | None] = {"id": None}
        self.tx = holder
        at = self.fleet.clock.now()  # a message keeps the time it was composed at
        register = self.model.register_wh
        await self.send(lambda link: link.status("Preparing", at))

        async def start(link: Any) -> None:
            tx = await link.start_tx(at, register)
            holder["id"] = tx
            if self.model.tx_id is not None:
                self.model.tx_id = tx
                self.model.tx_started_at = self.fleet.clock.now()
            # the owner scans the pile's QR code once the session shows in the app
            if car.declare and self.fleet.declare is not None:
                await self.fleet.declare(self.model.pile_id, 1, car.departure, car.energy_kwh)

        await self.send(start)
        await self.send(lambda link: link.status("Charging", at))
        self.next_meter = self.fleet.clock.now() + timedelta(
            seconds=self.fleet.cfg.meter_interval_s
        )

    async def meter(self, power_kw: float) -> None:
        """Send a meter value."""
        if self.model.tx_id is not None and self.model.tx_id != "local":
            at, register = self.fleet.clock.now(), self.model.register_wh
            await self.send(lambda link: link.meter(power_kw, at, register))

    async def status(self, status: str) -> None:
        """Send a status notification."""
        at = self.fleet.clock.now()
        await self.send(lambda link: link.status(status, at))

    async def unplug(self) -> None:
        """The car leaves: stop the transaction."""
        holder = self.tx
        self.model.end_tx()
        at, register = self.fleet.clock.now(), self.model.register_wh

        async def stop(link: Any) -> None:
            if holder["id"] is not None:
                await link.stop_tx(holder["id"], at, register)

        await self.send(stop)
        await self.send(lambda link: link.status("Available", at))


class Fleet:
    """The simulated community: piles, cars, true base load and the per-minute record.

    Parameters
    ----------
    site
        The site.
    cfg
        Simulation settings.
    clock
        The clock shared with the service.
    connect
        ``await connect(pile_id, protocol)`` returns a transport to the service.
    declare
        ``await declare(pile, connector, departure, energy_kwh)`` -- the owners' app; or None.
    site_meter
        ``await site_meter(kw)`` -- the transformer meter feed; or None.
    limit_kw
        Transformer limit the record is judged against [kW].
    """

    def __init__(
        self,
        site: Any,
        cfg: SimConfig,
        clock: Clock,
        connect: Connect,
        *,
        limit_kw: float,
        declare: Declare | None = None,
        site_meter: SiteMeter | None = None,
        max_a: float = 32.0,
    ) -> None:
        inline_validation()
        self.site = site
        self.cfg = cfg
        self.clock = clock
        self.connect = connect
        self.declare = declare
        self.site_meter = site_meter
        self.limit_kw = limit_kw
        self.booted: dict[str, bool] = {}
        self.refused: list[str] = []
        self.minutes: list[Minute] = []
        rng = np.random.default_rng(cfg.seed + 1)
        n = cfg.n_piles
        self.cars = sample_cars(cfg, max_a * cfg.volts / 1000.0)
        f = cfg.faults
        pick = lambda share: set(rng.permutation(n)[: round(share * n)].tolist())  # noqa: E731
        self.offline_set = pick(f.offline_share)
        skew_set, reject_set, v201 = pick(f.skew_share), pick(f.reject_share), pick(cfg.share_201)
        refuse_set = pick(f.refuse_share)
        self.piles: list[SimPile] = []
        for i in range(n):
            model = PileModel(
                pile_id=f"P{i:04d}",
                volts=cfg.volts,
                max_a=max_a,
                skew_s=f.skew_s if i in skew_set else 0.0,
                rejects_tx=i in reject_set,
                refuses_all=i in refuse_set,
            )
            model.car = None
            protocol = "ocpp2.0.1" if i in v201 else "ocpp1.6"
            self.piles.append(SimPile(model, protocol, self))
        self.day_kw = base_day_kw(site, 15.0)
        self._noise = rng.standard_normal(int(cfg.hours * 60) + 120)
        self.pauses: dict[str, int] = {}

    @property
    def pile_ids(self) -> list[str]:
        """Ids of the piles."""
        return [p.model.pile_id for p in self.piles]

    def base_kw(self, t: datetime, k: int) -> float:
        """True base load at ``t`` (minute ``k`` of the run) [kW]."""
        local = t + timedelta(hours=self.cfg.utc_offset_h)
        slot = (local.hour * 60 + local.minute) // 15
        noise = 1.0 + self.cfg.base_noise * float(self._noise[min(k, len(self._noise) - 1)])
        return float(self.day_kw[slot] * (1.0 + self.cfg.base_bias) * noise)

    async def run(self) -> None:
        """Connect every pile and step the night minute by minute to its end."""
        for p in self.piles:
            p.start()
        start = self.clock.now()
        end = start + timedelta(hours=self.cfg.hours)
        f = self.cfg.faults
        off_at = start + timedelta(hours=f.offline_at_h)
        on_at = off_at + timedelta(hours=f.offline_for_h)
        prev = start
        k = 0
        while prev < end:
            await self.clock.sleep(
                max((prev + timedelta(minutes=1) - self.clock.now()).total_seconds(), 0.0)
            )
            now = self.clock.now()
            await self._minute(prev, now, k)
            if prev <= off_at < now:
                for i in sorted(self.offline_set):
                    await self.piles[i].disconnect()
            if prev <= on_at < now:
                for i in sorted(self.offline_set):
                    self.piles[i].reconnect()
            prev, k = now, k + 1
        for p in self.piles:
            p.stop()
            if p.link is not None:
                await p.link._connection.close()

    async def _minute(self, t0: datetime, t1: datetime, k: int) -> None:
        charging = 0.0
        notes: list[tuple[SimPile, list[str]]] = []
        for p in self.piles:
            if p.model.t_last is None:
                p.model.t_last = t0
            peak, events = p.model.close_minute(t1)
            charging += peak
            if events:
                notes.append((p, events))
        base = max(self.base_kw(t0, k), self.base_kw(t1 - timedelta(seconds=1), k))
        self.minutes.append(Minute(t0, base, charging, base + charging))
        if self.site_meter is not None:
            now_kw = base + sum(p.model.power_kw(t1) for p in self.piles)
            await self.site_meter(now_kw)
        for p, events in notes:
            if "full" in events:
                p.act(functools.partial(p.status, "SuspendedEV"))
                p.act(functools.partial(p.meter, 0.0))
            elif "stuck" in events:
                p.act(functools.partial(p.status, "SuspendedEV"))
            elif "paused" in events:
                p.act(functools.partial(p.status, "SuspendedEVSE"))
            elif "resumed" in events:
                p.act(functools.partial(p.status, "Charging"))
        for idx, p in enumerate(self.piles):
            car = p.model.car
            planned = self.cars[idx]
            if car is None and planned is not None and planned.arrival <= t1:
                p.model.car = planned
                p.act(p.plug_in)
            elif car is not None and not p.car_done and car.departure <= t1:
                p.car_done = True
                p.act(p.unplug)
            elif (
                car is not None
                and not p.car_done
                and p.next_meter is not None
                and p.next_meter <= t1
            ):
                p.next_meter = t1 + timedelta(seconds=self.cfg.meter_interval_s)
                power = p.model.power_kw(t1)
                p.act(functools.partial(p.meter, power))

    def summary(self, margin_kw: float = 0.0) -> dict[str, Any]:
        """Figures of the night: loading, violations, energy asked and delivered, pauses."""
        total = np.array([m.total_kw for m in self.minutes])
        cars = [c for c in self.cars if c is not None]
        asked = sum(c.energy_kwh for c in cars)
        got = sum(c.delivered_kwh for c in cars)
        pauses = [c.pauses for c in cars]
        return {
            "minutes": len(self.minutes),
            "limit_kw": self.limit_kw,
            "peak_kw": float(total.max()) if total.size else 0.0,
            "violations": int((total > self.limit_kw + 1e-6).sum()),
            "worst_excess_kw": float(max((total - self.limit_kw).max(initial=0.0), 0.0)),
            "cars": len(cars),
            "asked_kwh": asked,
            "delivered_kwh": got,
            "pauses_max": max(pauses, default=0),
            "pauses_mean": float(np.mean(pauses)) if pauses else 0.0,
            "stuck_cars": sum(c.stuck for c in cars),
            "refused": list(self.refused),
        }
