"""Bringing a pile that (re)connects in line with what the service believes it holds.

On every connection -- a new pile, a pile back from an outage, or every pile after the service
restarted -- the service asks for the pile's capabilities (once), for a status notification of
each connector (TriggerMessage), and for each connector's composite schedule
(GetCompositeSchedule). The composite is compared with what the accepted profiles (and, if any,
the ones whose answer never came) give. A match settles the unanswered ones; a mismatch marks the
pile *unknown* (counted at its maximum until its profiles are installed again) and reinstalls its
defaults, and the next replan resends its session profile. Only a reconciled pile is planned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from evgrid.service.adapters import LinkClosedError, PileLink
from evgrid.service.clock import Clock
from evgrid.service.defaults import DefaultProfiles
from evgrid.service.dispatcher import ACCEPTED, Dispatcher
from evgrid.service.metrics import Metrics
from evgrid.service.profiles import Limits, composite_at, same_limits
from evgrid.service.settings import DEFAULT_MAX_PERIODS, ServiceConfig
from evgrid.service.state import TRIGGER_WINDOW_S, PileState
from evgrid.service.store import Store

log = logging.getLogger("evgrid.service")
SETTLE_S = 30.0
"""Compare composites this long after each change [s of the pile's clock]."""
TOLERANCE_A = 0.5
"""Largest difference between a reported and an expected composite limit that still matches [A]."""


def _matches(
    pile: PileState, reported: Limits, connector: int, now: datetime, span_s: float, uncertain: bool
) -> bool:
    """Whether the pile's reported composite equals what its profiles give, checked just after
    every change of either (:data:`SETTLE_S` later: a message's transit time shifts the two
    schedules by seconds, which is no disagreement)."""
    specs = {**pile.installed, **pile.uncertain} if uncertain else dict(pile.installed)
    tx = pile.tx_active(connector)
    d = timedelta(seconds=pile.skew_s)
    t0, t1 = now + d, now + d + timedelta(seconds=span_s)
    times = [t0, *reported.changes(t0, t1)]
    for s in specs.values():
        times.extend(s.limits.changes(t0, t1))
    settle = timedelta(seconds=SETTLE_S)
    for t in times:
        t = min(t + settle, t1)
        want = composite_at(specs.values(), t, connector, tx, pile.row.max_a)
        got = reported.at(t)
        if got is None or abs(got - want) > TOLERANCE_A:
            return False
    return True


MOVED_S = 30.0
"""A default whose schedule only moved by less than this is not sent again [s]: a new estimate of
a skewed pile's clock moves its defaults by seconds (the guard covers that)."""


def _moved_only(old: Limits, new: Limits) -> bool:
    """Whether ``new`` is ``old`` with its start moved by less than :data:`MOVED_S`."""
    return (
        old.periods == new.periods
        and old.recurring_daily == new.recurring_daily
        and old.duration_s == new.duration_s
        and abs((old.start - new.start).total_seconds()) < MOVED_S
    )


class Reconciler:
    """Brings (re)connected piles in line (see the module docstring).

    Parameters
    ----------
    piles
        The service's piles.
    dispatcher
        The piles' queues.
    defaults
        The profiles every pile should hold.
    gateway
        Closes a pile's TriggerMessage window (its clock sample).
    store, metrics, clock, config
        Durable state, figures, time, options.
    poke, spawn
        Ask for a replan; run a coroutine in the background.
    """

    def __init__(
        self,
        piles: dict[str, PileState],
        dispatcher: Dispatcher,
        defaults: DefaultProfiles,
        gateway: Any,
        store: Store,
        metrics: Metrics,
        clock: Clock,
        config: ServiceConfig,
        poke: Callable[[str], None],
        spawn: Callable[[Any], Any],
    ) -> None:
        self.piles = piles
        self.dispatcher = dispatcher
        self.defaults = defaults
        self.gateway = gateway
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.config = config
        self.poke = poke
        self.spawn = spawn

    async def reconcile(self, pile_id: str) -> None:
        """Reconcile one pile (see the module docstring); marks it reconciled and asks for a
        replan."""
        pile = self.piles[pile_id]
        run = self.dispatcher.run
        span_s = 2 * self.config.slot_s
        try:
            if pile.max_periods is None:
                caps = await run(pile_id, lambda link: link.capabilities())
                value = caps.get("ChargingScheduleMaxPeriods")
                pile.max_periods = int(value) if value and value.isdigit() else DEFAULT_MAX_PERIODS
                self.store.update_charger(pile_id, max_periods=pile.max_periods)
            mismatch = False
            pile.trigger_wall, pile.trigger_at = self.clock.wall(), self.clock.now()
            pile.trigger_samples = []
            for c in list(pile.connectors):

                async def trigger(link: PileLink, c: int = c) -> str:
                    return await link.trigger_status(c)

                await run(pile_id, trigger)

                async def ask(link: PileLink, c: int = c) -> Limits | None:
                    return await link.composite(c, int(span_s))

                reported = await run(pile_id, ask)
                now = self.clock.now()
                if reported is None:
                    mismatch = True
                elif pile.uncertain and _matches(pile, reported, c, now, span_s, True):
                    pile.installed.update(pile.uncertain)
                    pile.uncertain.clear()
                elif _matches(pile, reported, c, now, span_s, False):
                    pile.uncertain.clear()
                else:
                    mismatch = True
            self.spawn(self._close_window(pile))
            if mismatch:
                self.store.alert(self.clock.now(), pile_id, "reconcile-mismatch")
                pile.unknown = True
                for key in [k for k in pile.installed if k[0] == "tx" or k[2] > 0]:
                    del pile.installed[key]
                pile.uncertain.clear()
            await self.ensure_defaults(pile_id, force=mismatch)
            if not any(pile.tx_active(c) for c in pile.connectors) and not pile.uncertain:
                pile.unknown = False
            pile.suspect = False
            pile.reconciled_at = self.clock.now()
            if pile.connected_wall is not None:
                self.metrics.reconcile_s.append(self.clock.wall() - pile.connected_wall)
            if self.metrics.started_wall is not None:
                self.metrics.reconcile_since_start_s.append(
                    self.clock.wall() - self.metrics.started_wall
                )
            self.poke("reconciled")
        except LinkClosedError:
            return
        except Exception:  # a broken pile must not stop the service
            log.exception("reconcile %s failed", pile_id)
            self.store.alert(self.clock.now(), pile_id, "reconcile-failed")

    async def _close_window(self, pile: PileState) -> None:
        """Close the pile's TriggerMessage window after it has had time to answer."""
        await self.clock.sleep_wall(TRIGGER_WINDOW_S)
        self.gateway.close_trigger_window(pile)

    async def ensure_defaults(self, pile_id: str, force: bool = False) -> None:
        """Install the commissioning (and demand-response) defaults the pile lacks or holds
        wrong."""
        pile = self.piles[pile_id]
        now = self.clock.now()
        day = now + timedelta(days=1)
        wanted = self.defaults.default_specs(pile)
        keys = {s.key for s in wanted}
        for spec in wanted:
            old = pile.installed.get(spec.key)
            d = timedelta(seconds=pile.skew_s)
            if (
                force
                or old is None
                or not (
                    _moved_only(old.limits, spec.limits)
                    or same_limits(old.limits, spec.limits, now + d, day + d, 0.01)
                )
            ):
                answer = await self.dispatcher.install(pile_id, spec)
                if answer != ACCEPTED:
                    self.store.alert(
                        now, pile_id, "default-not-installed", f"{spec.purpose}: {answer}"
                    )
                    if pile.uncontrollable:
                        return  # tried again after its back-off, not profile by profile
        dr = self.defaults.dr_key()
        if dr in pile.installed and dr not in keys:
            await self.dispatcher.clear(pile_id, pile.installed[dr])
