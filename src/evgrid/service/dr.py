"""The grid signal: an OpenADR 2.0b VEN on ``openleadr`` (outbound HTTP polling only).

Events map to caps on the site load (:class:`~evgrid.service.adapters.DrEvent`), one per
interval: ``LOAD_CONTROL`` with ``x-loadControlCapacity`` (a fraction of the transformer limit)
or ``x-loadControlSetpoint`` (kW), and ``SIMPLE`` levels (:data:`DR_SIMPLE_LEVELS` of the
limit). The service answers ``optIn`` when the replan under the cap leaves little more energy
unmet. A cancelled event is removed; an event is otherwise kept to its end, so a lost link to
the VTN keeps the last events in force (openleadr lists every active event in each
distribution and treats a missing one as cancelled only while the link works).

The VEN never listens: it polls the VTN. Use HTTPS with the VTN's CA (``vtn_ca``) and, for
signed messages, the VEN's certificate and key and the VTN's fingerprint.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from evgrid.service.adapters import DrEvent, GridEvents
from evgrid.service.clock import utc
from evgrid.service.settings import DR_SIMPLE_LEVELS

log = logging.getLogger("evgrid.service")


def events_from_openadr(event: dict[str, Any], limit_kw: float) -> list[DrEvent]:
    """The caps of one openleadr event dictionary, one per interval (empty if none apply)."""
    eid = event["event_descriptor"]["event_id"]
    signals = event.get("event_signals") or []
    if isinstance(signals, dict):
        signals = signals.get("event_signals", [])
    out: list[DrEvent] = []
    period = event.get("active_period") or {}
    for sig in signals:
        name, kind = sig.get("signal_name"), sig.get("signal_type")
        for k, iv in enumerate(sig.get("intervals") or []):
            start = utc(iv.get("dtstart") or period["dtstart"])
            dur = iv.get("duration") or period.get("duration") or timedelta(0)
            value = float(iv.get("signal_payload", 0.0))
            cap: float | None = None
            if name == "LOAD_CONTROL" and kind == "x-loadControlCapacity":
                cap = value * limit_kw
            elif name == "LOAD_CONTROL" and kind == "x-loadControlSetpoint":
                cap = value
            elif name == "SIMPLE" and int(value) in DR_SIMPLE_LEVELS:
                cap = DR_SIMPLE_LEVELS[int(value)] * limit_kw
            if cap is not None and dur.total_seconds() > 0:
                out.append(DrEvent(f"{eid}/{k}", start, start + dur, cap))
    return out


class OpenAdrVen:
    """OpenADR 2.0b VEN (implements :class:`~evgrid.service.adapters.GridSignal`).

    Parameters
    ----------
    vtn_url
        The VTN's base URL (``.../OpenADR2/Simple/2.0b``).
    ven_name
        This VEN's name.
    limit_kw
        Transformer limit the capacity fractions refer to [kW].
    vtn_fingerprint, cert, key, ca_file
        Message signing and TLS material (paths), optional.
    """

    def __init__(
        self,
        vtn_url: str,
        ven_name: str,
        limit_kw: float,
        *,
        vtn_fingerprint: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.vtn_url = vtn_url
        self.ven_name = ven_name
        self.limit_kw = limit_kw
        self.options = {
            "vtn_fingerprint": vtn_fingerprint,
            "cert": cert,
            "key": key,
            "ca_file": ca_file,
            "disable_signature": cert is None,
            "show_fingerprint": False,
        }
        self.client: Any = None
        self.sink: GridEvents | None = None
        self.received: list[str] = []

    async def start(self, sink: GridEvents) -> None:
        """Register with the VTN and start polling."""
        from openleadr import OpenADRClient

        self.sink = sink
        self.client = OpenADRClient(ven_name=self.ven_name, vtn_url=self.vtn_url, **self.options)
        self.client.add_handler("on_event", self._on_event)
        self.client.add_handler("on_update_event", self._on_event)
        try:
            self.client.add_report(
                callback=self._power, resource_id="site", measurement="RealPower", unit="kW"
            )
        except Exception:  # reports are optional for a VTN
            log.warning("openleadr: powerReal report not registered", exc_info=True)
        await self.client.run()

    async def stop(self) -> None:
        """Stop polling."""
        if self.client is not None:
            await self.client.stop()
            self.client = None

    def _power(self) -> float:
        return 0.0 if self.sink is None else float(self.sink.site_power_kw())

    async def _on_event(self, event: dict[str, Any]) -> str:
        assert self.sink is not None
        eid = event["event_descriptor"]["event_id"]
        self.received.append(eid)
        status = event["event_descriptor"].get("event_status")
        caps = events_from_openadr(event, self.limit_kw)
        if status == "cancelled":
            for ev in caps:
                self.sink.on_dr_cancel(ev.event_id)
            return "optIn"
        if not caps:
            return "optOut"
        answers = [await self.sink.on_dr_event(ev) for ev in caps]
        return "optIn" if all(a == "optIn" for a in answers) else "optOut"
