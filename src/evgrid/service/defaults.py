"""The profiles the service wants every pile to hold whatever the plan: the commissioning
defaults, the idle hold and the demand-response default (see :mod:`evgrid.service.core`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from evgrid.service.clock import Clock
from evgrid.service.forecast import SiteModel, default_limits
from evgrid.service.profiles import (
    WHOLE_PILE,
    Limits,
    ProfileSpec,
    compress,
    pile_amps,
    shifted,
    to_amps,
)
from evgrid.service.settings import (
    DEFAULT_MAX_PERIODS,
    DEFAULT_PROFILE_ID,
    DEFAULT_STACK,
    DR_PROFILE_ID,
    DR_STACK,
    GUARD_S,
    IDLE_HOLD_H,
    IDLE_PROFILE_ID,
    IDLE_REFRESH_H,
    IDLE_STACK,
    MAX_PROFILE_ID,
    PLAN_STACK,
    ServiceConfig,
)
from evgrid.service.state import PileState
from evgrid.service.upstream import (
    UPSTREAM_DEFAULT_STACK,
    UPSTREAM_DR_STACK,
    UPSTREAM_IDLE_STACK,
    UPSTREAM_PLAN_STACK,
)

UPSTREAM_STACKS = {
    DEFAULT_STACK: UPSTREAM_DEFAULT_STACK,
    DR_STACK: UPSTREAM_DR_STACK,
    IDLE_STACK: UPSTREAM_IDLE_STACK,
    PLAN_STACK: UPSTREAM_PLAN_STACK,
}
"""Stack level of each of evgrid's profiles in local-controller mode."""


def as_pile_maximum(spec: ProfileSpec) -> ProfileSpec:
    """A profile as the pile maximum (connector 0) at its reserved level of local-controller
    mode: it composes with the CSMS's Tx and TxDefault profiles (the pile takes the lower)."""
    return replace(
        spec, purpose="max", connector=WHOLE_PILE, stack=UPSTREAM_STACKS[spec.stack], tx_id=None
    )


class DefaultProfiles:
    """The profiles the service wants every pile to hold whatever the plan.

    Parameters
    ----------
    site
        The site's limit, margin, forecast and commissioning default.
    dr
        The demand-response events in force (``events``).
    piles
        The service's piles (the DR default is shared among their connectors).
    config, clock
        Options (slot, time zone, voltage, local-controller mode) and time.
    """

    def __init__(
        self,
        site: SiteModel,
        dr: Any,
        piles: dict[str, PileState],
        config: ServiceConfig,
        clock: Clock,
    ) -> None:
        self.site = site
        self.dr = dr
        self.piles = piles
        self.config = config
        self.clock = clock

    def default_specs(self, pile: PileState) -> list[ProfileSpec]:
        """Commissioning profiles: the pile maximum and the recurring daily default."""
        now = self.clock.now()
        lim = default_limits(self.site.default_amps, now, self.config.utc_offset_h)
        max_periods = pile.max_periods or DEFAULT_MAX_PERIODS
        if len(lim.periods) > max_periods:  # what the pile can hold, never above the default
            lim = replace(lim, periods=tuple(compress(list(lim.periods), max_periods)))
        specs = [
            ProfileSpec(
                "max",
                0,
                MAX_PROFILE_ID,
                DEFAULT_STACK,
                Limits(start=lim.start, periods=((0, pile.row.max_a),)),
                pile.row.phases,
            ),
            ProfileSpec(
                "tx_default", WHOLE_PILE, DEFAULT_PROFILE_ID, DEFAULT_STACK, lim, pile.row.phases
            ),
        ]
        specs.extend(self.dr_specs(pile))
        if self.config.upstream:
            # local-controller mode: the CSMS owns the pile maximum at the low levels; evgrid's
            # profiles are all pile maxima at its reserved levels (evgrid.service.upstream)
            specs = [as_pile_maximum(s) for s in specs[1:]]
        out = [shifted(s, pile.skew_s) if pile.skewed else s for s in specs]
        idle = self.idle_spec(pile)
        kept = idle is pile.installed.get(idle.key)
        out.append(idle if kept or not pile.skewed else shifted(idle, pile.skew_s))
        return out

    def dr_key(self) -> tuple[str, int, int]:
        """Where the demand-response default sits on a pile (purpose, connector, stack)."""
        if self.config.upstream:
            return ("max", WHOLE_PILE, UPSTREAM_DR_STACK)
        return ("tx_default", WHOLE_PILE, DR_STACK)

    def idle_spec(self, pile: PileState) -> ProfileSpec:
        """The idle hold: 0 A for new cars until the planner's profile arrives
        (:data:`~evgrid.service.settings.IDLE_STACK`), for :data:`IDLE_HOLD_H` from now."""
        now = self.clock.now().replace(microsecond=0)
        start = now - timedelta(seconds=GUARD_S)
        key = (
            ("max", WHOLE_PILE, UPSTREAM_IDLE_STACK)
            if self.config.upstream
            else ("tx_default", WHOLE_PILE, IDLE_STACK)
        )
        old = pile.installed.get(key)
        if old is not None and old.limits.duration_s is not None:
            end = old.limits.start + timedelta(seconds=old.limits.duration_s)
            if end - now > timedelta(hours=IDLE_REFRESH_H):
                return old
        lim = Limits(start, ((0, 0.0),), False, int(IDLE_HOLD_H * 3600) + GUARD_S)
        spec = ProfileSpec(
            "tx_default", WHOLE_PILE, IDLE_PROFILE_ID, IDLE_STACK, lim, pile.row.phases
        )
        return as_pile_maximum(spec) if self.config.upstream else spec

    def dr_specs(self, pile: PileState) -> list[ProfileSpec]:
        """The demand-response default covering the running and coming events, if any.

        A TxDefaultProfile on connector 0 at :data:`DR_STACK`, valid from a minute before the
        first event to a minute after the last (outside it the commissioning default applies
        again), sized like the commissioning default but under each event's cap.
        """
        now = self.clock.now()
        events = [e for e in self.dr.events.values() if e.end > now]
        if not events:
            return []
        guard = timedelta(seconds=GUARD_S)
        start = min(e.start for e in events) - guard
        end = max(e.end for e in events) + guard
        slot = self.config.slot_s
        n = max(1, int(np.ceil((end - start).total_seconds() / slot)))
        n_conn = max(sum(p.row.connectors for p in self.piles.values()), 1)
        periods: list[tuple[int, float]] = []
        for k in range(n):
            t0 = start + timedelta(seconds=k * slot)
            t1 = min(t0 + timedelta(seconds=slot), end)
            cap = min(
                (e.cap_kw for e in events if e.start - guard < t1 and e.end + guard > t0),
                default=self.site.limit_kw,
            )
            base = max(
                self.site.forecast.uncorrected(t0),
                self.site.forecast.uncorrected(t1 - timedelta(seconds=1)),
            )
            kw = max(min(cap, self.site.limit_kw) - self.site.margin_kw - base, 0.0) / n_conn
            amps = min(
                float(
                    pile_amps(
                        to_amps(kw, pile.phase_volts(self.config.phase_voltage_v), pile.row.phases)
                    )
                ),
                self.default_min(t0 - guard, t1 + guard),
            )
            if not periods or periods[-1][1] != amps:
                periods.append((k * int(slot), amps))
        periods = compress(periods, pile.max_periods or DEFAULT_MAX_PERIODS)
        lim = Limits(start, tuple(periods), False, int((end - start).total_seconds()))
        return [
            ProfileSpec("tx_default", WHOLE_PILE, DR_PROFILE_ID, DR_STACK, lim, pile.row.phases)
        ]

    def default_at(self, t: datetime) -> float:
        """Commissioning default current at ``t`` [A] (its slot value, before the guard)."""
        return float(self.site.default_amps[self.site.forecast.slot_of_day(t)])

    def default_min(self, t0: datetime, t1: datetime) -> float:
        """Lowest commissioning default current over ``[t0, t1)`` [A]."""
        slot = timedelta(seconds=self.config.slot_s)
        t, low = t0, self.default_at(t0)
        while t < t1:
            low = min(low, self.default_at(t))
            t += slot
        return min(low, self.default_at(t1 - timedelta(seconds=1)))
