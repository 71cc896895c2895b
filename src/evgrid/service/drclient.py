"""The demand-response side of the service: the events it took on, and whether it takes one.

:class:`DemandResponse` implements :class:`~evgrid.service.adapters.GridEvents` for the grid
signal (the OpenADR VEN, or the status endpoint's ``POST /dr``): every event is checked
(:func:`evgrid.service.checks.dr_event`), answered by the site's policy (``dr_policy``:
``contracted`` obeys every cap, ``voluntary`` opts out when the replan under the cap leaves
more than ``service_dr_max_unmet_share`` of the plugged-in energy unmet), kept in the store and
held to its end (a lost link to the VTN keeps the last events in force).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from evgrid.service import checks
from evgrid.service.adapters import DrEvent
from evgrid.service.clock import Clock, utc
from evgrid.service.settings import DR_MAX_UNMET_SHARE, ServiceConfig
from evgrid.service.store import Store


class DemandResponse:
    """The events in force and the site's answers.

    Parameters
    ----------
    store, clock, config
        Durable state, time, options (``dr_policy``).
    trial
        A plan of the present state under some events (nothing is sent).
    poke
        Ask for a replan.
    refresh_defaults
        Re-install the piles' defaults (the DR default follows the events).
    site_power
        The site's present load [kW] (reported to the VTN).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: ServiceConfig,
        trial: Callable[[Mapping[str, DrEvent]], Any],
        poke: Callable[[str], None],
        refresh_defaults: Callable[[], None],
        site_power: Callable[[], float],
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.trial = trial
        self.poke = poke
        self.refresh_defaults = refresh_defaults
        self.site_power = site_power
        self.events: dict[str, DrEvent] = {}

    def load(self) -> None:
        """Take the opted-in events that are not over back from the store."""
        self.events.clear()
        now = self.clock.now()
        for r in self.store.dr_events():
            end = utc(r["end_ts"])
            if r["opt"] == "optIn" and not r["cancelled"] and end > now and r["cap_kw"] is not None:
                ev = DrEvent(r["event_id"], utc(r["start_ts"]), end, float(r["cap_kw"]))
                self.events[ev.event_id] = ev

    def site_power_kw(self) -> float:
        """The site's present load [kW]."""
        return float(self.site_power())

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
        without = self.trial({})
        with_cap = self.trial({**self.events, event.event_id: event})
        need = sum(max(e, 0.0) for e in without.request.energy_kwh)
        extra = with_cap.unmet_total_kwh - without.unmet_total_kwh
        cheap = extra <= DR_MAX_UNMET_SHARE * max(need, 1e-9) + 1e-6
        opt = "optIn" if cheap or self.config.dr_policy == "contracted" else "optOut"
        if opt == "optIn" and not cheap:
            self.store.alert(now, None, "dr-obeyed", f"{event.event_id}: +{extra:.1f} kWh unmet")
        self.store.save_dr_event(event.event_id, event.start, event.end, event.cap_kw, opt, now)
        if opt == "optIn":
            self.events[event.event_id] = event
            self.refresh_defaults()
            self.poke("dr")
        else:
            self.store.alert(now, None, "dr-opt-out", f"{event.event_id}: +{extra:.1f} kWh unmet")
        return opt

    def on_dr_cancel(self, event_id: str) -> None:
        ev = self.events.pop(event_id, None)
        if ev is None:
            return
        self.store.save_dr_event(
            ev.event_id, ev.start, ev.end, ev.cap_kw, "optIn", self.clock.now(), True
        )
        self.refresh_defaults()
        self.poke("dr")

    def expire(self, now: datetime) -> None:
        """Forget events that are over."""
        for eid in [e for e, ev in self.events.items() if ev.end <= now]:
            del self.events[eid]
