"""What both OCPP adapters share: a guarded message router and the refusal of bad messages.

The ``ocpp`` package parses each frame with :func:`json.loads` and lets anything it does not
expect escape the connection's task (a binary frame that is not UTF-8, a hundred thousand nested
arrays that exhaust the recursion limit), and it logs every refused call with a traceback.
:class:`GuardedLink` sits in front of it:

* a frame must be UTF-8 text of JSON nested at most :data:`MAX_DEPTH` deep, else it is dropped
  (OCPP-J 1.6 section 4.2.3: a message whose unique id cannot be read gets no answer) and a
  security event is recorded; the connection stays open;
* whatever a handler raises never ends the connection: a
  :class:`~evgrid.service.checks.RefusedError` becomes a CallError with its own code
  (``PropertyConstraintViolation``, ``SecurityError``) and the message in one line, anything
  else an ``InternalError``; a refusal is logged as one line, not as a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from ocpp.exceptions import (
    FormatViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    SecurityError,
)

from evgrid.service.checks import RefusedError

log = logging.getLogger("evgrid.service")
MAX_DEPTH = 16
"""Deepest nesting of a pile's JSON frame [-]: OCPP messages nest about six levels (a
SetChargingProfile's schedule periods); evgrid's choice with room to spare."""

F = TypeVar("F", bound=Callable[..., Any])
_CODES: dict[str, type[OCPPError]] = {
    "PropertyConstraintViolation": PropertyConstraintViolationError,
    "SecurityError": SecurityError,
}


def as_call_error(exc: RefusedError) -> OCPPError:
    """The OCPP error of a refusal: its code, its one-line message as the description."""
    return _CODES.get(exc.code, PropertyConstraintViolationError)(description=str(exc)[:255])


def refusing(handler: F) -> F:
    """Decorate an ``@on`` handler: a :class:`RefusedError` it raises becomes an OCPP CallError."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except RefusedError as exc:
            raise as_call_error(exc) from None

    return wrapper  # type: ignore[return-value]


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed JSON value, counted up to ``limit + 1`` (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, list | dict):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, d + 1) for c in children if isinstance(c, list | dict))
    return deepest


def frame_problem(raw: Any) -> str | None:
    """Why a frame cannot be an OCPP-J message, None if it may be one."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return "a binary frame that is not UTF-8 text"
    if not isinstance(raw, str):
        return f"a frame of type {type(raw).__name__}"
    try:
        parsed = json.loads(raw)
    except RecursionError:
        return f"JSON nested deeper than {MAX_DEPTH}"
    except ValueError:
        return "a frame that is not JSON"
    if depth(parsed) > MAX_DEPTH:
        return f"JSON nested deeper than {MAX_DEPTH}"
    if not isinstance(parsed, list) or not parsed or parsed[0] not in (2, 3, 4):
        return "JSON that is not an OCPP-J message (a list starting with 2, 3 or 4)"
    return None


class _Quiet(logging.LoggerAdapter):  # type: ignore[type-arg,unused-ignore]
    """The package's logger, with refusals logged as one line instead of a traceback."""

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OCPPError):
            self.warning(
                "%s: refused: %s", self.extra["pile"] if self.extra else "", exc.description
            )
            return
        super().exception(msg, *args, **kwargs)


def pile_logger(pile_id: str) -> logging.LoggerAdapter:  # type: ignore[type-arg,unused-ignore]
    """The logger a pile link gives the ``ocpp`` package."""
    return _Quiet(logging.getLogger("ocpp"), {"pile": pile_id})


class GuardedLink:
    """Mixin in front of an ``ocpp`` ChargePoint (see the module docstring).

    The class it is mixed into has ``pile_id``, ``events`` (with ``on_security``) and the
    package's ``route_message``.
    """

    pile_id: str
    events: Any
    _heard: asyncio.Event | None = None
    upstream: Any = None
    """The pile's connection to the operator's CSMS (:class:`evgrid.service.upstream.Upstream`),
    None in stand-alone mode."""
    authorization: str | None = None
    """The pile's ``Authorization`` header of its handshake (passed on upstream)."""
    _captured: list[str] | None = None
    _last_local: str = "[]"

    @property
    def heard(self) -> asyncio.Event:
        """Set once the pile's first message has been answered: the service calls the pile only
        after it (a BootNotification is answered first, OCPP 1.6 section 4.2)."""
        if self._heard is None:
            self._heard = asyncio.Event()
        return self._heard

    async def route_message(self, raw_msg: Any) -> None:
        try:
            await self._guarded(raw_msg)
        finally:
            self.heard.set()

    async def _guarded(self, raw_msg: Any) -> None:
        problem = frame_problem(raw_msg)
        if problem is not None:
            self.events.on_security(self.pile_id, "bad-frame", problem)
            log.warning("%s: dropped %s", self.pile_id, problem)
            return
        if isinstance(raw_msg, bytes | bytearray):
            raw_msg = bytes(raw_msg).decode("utf-8")
        if self.upstream is not None:
            frame = json.loads(raw_msg)
            if frame[0] == 2:
                await self._via_upstream(raw_msg, frame)
                return
        await self._route(raw_msg)

    async def _send(self, message: str) -> None:
        if self._captured is not None:  # evgrid's own answer, held while the CSMS answers
            self._captured.append(message)
            return
        await super()._send(message)  # type: ignore[misc]

    async def _via_upstream(self, raw_msg: str, frame: list[Any]) -> None:
        """Local-controller mode: take the message in as evgrid (its answer held back), then
        forward it to the CSMS and give the pile the CSMS's answer (evgrid's own if none
        came); a message evgrid refuses is answered with its CallError and not forwarded."""
        self._captured = []
        try:
            await self._route(raw_msg)
        finally:
            held, self._captured = self._captured, None
        local = json.loads(held[-1]) if held else None
        if local is None or local[0] == 4:
            if held:
                await self._send(held[-1])
            return
        self._last_local = held[-1]
        reply = await self.upstream.forward(frame)
        if reply is None:
            await self._send(held[-1])
            return
        self.after_upstream(frame, reply)
        await self._send(json.dumps(reply))

    def after_upstream(self, frame: list[Any], reply: list[Any]) -> None:
        """What the CSMS's answer tells evgrid (overridden by the adapters)."""

    async def _route(self, raw_msg: str) -> None:
        try:
            await super().route_message(raw_msg)  # type: ignore[misc]
        except (FormatViolationError, OCPPError) as exc:  # the package's own refusals
            log.warning("%s: %s", self.pile_id, exc)
        except (TimeoutError, ConnectionError):
            raise
        except Exception as exc:
            if type(exc).__name__.startswith("ConnectionClosed") or type(exc).__name__ == (
                "LinkClosedError"
            ):
                raise
            self.events.on_security(self.pile_id, "message-failed", type(exc).__name__)
            log.warning("%s: message not handled: %s: %s", self.pile_id, type(exc).__name__, exc)
