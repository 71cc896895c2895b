"""OCPP 2.0.1 adapter: the service side of one pile, on the ``ocpp`` package.

Transactions are the pile's (``TransactionEvent`` Started/Updated/Ended with its own text id);
the service keeps its own integer id beside it. A TxProfile names the pile's transaction id; the
pile maximum (``ChargingStationMaxProfile``) goes on EVSE 0. ``chargingState`` of a transaction
event is reported as the OCPP 1.6 status of the same name (Charging, SuspendedEV, ...), so the
service sees one vocabulary. ``NotifyEVChargingNeeds`` (ISO 15118 cars) becomes a declaration.
"""

from __future__ import annotations

from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from evgrid.service.adapters import LinkClosedError, PileEvents
from evgrid.service.checks import when
from evgrid.service.clock import iso
from evgrid.service.ocpp16 import (
    ENERGY,
    limits_from_schedule,
    profile_from_wire,
    relay_call,
    sampled_values,
    schedule_of,
)
from evgrid.service.ocppj import GuardedLink, pile_logger, refusing
from evgrid.service.profiles import Limits, ProfileSpec
from evgrid.service.settings import CALL_TIMEOUT_S, HEARTBEAT_S

FORMAT_ERROR = "FormatViolation"
"""OCPP-J error code of a malformed payload in this version."""
PURPOSE_201 = {
    "max": "ChargingStationMaxProfile",
    "tx_default": "TxDefaultProfile",
    "tx": "TxProfile",
}


def profile_201(spec: ProfileSpec) -> dict[str, Any]:
    """A :class:`ProfileSpec` as an OCPP 2.0.1 ``chargingProfile`` object (snake case)."""
    lim = spec.limits
    profile: dict[str, Any] = {
        "id": spec.profile_id,
        "stack_level": spec.stack,
        "charging_profile_purpose": PURPOSE_201[spec.purpose],
        "charging_profile_kind": "Recurring" if lim.recurring_daily else "Absolute",
        "charging_schedule": [{"id": spec.profile_id, **schedule_of(lim, spec.phases)}],
    }
    if lim.recurring_daily:
        profile["recurrency_kind"] = "Daily"
    if spec.purpose == "tx" and spec.tx_id is not None:
        profile["transaction_id"] = str(spec.tx_id)
    return profile


def _sampled(
    meter_value: list[dict[str, Any]] | None,
) -> tuple[float | None, float | None, float | None]:
    """Power [kW], energy register [Wh] and phase voltage [V] of a 2.0.1 meter-value list
    (checked)."""
    return sampled_values(
        [
            (
                sv.get("measurand", ENERGY),
                (sv.get("unit_of_measure") or {}).get("unit"),
                sv.get("phase"),
                sv.get("value"),
            )
            for mv in meter_value or []
            for sv in mv.get("sampled_value", [])
        ]
    )


class Ocpp201Link(GuardedLink, ChargePoint):
    """Service side of one OCPP 2.0.1 charging station (one EVSE per connector)."""

    protocol = "ocpp2.0.1"

    def __init__(self, pile_id: str, connection: Any, events: PileEvents) -> None:
        super().__init__(
            pile_id, connection, response_timeout=CALL_TIMEOUT_S, logger=pile_logger(pile_id)
        )
        self.pile_id = pile_id
        self.events = events

    async def run(self) -> None:
        try:
            await self.start()
        except LinkClosedError:
            return
        except Exception as exc:
            if type(exc).__name__.startswith("ConnectionClosed"):
                return
            raise

    async def _call(self, payload: Any) -> Any:
        try:
            return await self.call(payload, suppress=False)
        except OCPPError as exc:
            return exc

    # --- station -> service ---------------------------------------------------------------------
    @on(Action.boot_notification)
    @refusing
    def on_boot_notification(
        self, charging_station: dict[str, Any], reason: str, **kwargs: Any
    ) -> call_result.BootNotification:
        self.events.on_boot(
            self.pile_id, charging_station.get("vendor_name", ""), charging_station.get("model", "")
        )
        return call_result.BootNotification(
            current_time=iso(self.events.now()), interval=HEARTBEAT_S, status="Accepted"
        )

    @on(Action.heartbeat)
    @refusing
    def on_heartbeat(self, **kwargs: Any) -> call_result.Heartbeat:
        self.events.on_heartbeat(self.pile_id)
        return call_result.Heartbeat(current_time=iso(self.events.now()))

    @on(Action.status_notification)
    @refusing
    def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **kw: Any
    ) -> call_result.StatusNotification:
        if connector_status != "Occupied":  # occupied: the transaction events say more
            self.events.on_status(
                self.pile_id, evse_id, connector_status, when("timestamp", timestamp)
            )
        else:
            self.events.on_clock(self.pile_id, when("timestamp", timestamp))
        return call_result.StatusNotification()

    @on(Action.authorize)
    @refusing
    def on_authorize(self, id_token: dict[str, Any], **kwargs: Any) -> call_result.Authorize:
        status = self.events.authorize(self.pile_id, str(id_token.get("id_token", "")))
        return call_result.Authorize(id_token_info={"status": status})

    @on(Action.transaction_event)
    @refusing
    def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **kwargs: Any,
    ) -> call_result.TransactionEvent:
        ts = when("timestamp", timestamp)
        ext_id = str(transaction_info["transaction_id"])
        evse = int((kwargs.get("evse") or {}).get("id", 1))
        power_kw, energy_wh, volts = _sampled(kwargs.get("meter_value"))
        if event_type == "Started":
            tag = (kwargs.get("id_token") or {}).get("id_token", "")
            self.events.on_tx_start(self.pile_id, evse, tag, energy_wh or 0.0, ts, ext_id=ext_id)
        tx_id = self.events.tx_for_ext(self.pile_id, ext_id)
        state = transaction_info.get("charging_state")
        if state is not None and event_type != "Ended":
            self.events.on_status(
                self.pile_id, evse, "Preparing" if state == "EVConnected" else state, ts
            )
        if event_type != "Ended" and (power_kw is not None or energy_wh is not None):
            self.events.on_meter(self.pile_id, evse, power_kw, energy_wh, ts, volts)
        if event_type == "Ended" and tx_id is not None:
            self.events.on_tx_stop(self.pile_id, tx_id, energy_wh or 0.0, ts)
        elif event_type != "Started" and tx_id is None:
            self.events.on_security(self.pile_id, "unknown-transaction", f"{event_type} {ext_id}")
        if kwargs.get("id_token"):
            tag = str(kwargs["id_token"].get("id_token", ""))
            status = self.events.authorize(self.pile_id, tag)
            return call_result.TransactionEvent(id_token_info={"status": status})
        return call_result.TransactionEvent()

    @on(Action.meter_values)
    @refusing
    def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.MeterValues:
        power_kw, energy_wh, volts = _sampled(meter_value)
        ts = meter_value[0].get("timestamp") if meter_value else None
        self.events.on_meter(
            self.pile_id, evse_id, power_kw, energy_wh, when("timestamp", ts) if ts else None, volts
        )
        return call_result.MeterValues()

    @on(Action.notify_ev_charging_needs)
    @refusing
    def on_notify_ev_charging_needs(
        self, charging_needs: dict[str, Any], evse_id: int, **kwargs: Any
    ) -> call_result.NotifyEVChargingNeeds:
        dep = charging_needs.get("departure_time")
        ac = charging_needs.get("ac_charging_parameters") or {}
        energy_wh = ac.get("energy_amount")
        self.events.on_needs(
            self.pile_id,
            evse_id,
            when("departureTime", dep) if dep else None,
            None if energy_wh is None else float(energy_wh) / 1000.0,
        )
        return call_result.NotifyEVChargingNeeds(status="Accepted")

    @on(Action.sign_certificate)
    @refusing
    def on_sign_certificate(self, csr: str, **kwargs: Any) -> call_result.SignCertificate:
        return call_result.SignCertificate(status=self.events.on_csr(self.pile_id, csr))

    # --- service -> station ---------------------------------------------------------------------
    async def set_profile(self, spec: ProfileSpec) -> str:
        res = await self._call(
            call.SetChargingProfile(evse_id=spec.connector, charging_profile=profile_201(spec))
        )
        return res.status if isinstance(res, call_result.SetChargingProfile) else "Error"

    async def clear_profile(self, spec: ProfileSpec) -> str:
        res = await self._call(call.ClearChargingProfile(charging_profile_id=spec.profile_id))
        return res.status if isinstance(res, call_result.ClearChargingProfile) else "Error"

    async def composite(self, connector: int, duration_s: int) -> Limits | None:
        res = await self._call(
            call.GetCompositeSchedule(
                duration=duration_s, evse_id=connector, charging_rate_unit="A"
            )
        )
        if not isinstance(res, call_result.GetCompositeSchedule) or res.status != "Accepted":
            return None
        sched = res.schedule or {}
        return limits_from_schedule(sched, sched.get("schedule_start"))

    async def trigger_status(self, connector: int) -> str:
        res = await self._call(
            call.TriggerMessage(
                requested_message="StatusNotification", evse={"id": connector, "connector_id": 1}
            )
        )
        return res.status if isinstance(res, call_result.TriggerMessage) else "Error"

    async def capabilities(self) -> dict[str, str]:
        res = await self._call(
            call.GetVariables(
                get_variable_data=[
                    {
                        "component": {"name": "SmartChargingCtrlr"},
                        "variable": {"name": "PeriodsPerSchedule"},
                    }
                ]
            )
        )
        out: dict[str, str] = {}
        if isinstance(res, call_result.GetVariables):
            for item in res.get_variable_result or []:
                if item.get("attribute_status") == "Accepted" and "attribute_value" in item:
                    out["ChargingScheduleMaxPeriods"] = str(item["attribute_value"])
        return out

    async def relay(self, action: str, payload: dict[str, Any]) -> tuple[str, Any]:
        """A call of the operator's CSMS passed to the pile as it came (local-controller
        mode); ``("result", payload)`` or ``("error", (code, description))``."""
        return await relay_call(self._call, call, action, payload)

    def foreign_profile(self, payload: dict[str, Any]) -> ProfileSpec | None:
        """The profile of a CSMS's SetChargingProfile, as the pile holds it (None for a
        schedule in W, which the service does not model)."""
        return profile_from_wire(payload, self.events.now())

    # --- the operator's calls -------------------------------------------------------------------
    async def operate(self, command: str, args: dict[str, Any]) -> str:
        """An operator's call to the station; its status answer (or the error code)."""
        payload: Any
        if command == "remote_start":
            payload = call.RequestStartTransaction(
                id_token={"id_token": args["id_tag"], "type": "Central"},
                remote_start_id=int(args.get("remote_start_id", 1)),
                evse_id=args.get("connector"),
            )
        elif command == "remote_stop":
            payload = call.RequestStopTransaction(transaction_id=str(args["transaction"]))
        elif command == "reset":
            payload = call.Reset(type="Immediate" if args["type"] == "Hard" else "OnIdle")
        elif command == "unlock":
            payload = call.UnlockConnector(evse_id=args["connector"], connector_id=1)
        elif command == "availability":
            payload = call.ChangeAvailability(
                operational_status=args["type"],
                evse={"id": args["connector"]} if args["connector"] else None,
            )
        elif command == "certificate_signed":
            payload = call.CertificateSigned(certificate_chain=args["chain"])
        else:
            raise ValueError(command)
        res = await self._call(payload)
        if isinstance(res, OCPPError):
            return str(getattr(res, "code", "Error"))
        return str(getattr(res, "status", "Accepted"))

    async def close(self) -> None:
        closer = getattr(self._connection, "close", None)
        if closer is not None:
            await closer()
