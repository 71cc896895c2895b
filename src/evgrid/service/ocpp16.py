"""OCPP 1.6J adapter: the service side of one pile, on the ``ocpp`` package.

Handlers answer the pile's requests at once and report them to the service
(:class:`~evgrid.service.adapters.PileEvents`); nothing here waits on another CALL, since the
package serves one message at a time and a CALL inside a handler would deadlock. Profiles go
out from the dispatcher's tasks through :meth:`Ocpp16Link.set_profile`.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    ChargingProfileStatus,
    MessageTrigger,
    RegistrationStatus,
)

from evgrid.service.adapters import LinkClosedError, PileEvents
from evgrid.service.checks import when
from evgrid.service.clock import iso, utc
from evgrid.service.ocppj import GuardedLink, pile_logger, refusing
from evgrid.service.profiles import Limits, ProfileSpec, Purpose
from evgrid.service.settings import CALL_TIMEOUT_S, HEARTBEAT_S, METER_INTERVAL_S


def inline_validation() -> None:
    """Validate OCPP messages on the event loop instead of in a thread pool.

    The ``ocpp`` package validates in ``run_in_executor`` by default: under the GIL that buys no
    parallelism, and it makes message order depend on threads. The service owns its process,
    so it sets the package's switch once.
    """
    import ocpp.messages

    ocpp.messages.ASYNC_VALIDATION = False


FORMAT_ERROR = "FormationViolation"
"""OCPP-J error code of a malformed payload in this version (the 1.6 specification's own
spelling, OCPP-J 1.6 section 4.2.3)."""
PURPOSE_16 = {"max": "ChargePointMaxProfile", "tx_default": "TxDefaultProfile", "tx": "TxProfile"}
CAPABILITY_KEYS = ["ChargingScheduleMaxPeriods", "ChargeProfileMaxStackLevel"]


LIMIT_STEP_A = 0.1
"""Resolution of a schedule's limit on the wire [A]: OCPP 1.6's JSON schema makes
``chargingSchedulePeriod.limit`` a multiple of 0.1, and the ``ocpp`` package refuses a
SetChargingProfile whose limit is not (``10.200000000000001`` included)."""


def wire_limit(amps: float) -> float:
    """A limit rounded down to :data:`LIMIT_STEP_A` [A] (never above the planned one, beyond
    a round-off of 1e-6 A)."""
    return math.floor(amps / LIMIT_STEP_A + 1e-6) / round(1 / LIMIT_STEP_A)


def schedule_of(lim: Limits, phases: int) -> dict[str, Any]:
    """The charging schedule of a profile [A], in the snake-case shape both OCPP versions share;
    limits rounded down to :data:`LIMIT_STEP_A`."""
    schedule: dict[str, Any] = {
        "start_schedule": iso(lim.start),
        "charging_rate_unit": "A",
        "charging_schedule_period": [
            {"start_period": int(s), "limit": wire_limit(a), "number_phases": phases}
            for s, a in lim.periods
        ],
    }
    if lim.duration_s is not None:
        schedule["duration"] = int(lim.duration_s)
    return schedule


def profile_16(spec: ProfileSpec) -> dict[str, Any]:
    """A :class:`ProfileSpec` as an OCPP 1.6 ``csChargingProfiles`` object (snake case)."""
    lim = spec.limits
    profile: dict[str, Any] = {
        "charging_profile_id": spec.profile_id,
        "stack_level": spec.stack,
        "charging_profile_purpose": PURPOSE_16[spec.purpose],
        "charging_profile_kind": "Recurring" if lim.recurring_daily else "Absolute",
        "charging_schedule": schedule_of(lim, spec.phases),
    }
    if lim.recurring_daily:
        profile["recurrency_kind"] = "Daily"
    if spec.purpose == "tx" and spec.tx_id is not None:
        profile["transaction_id"] = int(spec.tx_id)
    return profile


ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
VOLTAGE = "Voltage"
SCALE = {"W": 0.001, "kW": 1.0, "Wh": 1.0, "kWh": 1000.0, "V": 1.0}
"""Factor to kW (power), Wh (energy) or V of each unit the service reads."""


def sampled_values(
    values: list[tuple[str, str | None, str | None, Any]],
) -> tuple[float | None, float | None, float | None]:
    """Power [kW], energy register [Wh] and phase voltage [V] of ``(measurand, unit, phase,
    value)`` samples (OCPP 1.6 and 2.0.1 meter values); per-phase powers add up, per-phase
    voltages average. None for a measurand not sampled.

    Raises
    ------
    RefusedError
        A value of one of these measurands that is not a finite number in its range, or a unit
        the service does not read.
    """
    from evgrid.service import checks

    power: list[float] = []
    energy: list[float] = []
    volts: list[float] = []
    for measurand, unit, phase, value in values:
        if measurand not in (ENERGY, POWER, VOLTAGE):
            continue
        unit = unit or {ENERGY: "Wh", POWER: "W", VOLTAGE: "V"}[measurand]
        allowed = {ENERGY: ("Wh", "kWh"), POWER: ("W", "kW"), VOLTAGE: ("V",)}[measurand]
        if unit not in allowed:
            raise checks.refused(f"{measurand} unit", unit, " or ".join(allowed))
        x = checks.number_text(measurand, value, -1e15, 1e15, unit) * SCALE[unit]
        if measurand == POWER:
            power.append(x)
        elif measurand == ENERGY:
            energy.append(x)
        elif phase is None or str(phase).endswith("-N") or str(phase) in ("L1", "L2", "L3"):
            volts.append(x)
    return (
        sum(power) if power else None,
        max(energy) if energy else None,
        sum(volts) / len(volts) if volts else None,
    )


WIRE_PURPOSES: dict[str, Purpose] = {
    "ChargePointMaxProfile": "max",
    "ChargingStationMaxProfile": "max",
    "TxDefaultProfile": "tx_default",
    "TxProfile": "tx",
}


def profile_from_wire(payload: dict[str, Any], now: datetime) -> ProfileSpec | None:
    """A SetChargingProfile payload (camel case, OCPP 1.6 or 2.0.1) as a :class:`ProfileSpec`;
    None for a schedule in W or a purpose the service does not model."""
    prof = payload.get("csChargingProfiles") or payload.get("chargingProfile") or {}
    connector = payload.get("connectorId", payload.get("evseId", 0))
    schedule = prof.get("chargingSchedule") or {}
    if isinstance(schedule, list):
        schedule = schedule[0] if schedule else {}
    purpose = WIRE_PURPOSES.get(prof.get("chargingProfilePurpose", ""))
    periods = schedule.get("chargingSchedulePeriod") or []
    if purpose is None or schedule.get("chargingRateUnit") != "A" or not periods:
        return None
    start = schedule.get("startSchedule")
    lim = Limits(
        start=utc(start) if start else now,
        periods=tuple((int(p["startPeriod"]), float(p["limit"])) for p in periods),
        recurring_daily=prof.get("chargingProfileKind") == "Recurring",
        duration_s=schedule.get("duration"),
    )
    return ProfileSpec(
        purpose,
        int(connector),
        int(prof.get("chargingProfileId", prof.get("id", 0))),
        int(prof.get("stackLevel", 0)),
        lim,
        int(periods[0].get("numberPhases", 1)),
        prof.get("transactionId"),
    )


def limits_from_schedule(schedule: dict[str, Any] | None, start: str | None) -> Limits | None:
    """A composite schedule answer (snake case) as :class:`Limits`, None if there is none."""
    if not schedule:
        return None
    when = start or schedule.get("start_schedule") or schedule.get("schedule_start")
    periods = schedule.get("charging_schedule_period") or []
    if when is None or not periods:
        return None
    return Limits(
        start=utc(when),
        periods=tuple((int(p["start_period"]), float(p["limit"])) for p in periods),
    )


def _sampled(
    meter_value: list[dict[str, Any]],
) -> tuple[float | None, float | None, float | None, str | None]:
    """Power [kW], energy register [Wh], phase voltage [V] and time stamp of a MeterValues
    list (the newest
    sample's time). Values of the measurands the service uses are checked
    (:func:`evgrid.service.checks.number_text`); others are not read."""
    readings = [
        (sv, mv.get("timestamp")) for mv in meter_value or [] for sv in mv.get("sampled_value", [])
    ]
    power_kw, energy_wh, volts = sampled_values(
        [
            (sv.get("measurand", ENERGY), sv.get("unit"), sv.get("phase"), sv.get("value"))
            for sv, _ in readings
        ]
    )
    ts = None
    for mv in meter_value or []:
        ts = mv.get("timestamp", ts)
    return power_kw, energy_wh, volts, ts


async def relay_call(
    send: Callable[[Any], Awaitable[Any]], calls: Any, action: str, payload: dict[str, Any]
) -> tuple[str, Any]:
    """Send the CSMS's call ``action`` (a class of the OCPP version's ``calls`` module) with its
    camelCase ``payload`` through ``send``; ``("result", camelCase payload)`` or ``("error",
    (code, description))`` (local-controller mode, both OCPP versions)."""
    cls = getattr(calls, action, None)
    if cls is None or not isinstance(payload, dict):
        return "error", ("NotImplemented", f"{action} is not relayed")
    try:
        request = cls(**camel_to_snake_case(payload))
    except TypeError as exc:
        return "error", (FORMAT_ERROR, str(exc)[:200])
    res = await send(request)
    if isinstance(res, OCPPError):
        return "error", (res.code, res.description)
    return "result", snake_to_camel_case(remove_nones(serialize_as_dict(res)))


class Ocpp16Link(GuardedLink, ChargePoint):
    """Service side of one OCPP 1.6J pile.

    Parameters
    ----------
    pile_id
        The pile's id.
    connection
        Any object with ``async send(str)`` and ``async recv() -> str``.
    events
        Where the pile's reports go.
    """

    protocol = "ocpp1.6"

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
        except Exception as exc:  # websockets' ConnectionClosed and friends
            if type(exc).__name__.startswith("ConnectionClosed"):
                return
            raise

    async def _call(self, payload: Any) -> Any:
        try:
            return await self.call(payload, suppress=False)
        except OCPPError as exc:
            return exc

    # --- pile -> service ------------------------------------------------------------------------
    @on(Action.boot_notification)
    @refusing
    def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any
    ) -> call_result.BootNotification:
        self.events.on_boot(self.pile_id, charge_point_vendor, charge_point_model)
        return call_result.BootNotification(
            current_time=iso(self.events.now()),
            interval=HEARTBEAT_S,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    @refusing
    def on_heartbeat(self, **kwargs: Any) -> call_result.Heartbeat:
        self.events.on_heartbeat(self.pile_id)
        return call_result.Heartbeat(current_time=iso(self.events.now()))

    @on(Action.status_notification)
    @refusing
    def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **kwargs: Any
    ) -> call_result.StatusNotification:
        ts = kwargs.get("timestamp")
        self.events.on_status(
            self.pile_id, connector_id, status, when("timestamp", ts) if ts else None
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    @refusing
    def on_authorize(self, id_tag: str, **kwargs: Any) -> call_result.Authorize:
        return call_result.Authorize(
            id_tag_info={"status": self.events.authorize(self.pile_id, id_tag)}
        )

    @on(Action.start_transaction)
    @refusing
    def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs: Any
    ) -> call_result.StartTransaction:
        tx_id = self.events.on_tx_start(
            self.pile_id, connector_id, id_tag, float(meter_start), when("timestamp", timestamp)
        )
        return call_result.StartTransaction(
            transaction_id=tx_id,
            id_tag_info={"status": self.events.authorize(self.pile_id, id_tag)},
        )

    @on(Action.meter_values)
    @refusing
    def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.MeterValues:
        power_kw, energy_wh, volts, ts = _sampled(meter_value)
        self.events.on_meter(
            self.pile_id,
            connector_id,
            power_kw,
            energy_wh,
            when("timestamp", ts) if ts else None,
            volts,
            None
            if kwargs.get("transaction_id") is None
            else self._local_tx(kwargs["transaction_id"]),
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    @refusing
    def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **kwargs: Any
    ) -> call_result.StopTransaction:
        self.events.on_tx_stop(
            self.pile_id,
            self._local_tx(transaction_id),
            float(meter_stop),
            when("timestamp", timestamp),
        )
        return call_result.StopTransaction(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.sign_certificate)
    @refusing
    def on_sign_certificate(self, csr: str, **kwargs: Any) -> call_result.SignCertificate:
        return call_result.SignCertificate(status=self.events.on_csr(self.pile_id, csr))

    def _local_tx(self, tx_id: Any) -> Any:
        """The service's transaction id of the one the pile names: in local-controller mode
        the pile knows the CSMS's id (kept as the transaction's external id)."""
        if self.upstream is None:
            return tx_id
        local = self.events.tx_for_ext(self.pile_id, str(tx_id))
        return tx_id if local is None else local

    def after_upstream(self, frame: list[Any], reply: list[Any]) -> None:
        """The CSMS's transaction id of a StartTransaction becomes the transaction's external
        id (the pile uses it from then on)."""
        if frame[2] != "StartTransaction" or reply[0] != 3 or not isinstance(reply[2], dict):
            return
        ext = reply[2].get("transactionId")
        local = None
        with contextlib.suppress(Exception):
            local = json.loads(self._last_local)[2].get("transactionId")
        if ext is not None and local is not None:
            self.events.on_ext_tx(self.pile_id, int(local), str(ext))

    # --- service -> pile ------------------------------------------------------------------------
    async def set_profile(self, spec: ProfileSpec) -> str:
        res = await self._call(
            call.SetChargingProfile(
                connector_id=spec.connector, cs_charging_profiles=profile_16(spec)
            )
        )
        return res.status if isinstance(res, call_result.SetChargingProfile) else "Error"

    async def clear_profile(self, spec: ProfileSpec) -> str:
        res = await self._call(call.ClearChargingProfile(id=spec.profile_id))
        return res.status if isinstance(res, call_result.ClearChargingProfile) else "Error"

    async def composite(self, connector: int, duration_s: int) -> Limits | None:
        res = await self._call(
            call.GetCompositeSchedule(
                connector_id=connector, duration=duration_s, charging_rate_unit="A"
            )
        )
        if not isinstance(res, call_result.GetCompositeSchedule) or res.status != "Accepted":
            return None
        return limits_from_schedule(res.charging_schedule, res.schedule_start)

    async def trigger_status(self, connector: int) -> str:
        res = await self._call(
            call.TriggerMessage(
                requested_message=MessageTrigger.status_notification, connector_id=connector
            )
        )
        return res.status if isinstance(res, call_result.TriggerMessage) else "Error"

    async def capabilities(self) -> dict[str, str]:
        res = await self._call(call.GetConfiguration(key=CAPABILITY_KEYS))
        out: dict[str, str] = {}
        if isinstance(res, call_result.GetConfiguration):
            for item in res.configuration_key or []:
                if item.get("value") is not None:
                    out[item["key"]] = str(item["value"])
        await self._call(
            call.ChangeConfiguration(key="MeterValueSampleInterval", value=str(METER_INTERVAL_S))
        )
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
        """An operator's call to the pile; the pile's status answer (or the error code)."""
        payload: Any
        if command == "remote_start":
            payload = call.RemoteStartTransaction(
                id_tag=args["id_tag"], connector_id=args.get("connector")
            )
        elif command == "remote_stop":
            payload = call.RemoteStopTransaction(transaction_id=int(args["transaction"]))
        elif command == "reset":
            payload = call.Reset(type=args["type"])
        elif command == "unlock":
            payload = call.UnlockConnector(connector_id=args["connector"])
        elif command == "availability":
            payload = call.ChangeAvailability(connector_id=args["connector"], type=args["type"])
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


ACCEPTED = ChargingProfileStatus.accepted.value


def skew_s(pile_ts: datetime | None, now: datetime) -> float | None:
    """Pile clock minus service clock from one time-stamped message [s] (None without one)."""
    if pile_ts is None:
        return None
    return (pile_ts - now) / timedelta(seconds=1)
