"""Transports for the ``ocpp`` package: anything with ``async send(str)`` and ``async recv()``.

:func:`memory_pair` gives two connected in-memory ends (the fast, deterministic test mode);
:class:`WsTransport` wraps a ``websockets`` connection so that a closed socket raises
:class:`~evgrid.service.adapters.LinkClosedError` like the in-memory one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from evgrid.service.adapters import LinkClosedError

_CLOSE = object()


class MemoryEnd:
    """One end of an in-memory connection."""

    def __init__(self, inbox: asyncio.Queue[object], outbox: asyncio.Queue[object]) -> None:
        self._in = inbox
        self._out = outbox
        self.closed = False
        self.peer: MemoryEnd | None = None

    async def send(self, message: str) -> None:
        if self.closed:
            raise LinkClosedError("send on a closed connection")
        self._out.put_nowait(message)

    async def recv(self) -> str:
        if self.closed:
            raise LinkClosedError("closed")
        item = await self._in.get()
        if item is _CLOSE:
            self.closed = True
            raise LinkClosedError("closed by peer")
        assert isinstance(item, str)
        return item

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._out.put_nowait(_CLOSE)
            self._in.put_nowait(_CLOSE)


def memory_pair() -> tuple[MemoryEnd, MemoryEnd]:
    """Two connected ends: (pile side, service side)."""
    a: asyncio.Queue[object] = asyncio.Queue()
    b: asyncio.Queue[object] = asyncio.Queue()
    pile, service = MemoryEnd(a, b), MemoryEnd(b, a)
    pile.peer, service.peer = service, pile
    return pile, service


class WsTransport:
    """A ``websockets`` connection as an ``ocpp`` transport."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, message: str) -> None:
        try:
            await self.ws.send(message)
        except Exception as exc:
            raise LinkClosedError(str(exc)) from None

    async def recv(self) -> str | bytes:
        """The next frame as sent: text, or bytes for a binary frame (the link checks it)."""
        try:
            msg: str | bytes = await self.ws.recv()
        except Exception as exc:
            raise LinkClosedError(str(exc)) from None
        return msg

    async def close(self) -> None:
        await self.ws.close()
