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

from evgrid.errors import bad_value
from evgrid.service import checks, control, defaults, reconcile
from evgrid.service.adapters import DrEvent, GridSignal, LinkClosedError, PileLink
from evgrid.service.checks import ForeignReferenceError
from evgrid.service.clock import Clock, SystemClock, iso, utc
from evgrid.service.dispatcher import Dispatcher
from evgrid.service.forecast import BaseForecast, base_day_kw, default_day_amps
from evgrid.service.metrics import Metrics
from evgrid.service.ocpp16 import inline_validation
from evgrid.service.operator import Operator
from evgrid.service.planner import Plan
from evgrid.service.profiles import ProfileSpec, to_kw
from evgrid.service.settings import (
    DEBOUNCE_MAX_S,
    DR_MAX_UNMET_SHARE,
    FULL_AFTER_S,
    GUARD_S,
    MIN_CURRENT_A,
    SKEW_LIMIT_S,
    TOPUP_KWH,
    ServiceConfig,
)
from evgrid.service.state import TRIGGER_WINDOW_S, ConnectorState, PileState, Priors, TxState
from evgrid.service.store import Store
from evgrid.service.upstream import Upstream

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
        self.limit_kw = self.config.limit_pu * capacity_kw
        self.margin_kw = self.config.margin_pu * capacity_kw
        day_kw = base_day_kw(site, self.config.slot_min)
        self.forecast = BaseForecast(
            day_kw, self.config.slot_s, self.config.utc_offset_h, deadband_kw=self.margin_kw / 2
        )
        self.piles: dict[str, PileState] = {}
        self.dispatcher = Dispatcher(self.piles, self.store, self.clock)
        self.metrics = Metrics()
        self.dr_events: dict[str, DrEvent] = {}
        self.last_plan: Plan | None = None
        self.last_plan_keys: list[Hashable] = []
        self.default_amps = np.zeros(len(day_kw))
        self.started_at: datetime | None = None
        self._wake = asyncio.Event()
        self._first_event_wall: float | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._links: dict[str, PileLink] = {}
        self._background: set[asyncio.Future[Any]] = set()
        self._push_lock = asyncio.Lock()
        self.servers: list[Any] = []
        self.operator = Operator(
            self.store,
            self.piles,
            self.dispatcher,
            self.clock,
            on_registered=self.add_pile,
            on_retired=self.retire_pile,
        )

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
        now = self.clock.now()
        for r in self.store.dr_events():
            end = utc(r["end_ts"])
            if r["opt"] == "optIn" and not r["cancelled"] and end > now and r["cap_kw"] is not None:
                ev = DrEvent(r["event_id"], utc(r["start_ts"]), end, float(r["cap_kw"]))
                self.dr_events[ev.event_id] = ev
        n_connectors = sum(p.row.connectors for p in self.piles.values())
        phases = max((p.row.phases for p in self.piles.values()), default=1)
        self.default_amps = default_day_amps(
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
            await self.signal.start(self)
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
                await control.replan(self, first)
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
            self._expire_dr(self.clock.now())
            wall = self.clock.wall()
            for pile in self.piles.values():
                if not pile.online:
                    continue
                if pile.uncontrollable:
                    # tried again with back-off, never every slot
                    if pile.retry_wall is not None and wall >= pile.retry_wall:
                        pile.retry_wall = None
                        self.spawn(reconcile.ensure_defaults(self, pile.id, force=True))
                elif pile.suspect:
                    self.spawn(reconcile.reconcile(self, pile.id))
                elif pile.reconciled_at is not None:
                    self.spawn(reconcile.ensure_defaults(self, pile.id))
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
                    self.spawn(reconcile.reconcile(self, pile_id))
            return kind, answer

        return down

    def on_ext_tx(self, pile: str, tx_id: int, ext_id: str) -> None:
        """The CSMS's id of a transaction (local-controller mode, OCPP 1.6)."""
        p = self.piles.get(pile)
        if p is None:
            return
        for conn in p.connectors.values():
            if conn.tx is not None and conn.tx.tx_id == tx_id:
                conn.tx.ext_id = ext_id
                self.store.update_transaction(tx_id, ext_id=ext_id)

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

    def authorize(self, pile: str, id_tag: str) -> str:
        """An id tag's status from the local authorisation list (:meth:`Store.authorize`)."""
        status = self.store.authorize(str(id_tag))
        if status != "Accepted":
            self.on_security(pile, "id-tag-refused", f"{str(id_tag)[:20]}: {status}")
        return status

    def on_csr(self, pile: str, csr: str) -> str:
        """A pile's certificate signing request: ``Accepted`` and signed by the operator's CA
        (sent back with CertificateSigned), or ``Rejected`` without a CA key or for a CSR that
        does not name the pile (a security event)."""
        from evgrid.service.certificates import sign_csr

        cfg = self.config
        if cfg.ca_key is None or cfg.client_ca is None:
            self.on_security(pile, "csr-rejected", "no CA key configured")
            return "Rejected"
        try:
            chain = sign_csr(csr, pile, cfg.client_ca, cfg.ca_key)
        except checks.RefusedError as exc:
            self.on_security(pile, "csr-rejected", str(exc))
            return "Rejected"
        self.on_security(pile, "certificate-signed", "CSR signed by the operator's CA")

        async def send(link: PileLink) -> str:
            return await link.operate("certificate_signed", {"chain": chain})

        async def deliver() -> None:
            with contextlib.suppress(LinkClosedError, TimeoutError):
                await self.dispatcher.run(pile, send)

        self.spawn(deliver())
        return "Accepted"

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
            await reconcile.reconcile(self, link.pile_id)

    # --- profiles the service wants every pile to hold --------------------------------------------
    def default_specs(self, pile: PileState) -> list[ProfileSpec]:
        """Commissioning profiles, idle hold and DR default (:mod:`evgrid.service.defaults`)."""
        return defaults.default_specs(self, pile)

    def default_at(self, t: datetime) -> float:
        """Commissioning default current at ``t`` [A]."""
        return defaults.default_at(self, t)

    # --- PileEvents -------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def _skew(self, pile: PileState, ts: datetime | None) -> None:
        """Take a status's time stamp as a clock sample only when it answers the service's
        TriggerMessage (a live round trip): a message the pile queued while offline carries the
        time it was composed at, which is no clock error. Of the statuses in the window the
        latest time stamp is the live one."""
        if ts is None or pile.trigger_wall is None or pile.trigger_at is None:
            return
        if self.clock.wall() - pile.trigger_wall > TRIGGER_WINDOW_S:
            return
        # the pile stamped its answer between the trigger's sending and its arrival here: the
        # clock error is how far outside that interval the stamp lies (a slow round trip widens
        # the interval instead of passing for skew)
        sent, got = pile.trigger_at, self.clock.now()
        inside = min(max(ts, sent), got)
        pile.trigger_samples.append((ts - inside).total_seconds())

    def close_trigger_window(self, pile: PileState) -> None:
        """End a TriggerMessage's window: its latest sample is the pile's clock error."""
        samples, pile.trigger_samples = pile.trigger_samples, []
        pile.trigger_wall = pile.trigger_at = None
        if not samples:
            return
        pile.observe_skew(max(samples))
        if pile.skewed and not pile.skew_alerted:  # (after the window closed)
            pile.skew_alerted = True
            self.store.alert(self.clock.now(), pile.id, "clock-skew", f"{pile.skew_s:.0f} s")
            self.spawn(reconcile.ensure_defaults(self, pile.id))
        elif not pile.skewed and pile.skew_alerted and abs(pile.skew_s) < SKEW_LIMIT_S / 2:
            pile.skew_alerted = False

    def on_clock(self, pile: str, ts: Any) -> None:
        """A time stamp of the pile's that says nothing else (a 2.0.1 status of an occupied
        connector): a clock sample if it answers a TriggerMessage."""
        self._skew(self.piles[pile], self._time("timestamp", ts))

    def on_boot(self, pile: str, vendor: str, model: str) -> None:
        self.store.update_charger(pile, vendor=vendor, model=model)
        self.poke("boot")

    def on_heartbeat(self, pile: str) -> None:
        self.store.update_charger(pile, last_seen=self.clock.now().isoformat())

    def _connector(self, p: PileState, connector: Any, zero: bool = False) -> int:
        """A connector (EVSE) id the pile has: 1..its connectors, or 0 with ``zero``."""
        c = checks.whole("connectorId", connector, 0 if zero else 1, p.row.connectors)
        return c

    def _own_transaction(self, p: PileState, connector: Any, tx_id: Any) -> None:
        """Refuse a message that names another pile's transaction (a security event)."""
        tx_id = checks.whole("transactionId", tx_id, 0, 2**63 - 1)
        conn = p.connectors.get(connector) if isinstance(connector, int) else None
        if conn is not None and conn.tx is not None and conn.tx.tx_id == tx_id:
            return
        row = self.store.transaction(tx_id)
        if row is not None and row["charger"] != p.id:
            self.on_security(p.id, "foreign-transaction", f"meter values of transaction {tx_id}")
            raise ForeignReferenceError(
                str(bad_value("transactionId", tx_id, "a transaction of this charge point"))
            )

    def _time(self, where: str, ts: Any) -> datetime:
        """A pile's time stamp, checked (not before 2000, at most a week ahead)."""
        return checks.when(where, ts, self.clock.now(), FUTURE_H)

    def on_status(self, pile: str, connector: int, status: str, ts: datetime | None) -> None:
        p = self.piles[pile]
        connector = self._connector(p, connector, zero=True)
        if ts is not None:
            ts = self._time("timestamp", ts)
        self._skew(p, ts)
        if connector == 0:
            return
        conn = p.connectors[connector]
        before = conn.status
        conn.status = status
        if conn.tx is not None:
            if status == "SuspendedEV":
                conn.tx.suspended_since = conn.tx.suspended_since or self.clock.now()
            elif status == "Charging":
                conn.tx.suspended_since = None
                conn.tx.full = False
        if status != before:
            self.poke("status")

    def on_tx_start(
        self,
        pile: str,
        connector: int,
        id_tag: str,
        meter_wh: float,
        ts: datetime,
        ext_id: str | None = None,
    ) -> int:
        p = self.piles[pile]
        connector = self._connector(p, connector)
        ts = self._time("timestamp", ts)
        meter_wh = checks.number("meterStart", meter_wh, 0.0, checks.max_register_wh(), "Wh")
        self._skew(p, ts)
        conn = p.connectors[connector]
        old = conn.tx
        if old is not None and ext_id is not None and old.ext_id == ext_id:
            return old.tx_id
        if old is not None and old.ext_id is None and ext_id is None:
            row = self.store.transaction(old.tx_id)
            if row is not None and row["start_ts"] == iso(ts) and row["id_tag"] == id_tag:
                return old.tx_id  # the same StartTransaction again (its answer was lost)
        if old is not None:
            # a new transaction on a connector still in one: the pile ended the old one without
            # telling (a lost StopTransaction); it is closed where the new one starts
            self.store.update_transaction(
                old.tx_id, stop_ts=ts, meter_wh=max(old.meter_wh, meter_wh)
            )
            self.store.alert(self.clock.now(), pile, "tx-superseded", f"transaction {old.tx_id}")
            conn.tx = None
        start = ts  # stored as the pile sent it (a queued start keeps its time)
        tx_id = self.store.open_transaction(pile, connector, start, meter_wh, id_tag, ext_id)
        departure, energy = self._estimate(pile, start)
        conn.tx = TxState(tx_id, ext_id, start, meter_wh, meter_wh, departure, energy)
        conn.status = "Charging"
        self.store.update_transaction(tx_id, departure_ts=departure, energy_kwh=energy)
        self.poke("tx-start")
        return tx_id

    def _estimate(self, pile: str, arrival: datetime) -> tuple[datetime, float]:
        """Estimated departure and energy of a new session: the pile's history, else the prior."""
        hist = self.store.history(pile)
        offset = self.config.utc_offset_h
        if len(hist) >= 5:
            hours = [
                (
                    (utc(r["stop_ts"]) + timedelta(hours=offset)).hour
                    + (utc(r["stop_ts"]) + timedelta(hours=offset)).minute / 60.0
                )
                for r in hist
            ]
            energies = [(r["meter_wh"] - r["meter_start_wh"]) / 1000.0 for r in hist]
            hour = float(np.quantile(hours, 0.25))
            return (
                self.priors.departure_after(arrival, offset, hour),
                float(np.median(energies)),
            )
        return self.priors.departure_after(arrival, offset), self.priors.energy_kwh

    def on_meter(
        self,
        pile: str,
        connector: int,
        power_kw: float | None,
        energy_wh: float | None,
        ts: datetime | None,
        volts: float | None = None,
        tx_id: int | None = None,
    ) -> None:
        p = self.piles[pile]
        if tx_id is not None:
            self._own_transaction(p, connector, tx_id)
        if volts is not None:
            volts = checks.number("Voltage", volts, VOLTS_RANGE[0], VOLTS_RANGE[1], "V")
            # smoothed, stored with a change of a volt or more (a pile's supply voltage moves
            # with the load: the plan uses what the pile measures, IEC 61851 limits are currents)
            p.volts = volts if p.volts is None else 0.8 * p.volts + 0.2 * volts
            if p.row.volts is None or abs(p.row.volts - p.volts) >= 1.0:
                p.row = dataclasses.replace(p.row, volts=round(p.volts, 1))
                self.store.update_charger(pile, volts=p.row.volts)
        connector = self._connector(p, connector, zero=True)
        if ts is not None:
            ts = self._time("meterValue.timestamp", ts)
        top_kw = checks.max_power_kw()
        if power_kw is not None:
            power_kw = checks.number("Power.Active.Import", power_kw, -top_kw, top_kw, "kW")
        if energy_wh is not None:
            energy_wh = checks.number(
                "Energy.Active.Import.Register", energy_wh, 0.0, checks.max_register_wh(), "Wh"
            )
        self._skew(p, ts)
        conn = p.connectors.get(connector)
        if conn is None or conn.tx is None:
            return
        tx = conn.tx
        now = self.clock.now()
        volts = p.phase_volts(self.config.phase_voltage_v)
        expected = control.remaining_kwh(p, connector, tx, now, volts)
        learned = tx.car_max_kw
        if energy_wh is not None:
            tx.meter_wh = max(energy_wh, tx.meter_start_wh)
            self.store.update_transaction(tx.tx_id, meter_wh=tx.meter_wh)
        if energy_wh is not None or power_kw is not None:
            tx.meter_at = now
        if power_kw is not None:
            tx.power_kw = max(power_kw, 0.0)
            kw_per_a = float(to_kw(1.0, volts, p.row.phases))
            # the car shows its own maximum only against a limit known to have held since the
            # reading was taken (less the guard for clock error): not while a profile is on its
            # way, whose limit the pile may apply before its answer arrives
            read_at = now if ts is None else min(now, ts - timedelta(seconds=p.skew_s))
            lowest = p.lowest_limit(read_at - timedelta(seconds=GUARD_S), now, connector)
            if (
                lowest is not None
                and conn.status == "Charging"
                and power_kw > 0.5
                and lowest * kw_per_a - power_kw > CAR_MAX_GAP_KW
            ):
                tx.car_max_kw = max(tx.car_max_kw or 0.0, power_kw * 1.02)
            tx.since_meter_kw = min(tx.power_kw, p.limit_at(now, connector, False) * kw_per_a)
        # a reading that changes the picture replans: energy off the estimate, or a slower car
        now_left = control.remaining_kwh(p, connector, tx, now, volts)
        if abs(now_left - expected) > METER_REPLAN_KWH or tx.car_max_kw != learned:
            self.poke("meter")

    def on_security(self, pile: str | None, kind: str, detail: str = "") -> None:
        """Record a security event (refused frames, foreign references, handshakes)."""
        self.store.security_event(self.clock.now(), pile, kind, detail)

    def on_tx_stop(self, pile: str, tx_id: int, meter_wh: float, ts: datetime) -> None:
        p = self.piles[pile]
        tx_id = checks.whole("transactionId", tx_id, 0, 2**63 - 1)
        ts = self._time("timestamp", ts)
        meter_wh = checks.number("meterStop", meter_wh, 0.0, checks.max_register_wh(), "Wh")
        for c, conn in p.connectors.items():
            if conn.tx is not None and conn.tx.tx_id == tx_id:
                tx = conn.tx
                tx.meter_wh = max(meter_wh, tx.meter_wh)
                self.store.update_transaction(
                    tx_id,
                    stop_ts=ts,
                    meter_wh=tx.meter_wh,
                    unmet_kwh=max(tx.energy_kwh - tx.delivered_kwh, 0.0) if tx.declared else None,
                )
                conn.tx = None
                conn.status = "Finishing"
                # a TxProfile ends with its transaction (OCPP 1.6 section 3.13.4)
                for key in [k for k in p.installed if k[0] == "tx" and k[1] == c]:
                    del p.installed[key]
                for key in [k for k in p.uncertain if k[0] == "tx" and k[1] == c]:
                    del p.uncertain[key]
                if p.row.rejects_tx or self.config.upstream:
                    self.spawn(control.clear_plan_default(self, pile, c))
                break
        else:
            row = self.store.transaction(tx_id)
            if row is not None and row["charger"] != pile:
                # another pile's transaction: refused, nothing changes
                self.on_security(pile, "foreign-transaction", f"stop of transaction {tx_id}")
                raise ForeignReferenceError(
                    str(bad_value("transactionId", tx_id, "a transaction of this charge point"))
                )
            if row is None:
                self.on_security(pile, "unknown-transaction", f"stop of transaction {tx_id}")
            elif row["stop_ts"] is None:
                self.store.update_transaction(tx_id, stop_ts=ts, meter_wh=meter_wh)
        self.poke("tx-stop")

    def on_needs(
        self, pile: str, connector: int, departure: datetime | None, energy_kwh: float | None
    ) -> None:
        self.declare(pile, connector, departure, energy_kwh)

    def tx_for_ext(self, pile: str, ext_id: str) -> int | None:
        p = self.piles[pile]
        for conn in p.connectors.values():
            if conn.tx is not None and conn.tx.ext_id == ext_id:
                return conn.tx.tx_id
        row = self.store.transaction_by_ext(pile, ext_id)
        return None if row is None else int(row["id"])

    # --- owners, meter ----------------------------------------------------------------------------
    def declare(
        self, pile: str, connector: int, departure: datetime | None, energy_kwh: float | None
    ) -> bool:
        """An owner's declared departure and energy need for the running session.

        Returns False when there is no session on that connector.

        Raises
        ------
        RefusedError
            An unknown pile, a connector it does not have, a departure more than a week ahead,
            an energy outside [0, ``service_max_session_energy_kwh``].
        """
        p = self.piles.get(checks.pile_id("pile", pile))
        if p is None:
            raise checks.refused("pile", pile, "a registered pile")
        connector = self._connector(p, connector)
        now = self.clock.now()
        if departure is not None:
            departure = checks.when("departure", departure, now, FUTURE_H)
        if energy_kwh is not None:
            energy_kwh = checks.number(
                "energy_kwh", energy_kwh, 0.0, checks.max_energy_kwh(), "kWh"
            )
        conn = p.connectors[connector]
        if conn.tx is None:
            return False
        tx = conn.tx
        if departure is not None:
            tx.departure = departure
        if energy_kwh is not None:
            tx.energy_kwh = energy_kwh
        tx.declared = True
        self.store.update_transaction(
            tx.tx_id, departure_ts=tx.departure, energy_kwh=tx.energy_kwh, declared=1
        )
        self.poke("declare")
        return True

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

    # --- GridEvents -------------------------------------------------------------------------------
    async def on_dr_event(self, event: DrEvent) -> str:
        """The site's answer to an event: a contracted site (``dr_policy="contracted"``) always
        opts in and obeys; a voluntary one opts in when the replan under the cap leaves at most
        ``service_dr_max_unmet_share`` more of the plugged-in energy unmet.

        Raises
        ------
        RefusedError
            An event that fails :func:`evgrid.service.checks.dr_event`.
        """
        now = self.clock.now()
        event = checks.dr_event(event.event_id, event.start, event.end, event.cap_kw, now)
        if event.end <= now:
            return "optOut"
        without = control.trial_plan(self, {})
        with_cap = control.trial_plan(self, {**self.dr_events, event.event_id: event})
        need = sum(max(e, 0.0) for e in without.request.energy_kwh)
        extra = with_cap.unmet_total_kwh - without.unmet_total_kwh
        cheap = extra <= DR_MAX_UNMET_SHARE * max(need, 1e-9) + 1e-6
        opt = "optIn" if cheap or self.config.dr_policy == "contracted" else "optOut"
        if opt == "optIn" and not cheap:
            self.store.alert(now, None, "dr-obeyed", f"{event.event_id}: +{extra:.1f} kWh unmet")
        self.store.save_dr_event(event.event_id, event.start, event.end, event.cap_kw, opt, now)
        if opt == "optIn":
            self.dr_events[event.event_id] = event
            for pile in self.piles.values():
                if pile.online:
                    self.spawn(reconcile.ensure_defaults(self, pile.id))
            self.poke("dr")
        else:
            self.store.alert(now, None, "dr-opt-out", f"{event.event_id}: +{extra:.1f} kWh unmet")
        return opt

    def on_dr_cancel(self, event_id: str) -> None:
        ev = self.dr_events.pop(event_id, None)
        if ev is None:
            return
        self.store.save_dr_event(
            ev.event_id, ev.start, ev.end, ev.cap_kw, "optIn", self.clock.now(), True
        )
        for pile in self.piles.values():
            if pile.online:
                self.spawn(reconcile.ensure_defaults(self, pile.id))
        self.poke("dr")

    def _expire_dr(self, now: datetime) -> None:
        for eid in [e for e, ev in self.dr_events.items() if ev.end <= now]:
            del self.dr_events[eid]

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
        return control.status_document(self)
