"""The two small interfaces behind which the pile protocol and the grid signal sit.

* :class:`PileLink` -- what the service asks of one connected pile. OCPP 1.6J
  (:mod:`evgrid.service.ocpp16`) and 2.0.1 (:mod:`evgrid.service.ocpp201`) implement it; a
  proprietary protocol (such as the YKC TCP protocol many Chinese piles speak) would too.
* :class:`PileEvents` -- what a pile adapter reports to the service (implemented by
  :class:`evgrid.service.core.ChargingService`).
* :class:`GridSignal` / :class:`GridEvents` -- a demand-response source and what it reports.
  OpenADR 2.0b (:mod:`evgrid.service.dr`) implements it; a Chinese DR platform speaking the
  DL/T 1867 information model would too.

Nothing in the planner or the dispatcher knows which protocol a pile or a signal speaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from evgrid.service.profiles import Limits, ProfileSpec


class LinkClosedError(Exception):
    """The pile's connection is gone."""


class PileLink(Protocol):
    """One connected pile, as the service sees it."""

    pile_id: str
    protocol: str

    async def run(self) -> None:
        """Serve the pile's messages until the connection closes."""
        ...

    async def set_profile(self, spec: ProfileSpec) -> str:
        """Install a profile; the pile's answer (``"Accepted"``, ``"Rejected"``, ...)."""
        ...

    async def clear_profile(self, spec: ProfileSpec) -> str:
        """Remove a profile by its id; the pile's answer."""
        ...

    async def composite(self, connector: int, duration_s: int) -> Limits | None:
        """The pile's composite schedule of a connector from now, None if it gave none."""
        ...

    async def trigger_status(self, connector: int) -> str:
        """Ask the pile to send a status notification of a connector; the pile's answer."""
        ...

    async def capabilities(self) -> dict[str, str]:
        """Smart-charging capabilities it reports (``ChargingScheduleMaxPeriods``, ...)."""
        ...

    async def operate(self, command: str, args: dict[str, Any]) -> str:
        """An operator's call (``remote_start``, ``remote_stop``, ``reset``, ``unlock``,
        ``availability``, ``certificate_signed``); the pile's answer."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...


class PileEvents(Protocol):
    """What a pile adapter reports. ``ts`` is the pile's own time stamp when it sent one."""

    def now(self) -> datetime:
        """The service's time."""
        ...

    def on_boot(self, pile: str, vendor: str, model: str) -> None:
        """The pile booted."""
        ...

    def on_heartbeat(self, pile: str) -> None:
        """A heartbeat."""
        ...

    def on_status(self, pile: str, connector: int, status: str, ts: datetime | None) -> None:
        """Connector status (OCPP 1.6 names: Available, Preparing, Charging, SuspendedEV...)."""
        ...

    def on_tx_start(
        self,
        pile: str,
        connector: int,
        id_tag: str,
        meter_wh: float,
        ts: datetime,
        ext_id: str | None = None,
    ) -> int:
        """A transaction started; returns the service's transaction id."""
        ...

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
        """A meter reading of a connector (power [kW], register [Wh], phase voltage [V]; the
        transaction it names, OCPP 1.6)."""
        ...

    def on_tx_stop(self, pile: str, tx_id: int, meter_wh: float, ts: datetime) -> None:
        """A transaction stopped."""
        ...

    def on_needs(
        self, pile: str, connector: int, departure: datetime | None, energy_kwh: float | None
    ) -> None:
        """The car's charging needs (OCPP 2.0.1 NotifyEVChargingNeeds, ISO 15118 cars)."""
        ...

    def tx_for_ext(self, pile: str, ext_id: str) -> int | None:
        """The service's transaction id of a 2.0.1 transaction id."""
        ...

    def authorize(self, pile: str, id_tag: str) -> str:
        """Status of an id tag (``Accepted``, ``Blocked``, ``Invalid``): the local list."""
        ...

    def on_csr(self, pile: str, csr: str) -> str:
        """A certificate signing request: ``Accepted`` (signed and sent back shortly) or
        ``Rejected``."""
        ...

    def on_clock(self, pile: str, ts: datetime) -> None:
        """A time stamp of the pile's that says nothing else (a clock sample at most)."""
        ...

    def on_security(self, pile: str | None, kind: str, detail: str = "") -> None:
        """Something the security event log keeps (a refused frame, a foreign reference)."""
        ...


@dataclass(frozen=True)
class DrEvent:
    """A demand-response event as the planner uses it.

    Parameters
    ----------
    event_id
        The signal's event id.
    start, end
        Event window (UTC).
    cap_kw
        Cap on the site's load during the window [kW].
    """

    event_id: str
    start: datetime
    end: datetime
    cap_kw: float


class GridEvents(Protocol):
    """What a grid-signal adapter reports."""

    async def on_dr_event(self, event: DrEvent) -> str:
        """A new or changed event; returns ``"optIn"`` or ``"optOut"``."""
        ...

    def on_dr_cancel(self, event_id: str) -> None:
        """The event was cancelled."""
        ...

    def site_power_kw(self) -> float:
        """The site's present load, for reports [kW]."""
        ...


class GridSignal(Protocol):
    """A demand-response source."""

    async def start(self, sink: GridEvents) -> None:
        """Connect (outbound) and start delivering events to ``sink``."""
        ...

    async def stop(self) -> None:
        """Disconnect."""
        ...
