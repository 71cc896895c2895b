"""One dispatch queue per pile.

OCPP allows one outstanding CALL per connection (OCPP-J 1.6 section 4.1.1), so every request to a
pile goes through its own queue and worker task; piles are served in parallel. A profile is
written to the store's intent log before it is sent and marked with the answer after; an
install whose answer never comes leaves the profile *uncertain* (the pile may hold it), which the
committed load counts and reconciliation settles. A newer install for the same profile slot
supersedes an older one still waiting in the queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from evgrid.service.adapters import LinkClosedError, PileLink
from evgrid.service.clock import Clock
from evgrid.service.profiles import ProfileSpec
from evgrid.service.settings import (
    REJECT_LIMIT,
    RETRIES,
    RETRY_BACKOFF_S,
    UNCONTROLLED_RETRY_MAX_S,
    UNCONTROLLED_RETRY_S,
)
from evgrid.service.state import PileState
from evgrid.service.store import Store

Job = Callable[[PileLink], Awaitable[Any]]

ACCEPTED = "Accepted"
SUPERSEDED = "Superseded"
OFFLINE = "Offline"
TIMEOUT = "Timeout"


@dataclass
class _Queue:
    link: PileLink
    jobs: asyncio.Queue[tuple[Job, asyncio.Future[Any]]] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None


class Dispatcher:
    """Per-pile queues of requests.

    Parameters
    ----------
    piles
        The service's piles (their ``installed``/``uncertain`` profiles are updated here).
    store
        The intent log.
    clock
        Time source (answers are time-stamped; back-off waits wall time).
    """

    def __init__(self, piles: dict[str, PileState], store: Store, clock: Clock) -> None:
        self.piles = piles
        self.store = store
        self.clock = clock
        self._queues: dict[str, _Queue] = {}
        self._gen: dict[tuple[str, tuple[str, int, int]], int] = {}
        self.sent = 0
        self.rejected = 0
        self.timeouts = 0

    def link_up(self, pile: str, link: PileLink) -> None:
        """Start the pile's queue on a new connection (a previous one is dropped)."""
        self.link_down(pile)
        q = _Queue(link)
        q.worker = asyncio.ensure_future(self._work(pile, q))
        self._queues[pile] = q

    def link_down(self, pile: str) -> None:
        """Stop the pile's queue; waiting requests fail with :class:`LinkClosedError`."""
        q = self._queues.pop(pile, None)
        if q is None:
            return
        if q.worker is not None:
            q.worker.cancel()
        while not q.jobs.empty():
            _, fut = q.jobs.get_nowait()
            if not fut.done():
                fut.set_exception(LinkClosedError(pile))

    def online(self, pile: str) -> bool:
        """Whether the pile has a queue (is connected)."""
        return pile in self._queues

    async def stop(self) -> None:
        """Stop every queue."""
        for pile in list(self._queues):
            self.link_down(pile)

    async def _work(self, pile: str, q: _Queue) -> None:
        while True:
            job, fut = await q.jobs.get()
            if fut.done():
                continue
            try:
                result = await job(q.link)
            except asyncio.CancelledError:
                if not fut.done():
                    fut.set_exception(LinkClosedError(pile))
                raise
            except Exception as exc:  # the link failed: the caller decides
                if not fut.done():
                    fut.set_exception(exc)
            else:
                if not fut.done():
                    fut.set_result(result)

    async def run(self, pile: str, job: Job) -> Any:
        """Queue ``job(link)`` on the pile and wait for its result.

        Raises
        ------
        LinkClosedError
            The pile is not connected or its connection closed before the job ran.
        """
        q = self._queues.get(pile)
        if q is None:
            raise LinkClosedError(pile)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        q.jobs.put_nowait((job, fut))
        return await fut

    async def install(self, pile: str, spec: ProfileSpec) -> str:
        """Install a profile (retrying timeouts with back-off); the final answer.

        Returns ``"Accepted"``, ``"Rejected"``/``"NotSupported"``, ``"Timeout"``,
        ``"Superseded"`` (a newer profile for the same slot was queued) or ``"Offline"``.
        """
        key = (pile, spec.key)
        gen = self._gen.get(key, 0) + 1
        self._gen[key] = gen
        state = self.piles[pile]

        async def job(link: PileLink) -> str:
            if self._gen.get(key) != gen:
                return SUPERSEDED
            backoff = RETRY_BACKOFF_S
            answer = TIMEOUT
            for attempt in range(RETRIES):
                seq = self.store.log_intent(pile, spec, self.clock.now())
                state.last_sent = self.clock.now()
                self.sent += 1
                try:
                    answer = await link.set_profile(spec)
                except TimeoutError:
                    answer = TIMEOUT
                if answer == ACCEPTED:
                    self.store.log_answer(seq, "accepted", self.clock.now())
                    state.installed[spec.key] = spec
                    state.uncertain.pop(spec.key, None)
                    state.suspect = False
                    self.accepted(state)
                    return answer
                if answer != TIMEOUT and answer != "Error":
                    self.rejected += 1
                    self.store.log_answer(seq, "rejected", self.clock.now())
                    self.refused(state, str(answer))
                    return answer
                self.timeouts += 1
                self.store.log_answer(seq, "failed", self.clock.now())
                state.uncertain[spec.key] = spec
                state.suspect = True
                if attempt + 1 < RETRIES:
                    await self.clock.sleep_wall(backoff)
                    backoff *= 2
                    if self._gen.get(key) != gen:
                        return SUPERSEDED
            return answer

        try:
            result: str = await self.run(pile, job)
        except LinkClosedError:
            return OFFLINE
        return result

    def accepted(self, state: PileState) -> None:
        """A profile accepted: the pile's refusals start again from zero; an uncontrollable
        pile is controllable again."""
        state.refusals = 0
        if state.row.uncontrollable:
            state.row = dataclasses.replace(state.row, uncontrollable=False)
            state.retry_wall, state.retry_wait_s = None, 0.0
            self.store.update_charger(state.id, uncontrollable=0)
            self.store.alert(self.clock.now(), state.id, "controllable", "accepts profiles again")

    def refused(self, state: PileState, answer: str) -> None:
        """A profile refused (``Rejected``, ``NotSupported``, a CallError): after
        :data:`REJECT_LIMIT` in a row the pile is marked uncontrollable (the planner counts it at
        its maximum; it is tried again after :data:`UNCONTROLLED_RETRY_S`, doubling)."""
        state.refusals += 1
        if state.refusals < REJECT_LIMIT:
            return
        wall = self.clock.wall()
        if not state.row.uncontrollable:
            state.row = dataclasses.replace(state.row, uncontrollable=True)
            self.store.update_charger(state.id, uncontrollable=1)
            self.store.alert(
                self.clock.now(), state.id, "uncontrollable", f"{state.refusals} refused ({answer})"
            )
            state.retry_wait_s = UNCONTROLLED_RETRY_S
        else:
            state.retry_wait_s = min(
                max(state.retry_wait_s, UNCONTROLLED_RETRY_S) * 2, UNCONTROLLED_RETRY_MAX_S
            )
        state.retry_wall = wall + state.retry_wait_s

    async def clear(self, pile: str, spec: ProfileSpec) -> str:
        """Remove a profile by id; the pile's answer (``"Offline"`` if not connected)."""
        state = self.piles[pile]

        async def job(link: PileLink) -> str:
            state.last_sent = self.clock.now()
            try:
                answer = await link.clear_profile(spec)
            except TimeoutError:
                return TIMEOUT
            if answer in (ACCEPTED, "Unknown"):
                self.store.log_cleared(pile, spec.profile_id, self.clock.now())
                state.installed.pop(spec.key, None)
                state.uncertain.pop(spec.key, None)
            return str(answer)

        try:
            result: str = await self.run(pile, job)
        except LinkClosedError:
            return OFFLINE
        return result
