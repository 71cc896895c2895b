"""The pile side of the service: every pile message, checked, becomes the service's state.

:class:`PileGateway` implements :class:`~evgrid.service.adapters.PileEvents` -- what a protocol
adapter (OCPP 1.6J, 2.0.1, or another) reports -- and the owners' declarations. Each value passes
:mod:`evgrid.service.checks` first; a message about another pile's transaction or a connector
the pile does not have is refused (:class:`~evgrid.service.checks.ForeignReferenceError`,
:class:`~evgrid.service.checks.RefusedError`) and changes nothing. What follows from a message
goes to the rest of the service through :class:`GatewayHooks` (ask for a replan, refresh a
pile's defaults, end a session's plan): the gateway knows no planner.

Clock error is measured only from a status that answers the service's TriggerMessage (a live
round trip; a message queued offline keeps the time it was composed at); transactions keep the
times the pile sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np

from evgrid.errors import bad_value
from evgrid.service import checks
from evgrid.service.adapters import LinkClosedError, PileLink
from evgrid.service.checks import ForeignReferenceError
from evgrid.service.clock import Clock, iso, utc
from evgrid.service.control import remaining_kwh
from evgrid.service.dispatcher import Dispatcher
from evgrid.service.profiles import to_kw
from evgrid.service.settings import GUARD_S, SKEW_LIMIT_S, ServiceConfig
from evgrid.service.state import TRIGGER_WINDOW_S, PileState, Priors, TxState
from evgrid.service.store import Store

METER_REPLAN_KWH = 0.25
"""A meter reading that moves a session's remaining energy by more than this replans [kWh]
(evgrid assumption; smaller deviations wait for the next slot's replan)."""
VOLTS_RANGE = (90.0, 300.0)
"""Phase voltages a pile may report [V]: beyond GB/T 12325's +7/-10 % of 220 V with room for
single-phase 110-127 V supplies abroad (evgrid's choice)."""
FUTURE_H = 24.0 * 7
"""A pile's or owner's time more than this ahead of the service's is refused [h] (evgrid's
choice: a skewed clock is off by minutes, a departure is at most days ahead)."""
CAR_MAX_GAP_KW = 0.7
"""A car drawing this much below its pile's limit shows its own maximum [kW] (evgrid
assumption: a current step of about 3 A at 220 V)."""


class GatewayHooks(Protocol):
    """What the gateway asks of the rest of the service."""

    def poke(self, reason: str) -> None:
        """Something changed that the plan should see."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        """Run a coroutine in the background."""
        ...

    def clock_skewed(self, pile_id: str) -> None:
        """A pile's clock was found skewed: refresh its defaults (moved into its clock)."""
        ...

    def plan_ended(self, pile_id: str, connector: int) -> None:
        """A session ended whose plan does not end with its transaction: clear it."""
        ...


class PileGateway:
    """Pile messages and owners' declarations in; the piles' state out.

    Parameters
    ----------
    piles
        The service's piles by id (this object's state).
    store
        Durable state (transactions, alerts, security events, id tags).
    clock
        Time source.
    config
        The service's options (CA for certificates, voltage, time zone).
    priors
        Estimates of undeclared sessions.
    dispatcher
        The piles' queues (a signed certificate goes back through them).
    hooks
        The rest of the service (:class:`GatewayHooks`).
    """

    def __init__(
        self,
        piles: dict[str, PileState],
        store: Store,
        clock: Clock,
        config: ServiceConfig,
        priors: Priors,
        dispatcher: Dispatcher,
        hooks: GatewayHooks,
    ) -> None:
        self.piles = piles
        self.store = store
        self.clock = clock
        self.config = config
        self.priors = priors
        self.dispatcher = dispatcher
        self.hooks = hooks

    def on_ext_tx(self, pile: str, tx_id: int, ext_id: str) -> None:
        """The CSMS's id of a transaction (local-controller mode, OCPP 1.6)."""
        p = self.piles.get(pile)
        if p is None:
            return
        for conn in p.connectors.values():
            if conn.tx is not None and conn.tx.tx_id == tx_id:
                conn.tx.ext_id = ext_id
                self.store.update_transaction(tx_id, ext_id=ext_id)

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

        self.hooks.spawn(deliver())
        return "Accepted"

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
            self.hooks.clock_skewed(pile.id)
        elif not pile.skewed and pile.skew_alerted and abs(pile.skew_s) < SKEW_LIMIT_S / 2:
            pile.skew_alerted = False

    def on_clock(self, pile: str, ts: Any) -> None:
        """A time stamp of the pile's that says nothing else (a 2.0.1 status of an occupied
        connector): a clock sample if it answers a TriggerMessage."""
        self._skew(self.piles[pile], self._time("timestamp", ts))

    def on_boot(self, pile: str, vendor: str, model: str) -> None:
        self.store.update_charger(pile, vendor=vendor, model=model)
        self.hooks.poke("boot")

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
            self.hooks.poke("status")

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
        self.hooks.poke("tx-start")
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
        expected = remaining_kwh(p, connector, tx, now, volts)
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
        now_left = remaining_kwh(p, connector, tx, now, volts)
        if abs(now_left - expected) > METER_REPLAN_KWH or tx.car_max_kw != learned:
            self.hooks.poke("meter")

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
                    self.hooks.plan_ended(pile, c)
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
        self.hooks.poke("tx-stop")

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
        self.hooks.poke("declare")
        return True
