"""``ChargingService``: the live service's state, its event handlers and its lifecycle.

The service holds one :class:`~evgrid.service.state.PileState` per registered pile, fed by the
pile adapters (:class:`~evgrid.service.adapters.PileEvents`), by owners' declarations, by the site
meter and by the grid signal. Every event that changes what the plan should be pokes the planner
loop, which waits :data:`~evgrid.service.settings.DEBOUNCE_S` of quiet and then replans and
pushes (:mod:`evgrid.service.control`); a ticker pokes it at every slot boundary too.

Safety, in order of the things that fail:

* commissioning: every pile gets a pile maximum and a recurring daily default profile sized so the
  transformer holds with every pile on at once (:func:`~evgrid.service.forecast.default_day_amps`);
* an offline pile keeps its profiles, and the planner counts the most they allow as committed load;
* a restarted service reloads the store and reconciles each pile as it reconnects
  (:mod:`evgrid.service.reconcile`) before it plans that pile again;
* piles with skewed clocks get short profiles guarded by a whole slot, refreshed every slot;
* a pile that rejects TxProfile gets the same schedule as a connector TxDefaultProfile;
* a demand-response event installs a default valid only in its window, and a lost signal link
  keeps the last events until their end.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from evgrid.service import checks, control
from evgrid.service.adapters import DrEvent, GridSignal, LinkClosedError, PileLink
from evgrid.service.clock import Clock, SystemClock, utc
from evgrid.service.defaults import DefaultProfiles
from evgrid.service.dispatcher import Dispatcher
from evgrid.service.drclient import DemandResponse
from evgrid.service.forecast import BaseForecast, SiteModel, base_day_kw, default_day_amps
from evgrid.service.metrics import Metrics
from evgrid.service.ocpp16 import inline_validation
from evgrid.service.operator import Operator
from evgrid.service.pilegate import PileGateway
from evgrid.service.planner import Plan
from evgrid.service.profiles import ProfileSpec, to_kw
from evgrid.service.reconcile import Reconciler
from evgrid.service.settings import (
    DEBOUNCE_MAX_S,
    FULL_AFTER_S,
    MIN_CURRENT_A,
    TOPUP_KWH,
    ServiceConfig,
)
from evgrid.service.state import ConnectorState, PileState, Priors, TxState
from evgrid.service.store import Store
from evgrid.service.upstream import Upstream
from evgrid.timegrid import FloatArray

log = logging.getLogger("evgrid.service")
METER_REPLAN_KWH = 0.25
"""A meter reading that moves a session's remaining energy by more than this replans [kWh]
(evgrid assumption; smaller deviations wait for the next slot's replan)."""
BOOT_WAIT_S = 2.0
"""A new connection is reconciled after the pile's first message, or after this long without
one [s of wall time] (evgrid's choice; OCPP-J: the pile speaks first after connecting)."""
VOLTS_RANGE = (90.0, 300.0)
"""Phase voltages a pile may report [V]: beyond GB/T 12325's +7/-10 % of 220 V with room for
single-phase 110-127 V supplies abroad (evgrid's choice)."""
FUTURE_H = 24.0 * 7
"""A pile's or owner's time more than this ahead of the service's is refused [h] (evgrid's
choice: a skewed clock is off by minutes, a departure is at most days ahead)."""
CAR_MAX_GAP_KW = 0.7
"""A car drawing this much below its pile's limit shows its own maximum [kW] (evgrid
assumption: a current step of about 3 A at 220 V)."""


class ChargingService:
    """The live orderly-charging service of one site.

    Parameters
    ----------
    site
        The site (:func:`evgrid.grid.site.load_site`): transformer, regular load.
    config
        Options.
    clock
        Time source; default wall time.
    store
        The SQLite store; default an in-memory one.
    signal
        Demand-response source (e.g. :class:`evgrid.service.dr.OpenAdrVen`), or None.
    priors
        Estimates for undeclared sessions; default from the config's behaviour preset.
    """

    def __init__(
        self,
        site: Any,
        config: ServiceConfig | None = None,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        signal: GridSignal | None = None,
        priors: Priors | None = None,
    ) -> None:
        inline_validation()
        self.site = site
        self.config = config or ServiceConfig()
        self.clock: Clock = clock or SystemClock()
        self.store = store or Store()
        self.signal = signal
        self.priors = priors or Priors.from_behaviour(self.config.behaviour)
        capacity_kw = site.power_factor * site.transformer_kva
        limit_kw = self.config.limit_pu * capacity_kw
        margin_kw = self.config.margin_pu * capacity_kw
        day_kw = base_day_kw(site, self.config.slot_min)
        forecast = BaseForecast(
            day_kw, self.config.slot_s, self.config.utc_offset_h, deadband_kw=margin_kw / 2
        )
        self.site_model = SiteModel(limit_kw, margin_kw, forecast, np.zeros(len(day_kw)))
        self.piles: dict[str, PileState] = {}
        self.dispatcher = Dispatcher(self.piles, self.store, self.clock)
        self.metrics = Metrics()
        self.gateway = PileGateway(
            self.piles, self.store, self.clock, self.config, self.priors, self.dispatcher, self
        )
        self.dr = DemandResponse(
            self.store,
            self.clock,
            self.config,
            trial=lambda events: self.planner.trial_plan(events),
            poke=self.poke,
            refresh_defaults=self._refresh_defaults,
            site_power=self.site_power_kw,
        )
        self.defaults = DefaultProfiles(
            self.site_model, self.dr, self.piles, self.config, self.clock
        )
        self.reconciler = Reconciler(
            self.piles,
            self.dispatcher,
            self.defaults,
            self.gateway,
            self.store,
            self.metrics,
            self.clock,
            self.config,
            poke=self.poke,
            spawn=self.spawn,
        )
        self.planner = control.Planner(
            self.piles,
            self.site_model,
            self.dr,
            self.dispatcher,
            self.store,
            self.metrics,
            self.clock,
            self.config,
            update_full=self.update_full,
            poke=self.poke,
            spawn=self.spawn,
        )
        self.started_at: datetime | None = None
        self._wake = asyncio.Event()
        self._first_event_wall: float | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._links: dict[str, PileLink] = {}
        self._background: set[asyncio.Future[Any]] = set()
        self.servers: list[Any] = []
        self.operator = Operator(
            self.store,
            self.piles,
            self.dispatcher,
            self.clock,
            on_registered=self.add_pile,
            on_retired=self.retire_pile,
        )

    # --- what the faces read ----------------------------------------------------------------------
    @property
    def limit_kw(self) -> float:
        """Loading limit [kW]."""
        return self.site_model.limit_kw

    @property
    def margin_kw(self) -> float:
        """Margin kept below the limit [kW]."""
        return self.site_model.margin_kw

    @property
    def forecast(self) -> BaseForecast:
        """The base-load forecast."""
        return self.site_model.forecast

    @property
    def default_amps(self) -> FloatArray:
        """Commissioning default of each slot of the local day [A]."""
        return self.site_model.default_amps

    @property
    def last_plan(self) -> Plan | None:
        """The last round's plan."""
        return self.planner.last_plan

    @property
    def last_plan_keys(self) -> list[Hashable]:
        """The sessions of the last plan, by (pile, connector)."""
        return self.planner.last_plan_keys

    # --- lifecycle --------------------------------------------------------------------------------
    def load(self) -> None:
        """Read piles, their profiles, open transactions and DR events back from the store."""
        self.piles.clear()
        for row in self.store.chargers():
            pile = PileState(row=row, max_periods=row.max_periods)
            pile.installed, pile.uncertain = self.store.installed(row.id)
            self.piles[row.id] = pile
        for r in self.store.open_transactions():
            holder = self.piles.get(r["charger"])
            if holder is None:
                continue
            conn = holder.connectors.setdefault(int(r["connector"]), ConnectorState())
            start = utc(r["start_ts"])
            conn.tx = TxState(
                tx_id=int(r["id"]),
                ext_id=r["ext_id"],
                start=start,
                meter_start_wh=float(r["meter_start_wh"]),
                meter_wh=float(r["meter_wh"]),
                departure=utc(r["departure_ts"]) if r["departure_ts"] else start,
                energy_kwh=float(r["energy_kwh"] or 0.0),
                declared=bool(r["declared"]),
                pauses=int(r["pauses"]),
            )
            conn.status = "Charging"
        self.dr.load()
        n_connectors = sum(p.row.connectors for p in self.piles.values())
        phases = max((p.row.phases for p in self.piles.values()), default=1)
        self.site_model.default_amps = default_day_amps(
            self.forecast.day_kw,
            self.limit_kw,
            self.margin_kw,
            n_connectors,
            self.config.phase_voltage_v,
            phases,
        )

    def metrics_save(self) -> None:
        """Keep the figures in the store (a restarted service goes on counting)."""
        self.store.put("metrics", self.metrics.to_json())

    async def start(self) -> None:
        """Load the store and start the planner, the slot ticker and the grid signal."""
        self.load()
        self.metrics.restore(self.store.get("metrics"))
        self.started_at = self.clock.now()
        self.metrics.started_wall = self.clock.wall()
        self._tasks.append(asyncio.ensure_future(self._planner_loop()))
        self._tasks.append(asyncio.ensure_future(self._slot_ticker()))
        if self.signal is not None:
            await self.signal.start(self.dr)
        self.poke("start")

    async def stop(self) -> None:
        """Stop: close pile connections and listeners, cancel tasks, stop the signal; the store
        stays open."""
        for server in self.servers:
            server.close()
        for link in list(self._links.values()):
            await link.close()
        with contextlib.suppress(Exception):  # a closed store: nothing to keep
            self.metrics_save()
        for t in [*self._tasks, *self._background]:
            t.cancel()
        await asyncio.gather(*self._tasks, *self._background, return_exceptions=True)
        self._tasks.clear()
        if self.signal is not None:
            await self.signal.stop()
        await self.dispatcher.stop()
        for server in self.servers:
            await server.wait_closed()
        self.servers.clear()

    def spawn(self, coro: Any) -> asyncio.Future[Any]:
        """Run a coroutine in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def poke(self, reason: str) -> None:
        """Ask for a replan (debounced)."""
        if self._first_event_wall is None:
            self._first_event_wall = self.clock.wall()
        self.metrics.events[reason] = self.metrics.events.get(reason, 0) + 1
        self._wake.set()

    async def _planner_loop(self) -> None:
        while True:
            await self._wake.wait()
            # debounce: wait for a quiet spell, but plan at the latest DEBOUNCE_MAX_S after the
            # first event, so a steady stream of meter values does not hold planning back
            waited = 0.0
            while True:
                self._wake.clear()
                await self.clock.sleep_wall(self.config.debounce_s)
                waited += self.config.debounce_s
                if (
                    self.config.debounce_s <= 0
                    or not self._wake.is_set()
                    or waited >= DEBOUNCE_MAX_S
                ):
                    break
            self._wake.clear()
            first, self._first_event_wall = self._first_event_wall, None
            try:
                await self.planner.replan(first)
            except asyncio.CancelledError:
                raise
            except Exception:  # keep serving: the piles hold their profiles meanwhile
                log.exception("replan failed")
                self.store.alert(self.clock.now(), None, "replan-failed")

    async def _slot_ticker(self) -> None:
        slot = timedelta(seconds=self.config.slot_s)
        while True:
            now = self.clock.now()
            origin = control.slot_origin(now, self.config.slot_s)
            await self.clock.sleep((origin + slot - now).total_seconds() + 0.001)
            self.dr.expire(self.clock.now())
            wall = self.clock.wall()
            for pile in self.piles.values():
                if not pile.online:
                    continue
                if pile.uncontrollable:
                    # tried again with back-off, never every slot
                    if pile.retry_wall is not None and wall >= pile.retry_wall:
                        pile.retry_wall = None
                        self.spawn(self.reconciler.ensure_defaults(pile.id, force=True))
                elif pile.suspect:
                    self.spawn(self.reconciler.reconcile(pile.id))
                elif pile.reconciled_at is not None:
                    self.spawn(self.reconciler.ensure_defaults(pile.id))
            self.metrics_save()
            self.poke("slot")

    def _down(self, pile_id: str) -> Any:
        """How a CSMS call reaches the pile in local-controller mode: through its dispatch
        queue; an accepted SetChargingProfile of the CSMS is kept with the pile's profiles (the
        planner counts it), a ClearChargingProfile makes the pile reconcile."""

        async def down(action: str, payload: dict[str, Any]) -> tuple[str, Any]:
            pile = self.piles.get(pile_id)
            link = None if pile is None else pile.link
            if link is None:
                return "error", ("GenericError", "charge point not connected")
            try:
                result = await self.dispatcher.run(
                    pile_id,
                    lambda lk: lk.relay(action, payload),  # type: ignore[attr-defined]
                )
            except (LinkClosedError, TimeoutError):
                return "error", ("GenericError", "charge point did not answer")
            kind, answer = result
            if kind == "result" and pile is not None:
                if action == "SetChargingProfile" and answer.get("status") == "Accepted":
                    spec = link.foreign_profile(payload)  # type: ignore[attr-defined]
                    if spec is not None:
                        pile.installed[spec.key] = spec
                        self.poke("csms-profile")
                if action == "ClearChargingProfile":
                    self.spawn(self.reconciler.reconcile(pile_id))
            return kind, answer

        return down

    # --- registrations while running -------------------------------------------------------------
    def add_pile(self, pile_id: str) -> None:
        """Take a pile registered (or re-registered) in the store into service at once."""
        row = self.store.charger(pile_id)
        if row is None or row.retired:
            return
        old = self.piles.get(pile_id)
        if old is None:
            self.piles[pile_id] = PileState(row=row, max_periods=row.max_periods)
        else:
            old.row = row
            for c in range(1, row.connectors + 1):
                old.connectors.setdefault(c, ConnectorState())
        self.poke("registered")

    async def retire_pile(self, pile_id: str) -> None:
        """Take a pile out of service: close its connection, forget it (the store keeps it)."""
        link = self._links.get(pile_id)
        if link is not None:
            await link.close()
        self.dispatcher.link_down(pile_id)
        self.piles.pop(pile_id, None)
        self.poke("retired")

    # --- pile connections -------------------------------------------------------------------------
    def known(self, pile: str) -> bool:
        """Whether the pile is registered (unknown piles are refused)."""
        return pile in self.piles

    async def serve_link(self, link: PileLink) -> None:
        """Serve one pile connection until it closes (the gateway calls this)."""
        pile = self.piles[link.pile_id]
        old = self._links.get(link.pile_id)
        if old is not None and old is not link:
            await old.close()
        self._links[link.pile_id] = link
        pile.link, pile.online, pile.connected_wall = link, True, self.clock.wall()
        pile.reconciled_at = None
        self.dispatcher.link_up(link.pile_id, link)
        if not pile.row.commissioned:
            pile.row = dataclasses.replace(pile.row, commissioned=True)
        self.store.update_charger(link.pile_id, protocol=link.protocol, commissioned=1)
        upstream = None
        if self.config.upstream and hasattr(link, "upstream"):
            upstream = Upstream(
                self.config.upstream,
                link.pile_id,
                link.protocol,
                getattr(link, "authorization", None),
                self._down(link.pile_id),
                lambda why: self.store.alert(self.clock.now(), link.pile_id, "upstream", why),
            )
            link.upstream = upstream
        runner = self.spawn(link.run())
        self.spawn(self._reconcile_when_heard(link))
        try:
            await runner
        finally:
            if upstream is not None:
                await upstream.close()
            if self._links.get(link.pile_id) is link:
                del self._links[link.pile_id]
                pile.link, pile.online = None, False
                self.dispatcher.link_down(link.pile_id)
                self.store.update_charger(link.pile_id, last_seen=self.clock.now().isoformat())
                self.poke("offline")

    async def _reconcile_when_heard(self, link: PileLink) -> None:
        """Reconcile a new connection once the pile's first message is answered (a
        BootNotification is answered before the service calls the pile), or after
        :data:`BOOT_WAIT_S` of silence (a pile back from an outage need not boot)."""
        heard = getattr(link, "heard", None)
        if heard is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.wait(), BOOT_WAIT_S)
        if self._links.get(link.pile_id) is link:
            await self.reconciler.reconcile(link.pile_id)

    # --- profiles the service wants every pile to hold --------------------------------------------
    def default_specs(self, pile: PileState) -> list[ProfileSpec]:
        """Commissioning profiles, idle hold and DR default (:mod:`evgrid.service.defaults`)."""
        return self.defaults.default_specs(pile)

    def default_at(self, t: datetime) -> float:
        """Commissioning default current at ``t`` [A]."""
        return self.defaults.default_at(t)

    # --- GatewayHooks ----------------------------------------------------------------------------
    def clock_skewed(self, pile_id: str) -> None:
        """A pile's clock was found skewed: its defaults are moved into its clock."""
        self.spawn(self.reconciler.ensure_defaults(pile_id))

    def plan_ended(self, pile_id: str, connector: int) -> None:
        """A session ended whose plan does not end with its transaction: clear the plan."""
        self.spawn(self.planner.clear_plan_default(pile_id, connector))

    def _refresh_defaults(self) -> None:
        for pile in self.piles.values():
            if pile.online:
                self.spawn(self.reconciler.ensure_defaults(pile.id))

    # --- the service's faces ----------------------------------------------------------------------
    @property
    def dr_events(self) -> dict[str, DrEvent]:
        """Demand-response events in force (:attr:`DemandResponse.events`)."""
        return self.dr.events

    def declare(self, pile: str, connector: int, departure: Any, energy_kwh: Any) -> bool:
        """An owner's declared departure and energy (:meth:`PileGateway.declare`)."""
        return self.gateway.declare(pile, connector, departure, energy_kwh)

    async def on_dr_event(self, event: DrEvent) -> str:
        """A demand-response event (:meth:`DemandResponse.on_dr_event`)."""
        return await self.dr.on_dr_event(event)

    def on_dr_cancel(self, event_id: str) -> None:
        """A cancelled demand-response event."""
        self.dr.on_dr_cancel(event_id)

    def on_security(self, pile: str | None, kind: str, detail: str = "") -> None:
        """Record a security event (the gateway's listeners call this)."""
        self.gateway.on_security(pile, kind, detail)

    # --- owners, meter ----------------------------------------------------------------------------
    def charging_kw_estimate(self) -> float:
        """Power the piles draw now, a low estimate: metered power capped by each limit [kW]."""
        now = self.clock.now()
        total = 0.0
        for p in self.piles.values():
            for c, conn in p.connectors.items():
                if conn.tx is not None:
                    volts = p.phase_volts(self.config.phase_voltage_v)
                    cap = float(to_kw(p.limit_at(now, c, False), volts, p.row.phases))
                    total += min(conn.tx.power_kw, cap)
        return total

    def observe_site_meter(self, site_kw: float, ts: datetime | None = None) -> None:
        """A transformer-meter reading [kW]: corrects the base-load forecast.

        Raises
        ------
        RefusedError
            A reading that is not a finite number within +-``service_max_site_kw``.
        """
        top = checks.max_site_kw()
        site_kw = checks.number("site_kw", site_kw, -top, top, "kW")
        t = ts or self.clock.now()
        base = site_kw - self.charging_kw_estimate()
        self.forecast.observe(t, base)
        self.store.log_meter(t, site_kw, base)

    def site_power_kw(self) -> float:
        """Present site load: corrected base forecast + charging estimate [kW]."""
        now = self.clock.now()
        return (
            self.forecast.uncorrected(now)
            + self.forecast.correction_kw(now)
            + (self.charging_kw_estimate())
        )

    # --- full cars --------------------------------------------------------------------------------
    def update_full(self, now: datetime) -> None:
        """Mark cars full that have not drawn for :data:`FULL_AFTER_S` under a limit >= 6 A,
        and top up the estimate of an undeclared car that reached it but still takes energy.

        Top-up: a car whose owner declared nothing (the usual case with GB/T AC piles, which
        cannot hear the car) and whose estimated energy is (almost) delivered, while it still
        charges or waits on the service's 0 A (``Charging``, ``SuspendedEVSE``), gets
        :data:`TOPUP_KWH` more; spare capacity keeps flowing to it until it stops drawing on
        its own (``SuspendedEV``, then full) or leaves.
        """
        for p in self.piles.values():
            for c, conn in p.connectors.items():
                tx = conn.tx
                if tx is None or tx.full:
                    continue
                if (
                    not tx.declared
                    and tx.suspended_since is None
                    and conn.status in ("Charging", "SuspendedEVSE")
                    and tx.energy_kwh - tx.delivered_kwh < TOPUP_KWH / 4
                ):
                    tx.energy_kwh = min(tx.delivered_kwh + TOPUP_KWH, checks.max_energy_kwh())
                    self.store.update_transaction(tx.tx_id, energy_kwh=tx.energy_kwh)
                if tx.suspended_since is None:
                    continue
                waited = (now - tx.suspended_since).total_seconds()
                if waited >= FULL_AFTER_S and p.limit_at(now, c, False) >= MIN_CURRENT_A:
                    tx.full = True
                    left = tx.energy_kwh - tx.delivered_kwh
                    if tx.declared and left > 1.0:
                        self.store.alert(now, p.id, "car-stopped", f"{left:.1f} kWh not taken")

    def status(self) -> dict[str, Any]:
        """Status document of the service (the status endpoint's JSON)."""
        from evgrid.service.status import status_document

        return status_document(self)
