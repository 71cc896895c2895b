"""Clocks: the service and the simulator read time only through one of these.

* :class:`SystemClock` -- wall time (production).
* :class:`ScaledClock` -- simulated time running ``speed`` times faster than wall time from a
  shared origin, so a service and a simulator in two processes agree on "now".
* :class:`VirtualClock` -- stepped time for deterministic tests: nothing happens until the test
  advances it, and after every step the event loop is run until it is idle.

Every clock returns timezone-aware UTC datetimes. ``sleep`` waits simulated seconds;
``sleep_wall`` waits wall seconds (debounce, retry back-off, timeouts), which on a virtual clock
are simulated seconds too.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the service needs from a clock."""

    def now(self) -> datetime:
        """Current (simulated) time, UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of simulated time [s]."""
        ...

    async def sleep_wall(self, seconds: float) -> None:
        """Wait ``seconds`` of wall time [s] (simulated time on a virtual clock)."""
        ...

    def wall(self) -> float:
        """A monotonic wall-time reading for latency measurements [s]."""
        ...


def utc(text_or_dt: str | datetime) -> datetime:
    """Parse an ISO-8601 time (a trailing ``Z`` allowed) or pass a datetime; naive means UTC."""
    if isinstance(text_or_dt, datetime):
        dt = text_or_dt
    else:
        dt = datetime.fromisoformat(text_or_dt.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime) -> str:
    """OCPP time text: UTC, millisecond precision, ``Z`` suffix."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SystemClock:
    """Wall time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    async def sleep_wall(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def wall(self) -> float:
        return time.monotonic()


class ScaledClock:
    """Simulated time ``start + speed * (wall - t0)``.

    Parameters
    ----------
    start
        Simulated time at wall time ``t0``.
    speed
        Simulated seconds per wall second [-], > 0.
    t0
        Wall time (``time.time()``) at which simulated time is ``start`` [s since the epoch];
        default now. Two processes given the same three numbers share one clock.
    """

    def __init__(self, start: datetime, speed: float = 1.0, t0: float | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"speed: got {speed!r}; allowed: a number > 0")
        self.start = utc(start)
        self.speed = float(speed)
        self.t0 = time.time() if t0 is None else float(t0)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.t0) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speed)

    async def sleep_wall(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def wall(self) -> float:
        return time.monotonic()


async def settle(max_rounds: int = 100_000) -> None:
    """Run the event loop until no callback is ready (everything waits on time or I/O).

    Used only with :class:`VirtualClock` and in-memory transports, where all work is callbacks
    on this loop. Relies on the loop's ready queue (CPython ``BaseEventLoop._ready``).
    """
    loop = asyncio.get_running_loop()
    ready = getattr(loop, "_ready", None)
    quiet = 0
    for _ in range(max_rounds):
        await asyncio.sleep(0)
        if ready is not None and len(ready) == 0:
            quiet += 1
            if quiet >= 3:
                return
        else:
            quiet = 0
    raise RuntimeError("event loop did not settle")


class VirtualClock:
    """Stepped simulated time for deterministic tests.

    Sleepers wake in deadline order (ties in the order they slept); after each wake-up the loop
    is settled, so every consequence of an event happens before the next event's time.
    """

    def __init__(self, start: datetime) -> None:
        self._now = utc(start)
        self._heap: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        when = self._now + timedelta(seconds=max(seconds, 0.0))
        heapq.heappush(self._heap, (when, next(self._seq), fut))
        await fut

    async def sleep_wall(self, seconds: float) -> None:
        await self.sleep(seconds)

    def wall(self) -> float:
        return (self._now - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds()

    async def run_until(self, until: datetime) -> None:
        """Advance to ``until``, waking every sleeper on the way in order, settling after each."""
        await settle()
        while self._heap and self._heap[0][0] <= until:
            when, _, fut = heapq.heappop(self._heap)
            self._now = max(self._now, when)
            if not fut.done():
                fut.set_result(None)
            await settle()
        self._now = max(self._now, until)
        await settle()

    async def advance(self, seconds: float) -> None:
        """Advance by ``seconds`` [s]."""
        await self.run_until(self._now + timedelta(seconds=seconds))
