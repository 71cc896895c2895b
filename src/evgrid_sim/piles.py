"""A simulated AC pile with its car: the physics, and the pile side of OCPP 1.6J and 2.0.1.

:class:`PileModel` holds the profiles a pile accepted and computes what it lets the car draw,
in the pile's own clock (which may be skewed), by the same composite rules as a real pile
(:func:`evgrid.service.profiles.composite_at`); the car draws ``min(limit, its own maximum)``
while the limit is at least 6 A, until its need is met. Faults on demand: a clock skew that
ignores the time the service sends, rejection of TxProfile, a car that does not resume after a
0 A pause.

:class:`SimLink16` and :class:`SimLink201` are the pile's OCPP side on the ``ocpp`` package.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from evgrid.service.clock import iso, utc
from evgrid.service.profiles import Limits, ProfileSpec, Purpose, composite_at
from evgrid.service.settings import MIN_CURRENT_A, PLAN_STACK

PURPOSES: dict[str, Purpose] = {
    "ChargePointMaxProfile": "max",
    "ChargingStationMaxProfile": "max",
    "TxDefaultProfile": "tx_default",
    "TxProfile": "tx",
}


@dataclass
class Car:
    """A car's visit.

    Parameters
    ----------
    arrival, departure
        Plug-in and plug-out (UTC).
    energy_kwh
        Energy it wants, grid side [kWh].
    max_kw
        Most power it takes [kW].
    declare
        Whether its owner declares departure and energy.
    no_resume
        Fault: once paused at 0 A after charging, it never draws again.
    """

    arrival: datetime
    departure: datetime
    energy_kwh: float
    max_kw: float
    declare: bool = True
    no_resume: bool = False
    delivered_kwh: float = 0.0
    stuck: bool = False
    pauses: int = 0
    drawing: bool = False

    @property
    def full(self) -> bool:
        """Need met (within 1 Wh)."""
        return self.delivered_kwh >= self.energy_kwh - 1e-3


@dataclass
class PileModel:
    """A simulated AC pile.

    Parameters
    ----------
    pile_id
        Id.
    volts, phases, max_a
        Phase voltage [V], phases [-] and maximum current [A per phase].
    skew_s
        Its clock minus true time [s] (fault: it ignores the service's time).
    rejects_tx
        Fault: it rejects TxProfile.
    refuses_all
        Fault: it answers ``Rejected`` to every profile (and so charges at its maximum).
    """

    pile_id: str
    volts: float = 220.0
    phases: int = 1
    max_a: float = 32.0
    skew_s: float = 0.0
    rejects_tx: bool = False
    refuses_all: bool = False
    max_periods: int = 24
    installed: dict[tuple[str, int, int], ProfileSpec] = field(default_factory=dict)
    car: Car | None = None
    tx_id: int | str | None = None
    register_wh: float = 0.0
    t_last: datetime | None = None
    minute_peak_kw: float = 0.0
    pending: list[str] = field(default_factory=list)
    tx_started_at: datetime | None = None
    first_plan_at: datetime | None = None
    """True time the first planner profile (stack 3) of the running transaction was accepted."""

    def catch_up(self, t: datetime) -> None:
        """Run the physics up to true time ``t`` under the profiles installed so far (before a
        profile changes, so a new one never applies to the past)."""
        if self.t_last is not None and t > self.t_last:
            peak, events = self.advance(self.t_last, t)
            self.minute_peak_kw = max(self.minute_peak_kw, peak)
            self.pending.extend(events)
        if self.t_last is None or t > self.t_last:
            self.t_last = t

    def close_minute(self, t: datetime) -> tuple[float, list[str]]:
        """Catch up to ``t``; the highest power since the last call [kW] and the car events."""
        self.catch_up(t)
        peak, events = self.minute_peak_kw, self.pending
        self.minute_peak_kw, self.pending = 0.0, []
        return peak, events

    def pile_time(self, t: datetime) -> datetime:
        """The pile's clock at true time ``t``."""
        return t + timedelta(seconds=self.skew_s)

    def limit_a(self, t: datetime) -> float:
        """Effective current limit at true time ``t`` [A]."""
        return composite_at(
            self.installed.values(), self.pile_time(t), 1, self.tx_id is not None, self.max_a
        )

    def power_kw(self, t: datetime) -> float:
        """What the car draws at true time ``t`` [kW]."""
        car = self.car
        if car is None or self.tx_id is None or car.full or car.stuck:
            return 0.0
        limit = self.limit_a(t)
        if limit < MIN_CURRENT_A:
            return 0.0
        return min(limit * self.volts * self.phases / 1000.0, car.max_kw)

    def changes(self, t0: datetime, t1: datetime) -> list[datetime]:
        """True times in ``(t0, t1)`` where the pile's limit may change."""
        d = timedelta(seconds=self.skew_s)
        out: set[datetime] = set()
        for p in self.installed.values():
            out.update(t - d for t in p.limits.changes(t0 + d, t1 + d))
        return sorted(out)

    def advance(self, t0: datetime, t1: datetime) -> tuple[float, list[str]]:
        """Charge the car over ``[t0, t1)``; returns the highest power [kW] and car events
        (``"full"``, ``"paused"``, ``"resumed"``, ``"stuck"``)."""
        events: list[str] = []
        peak = 0.0
        times = [t0, *self.changes(t0, t1), t1]
        for a, b in itertools.pairwise(times):
            car = self.car
            p = self.power_kw(a)
            peak = max(peak, p)
            if car is None or self.tx_id is None:
                continue
            want_kw = (
                0.0
                if car.full or car.stuck
                else min(self.limit_a(a) * self.volts * self.phases / 1000.0, car.max_kw)
            )
            if car.drawing and p == 0.0 and not car.full and want_kw < 1e-9:
                car.pauses += 1
                events.append("paused")
                if car.no_resume:
                    car.stuck = True
                    events.append("stuck")
            if not car.drawing and p > 0.0 and car.delivered_kwh > 0.0:
                events.append("resumed")
            car.drawing = p > 0.0
            hours = (b - a).total_seconds() / 3600.0
            energy = min(p * hours, max(car.energy_kwh - car.delivered_kwh, 0.0))
            car.delivered_kwh += energy
            self.register_wh += energy * 1000.0
            if p > 0.0 and car.full:
                car.drawing = False
                events.append("full")
        return peak, events

    def composite(self, t: datetime, duration_s: int) -> Limits:
        """Composite schedule from true time ``t`` for ``duration_s`` (as the pile reports it:
        start in its own clock)."""
        start = self.pile_time(t)
        end = t + timedelta(seconds=duration_s)
        times = [t, *self.changes(t, end)]
        periods: list[tuple[int, float]] = []
        for x in times:
            v = self.limit_a(x)
            off = round((x - t).total_seconds())
            if not periods or periods[-1][1] != v:
                periods.append((off, v))
        return Limits(start=start, periods=tuple(periods))

    def accept(self, spec: ProfileSpec) -> str:
        """Take a profile as a pile would: reject TxProfile without a transaction (or as a
        fault), replace the same purpose/connector/stack, else add."""
        if self.refuses_all:
            return "Rejected"
        if spec.purpose == "tx" and (self.rejects_tx or self.tx_id is None):
            return "Rejected"
        if spec.purpose == "max" and spec.connector != 0:
            return "Rejected"
        if len(spec.limits.periods) > self.max_periods:
            return "Rejected"
        for key in [k for k, s in self.installed.items() if s.profile_id == spec.profile_id]:
            del self.installed[key]
        self.installed[spec.key] = spec
        if spec.stack == PLAN_STACK and self.tx_id is not None and self.first_plan_at is None:
            self.first_plan_at = self.t_last
        return "Accepted"

    def clear(self, profile_id: int | None) -> str:
        """ClearChargingProfile by id (None: all)."""
        keys = [k for k, s in self.installed.items() if profile_id in (None, s.profile_id)]
        for k in keys:
            del self.installed[k]
        return "Accepted" if keys else "Unknown"

    def end_tx(self) -> None:
        """The transaction ended: its TxProfile goes (OCPP 1.6 section 3.13.4)."""
        self.tx_id = None
        for k in [k for k in self.installed if k[0] == "tx"]:
            del self.installed[k]


def _spec(
    purpose_text: str, connector: int, prof: dict[str, Any], schedule: dict[str, Any]
) -> ProfileSpec:
    periods = tuple(
        (int(p["start_period"]), float(p["limit"])) for p in schedule["charging_schedule_period"]
    )
    lim = Limits(
        start=utc(schedule["start_schedule"]),
        periods=periods,
        recurring_daily=prof.get("charging_profile_kind") == "Recurring",
        duration_s=schedule.get("duration"),
    )
    return ProfileSpec(
        PURPOSES[purpose_text],
        connector,
        int(prof.get("charging_profile_id", prof.get("id", 0))),
        int(prof["stack_level"]),
        lim,
        int(schedule["charging_schedule_period"][0].get("number_phases", 1)),
        prof.get("transaction_id"),
    )


class _SimCalls:
    """The simulated piles leave schema validation to the service side (half the work)."""

    async def _send_call(self, payload: Any) -> Any:
        return await self.call(payload, skip_schema_validation=True)  # type: ignore[attr-defined]


class SimLink16(_SimCalls, ChargePoint16):
    """Pile side of OCPP 1.6J."""

    def __init__(self, model: PileModel, connection: Any, now: Any) -> None:
        super().__init__(model.pile_id, connection, response_timeout=30)
        self.model = model
        self.now = now

    @on(Action16.set_charging_profile, skip_schema_validation=True)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **kw: Any
    ) -> Any:
        prof = cs_charging_profiles
        spec = _spec(
            prof["charging_profile_purpose"], connector_id, prof, prof["charging_schedule"]
        )
        self.model.catch_up(self.now())
        return result16.SetChargingProfile(status=self.model.accept(spec))

    @on(Action16.clear_charging_profile, skip_schema_validation=True)
    def on_clear_charging_profile(self, **kw: Any) -> Any:
        self.model.catch_up(self.now())
        return result16.ClearChargingProfile(status=self.model.clear(kw.get("id")))

    @on(Action16.get_composite_schedule, skip_schema_validation=True)
    def on_get_composite_schedule(self, connector_id: int, duration: int, **kw: Any) -> Any:
        comp = self.model.composite(self.now(), duration)
        return result16.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=iso(comp.start),
            charging_schedule={
                "duration": duration,
                "start_schedule": iso(comp.start),
                "charging_rate_unit": "A",
                "charging_schedule_period": [
                    {"start_period": s, "limit": a} for s, a in comp.periods
                ],
            },
        )

    @on(Action16.trigger_message, skip_schema_validation=True)
    def on_trigger_message(self, requested_message: str, **kw: Any) -> Any:
        return result16.TriggerMessage(status="Accepted")

    @after(Action16.trigger_message)
    async def after_trigger_message(self, requested_message: str, **kw: Any) -> None:
        if requested_message == "StatusNotification":
            await self.status(self.current_status())

    def current_status(self) -> str:
        """The connector status a real pile would report now."""
        car = self.model.car
        if self.model.tx_id is None or car is None:
            return "Available"
        if car.full or car.stuck:
            return "SuspendedEV"
        return "Charging" if self.model.power_kw(self.now()) > 0 else "SuspendedEVSE"

    @on(Action16.get_configuration, skip_schema_validation=True)
    def on_get_configuration(self, **kw: Any) -> Any:
        return result16.GetConfiguration(
            configuration_key=[
                {
                    "key": "ChargingScheduleMaxPeriods",
                    "readonly": True,
                    "value": str(self.model.max_periods),
                },
                {"key": "ChargeProfileMaxStackLevel", "readonly": True, "value": "8"},
            ]
        )

    @on(Action16.change_configuration, skip_schema_validation=True)
    def on_change_configuration(self, key: str, value: str, **kw: Any) -> Any:
        return result16.ChangeConfiguration(status="Accepted")

    # --- pile -> service ----------------------------------------------------------------------
    async def boot(self) -> None:
        await self._send_call(
            call16.BootNotification(charge_point_model="sim-ac7", charge_point_vendor="evgrid")
        )

    def _at(self, at: datetime | None) -> str:
        """The pile's time stamp of a message composed at true time ``at`` (a queued message
        keeps the time it was composed at, as OCPP requires)."""
        return iso(self.model.pile_time(at or self.now()))

    async def status(self, status: str, at: datetime | None = None) -> None:
        await self._send_call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status=status, timestamp=self._at(at)
            )
        )

    async def start_tx(self, at: datetime | None = None, meter_wh: float | None = None) -> int:
        res = await self._send_call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="owner",
                meter_start=round(self.model.register_wh if meter_wh is None else meter_wh),
                timestamp=self._at(at),
            )
        )
        return int(res.transaction_id)

    async def meter(
        self, power_kw: float, at: datetime | None = None, register_wh: float | None = None
    ) -> None:
        register = self.model.register_wh if register_wh is None else register_wh
        await self._send_call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=self.model.tx_id,
                meter_value=[
                    {
                        "timestamp": self._at(at),
                        "sampled_value": [
                            {
                                "value": f"{power_kw * 1000:.1f}",
                                "measurand": "Power.Active.Import",
                                "unit": "W",
                            },
                            {
                                "value": f"{register:.1f}",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            },
                        ],
                    }
                ],
            )
        )

    async def stop_tx(
        self, tx_id: int | str, at: datetime | None = None, meter_wh: float | None = None
    ) -> None:
        await self._send_call(
            call16.StopTransaction(
                meter_stop=round(self.model.register_wh if meter_wh is None else meter_wh),
                timestamp=self._at(at),
                transaction_id=int(tx_id),
            )
        )

    async def heartbeat(self) -> None:
        await self._send_call(call16.Heartbeat())


class SimLink201(_SimCalls, ChargePoint201):
    """Pile side of OCPP 2.0.1 (one EVSE)."""

    def __init__(self, model: PileModel, connection: Any, now: Any) -> None:
        super().__init__(model.pile_id, connection, response_timeout=30)
        self.model = model
        self.now = now
        self.seq = 0

    @on(Action201.set_charging_profile, skip_schema_validation=True)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **kw: Any
    ) -> Any:
        prof = charging_profile
        spec = _spec(prof["charging_profile_purpose"], evse_id, prof, prof["charging_schedule"][0])
        if spec.purpose == "tx" and str(spec.tx_id) != str(self.model.tx_id):
            return result201.SetChargingProfile(status="Rejected")
        self.model.catch_up(self.now())
        return result201.SetChargingProfile(status=self.model.accept(spec))

    @on(Action201.clear_charging_profile, skip_schema_validation=True)
    def on_clear_charging_profile(self, **kw: Any) -> Any:
        self.model.catch_up(self.now())
        return result201.ClearChargingProfile(
            status=self.model.clear(kw.get("charging_profile_id"))
        )

    @on(Action201.get_composite_schedule, skip_schema_validation=True)
    def on_get_composite_schedule(self, duration: int, evse_id: int, **kw: Any) -> Any:
        comp = self.model.composite(self.now(), duration)
        return result201.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evse_id": evse_id,
                "duration": duration,
                "schedule_start": iso(comp.start),
                "charging_rate_unit": "A",
                "charging_schedule_period": [
                    {"start_period": s, "limit": a} for s, a in comp.periods
                ],
            },
        )

    @on(Action201.trigger_message, skip_schema_validation=True)
    def on_trigger_message(self, requested_message: str, **kw: Any) -> Any:
        return result201.TriggerMessage(status="Accepted")

    @after(Action201.trigger_message)
    async def after_trigger_message(self, requested_message: str, **kw: Any) -> None:
        if requested_message == "StatusNotification":
            await self._send_call(
                call201.StatusNotification(
                    timestamp=self._ts(),
                    connector_status="Occupied" if self.model.tx_id is not None else "Available",
                    evse_id=1,
                    connector_id=1,
                )
            )

    @on(Action201.get_variables, skip_schema_validation=True)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **kw: Any) -> Any:
        return result201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "attribute_value": str(self.model.max_periods),
                    "component": d["component"],
                    "variable": d["variable"],
                }
                for d in get_variable_data
            ]
        )

    def _ts(self, at: datetime | None = None) -> str:
        return iso(self.model.pile_time(at or self.now()))

    def _tx_event(
        self,
        event_type: str,
        reason: str,
        state: str | None,
        power_kw: float | None,
        tx_id: int | str | None = None,
        at: datetime | None = None,
        register_wh: float | None = None,
        **kw: Any,
    ) -> Any:
        self.seq += 1
        info: dict[str, Any] = {
            "transaction_id": str(tx_id if tx_id is not None else self.model.tx_id)
        }
        if state is not None:
            info["charging_state"] = state
        register = self.model.register_wh if register_wh is None else register_wh
        meter = None
        if power_kw is not None:
            meter = [
                {
                    "timestamp": self._ts(at),
                    "sampled_value": [
                        {
                            "value": round(power_kw * 1000, 1),
                            "measurand": "Power.Active.Import",
                            "unit_of_measure": {"unit": "W"},
                        },
                        {
                            "value": round(register, 1),
                            "measurand": "Energy.Active.Import.Register",
                            "unit_of_measure": {"unit": "Wh"},
                        },
                    ],
                }
            ]
        # a queued event (composed before now) says so (OCPP 2.0.1 E04: offline flag)
        queued = at is not None and (self.now() - at).total_seconds() > 1.0
        return call201.TransactionEvent(
            event_type=event_type,
            timestamp=self._ts(at),
            trigger_reason=reason,
            seq_no=self.seq,
            transaction_info=info,
            meter_value=meter,
            evse={"id": 1, "connector_id": 1},
            offline=True if queued else None,
            **kw,
        )

    async def boot(self) -> None:
        await self._send_call(
            call201.BootNotification(
                charging_station={"model": "sim-ac7", "vendor_name": "evgrid"}, reason="PowerUp"
            )
        )

    async def status(self, status: str, at: datetime | None = None) -> None:
        if status in ("Available", "Unavailable", "Faulted"):
            await self._send_call(
                call201.StatusNotification(
                    timestamp=self._ts(at), connector_status=status, evse_id=1, connector_id=1
                )
            )
        elif self.model.tx_id is not None:
            state = {
                "Charging": "Charging",
                "SuspendedEV": "SuspendedEV",
                "SuspendedEVSE": "SuspendedEVSE",
                "Preparing": "EVConnected",
            }.get(status, "Idle")
            await self._send_call(
                self._tx_event("Updated", "ChargingStateChanged", state, None, at=at)
            )

    async def start_tx(
        self, at: datetime | None = None, meter_wh: float | None = None
    ) -> int | str:
        tx = f"{self.model.pile_id}-{int((at or self.now()).timestamp())}"
        self.model.tx_id = tx
        self.seq = 0
        await self._send_call(
            self._tx_event(
                "Started",
                "CablePluggedIn",
                "EVConnected",
                0.0,
                at=at,
                register_wh=meter_wh,
                id_token={"id_token": "owner", "type": "Central"},
            )
        )
        return tx

    async def meter(
        self, power_kw: float, at: datetime | None = None, register_wh: float | None = None
    ) -> None:
        await self._send_call(
            self._tx_event(
                "Updated", "MeterValuePeriodic", None, power_kw, at=at, register_wh=register_wh
            )
        )

    async def stop_tx(
        self, tx_id: int | str, at: datetime | None = None, meter_wh: float | None = None
    ) -> None:
        await self._send_call(
            self._tx_event(
                "Ended",
                "EVCommunicationLost",
                "Idle",
                0.0,
                tx_id=tx_id,
                at=at,
                register_wh=meter_wh,
            )
        )

    async def heartbeat(self) -> None:
        await self._send_call(call201.Heartbeat())
