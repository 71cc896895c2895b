"""Local-controller mode: evgrid between the piles and the operator's own CSMS.

OCPP's local-controller topology (OCPP 1.6 section 3.1, OCPP 2.0.1 part 1, 4.2): the piles
connect to evgrid, evgrid connects to the CSMS once per pile (``<upstream>/<pile id>``, the same
subprotocol and the pile's own ``Authorization`` header), and

* every message of a pile is checked and taken in by evgrid as in stand-alone mode, then
  forwarded to the CSMS; the pile gets the CSMS's answer (authorisation, transaction ids,
  billing stay with the CSMS). A message evgrid refuses (another pile's transaction, a
  connector the pile does not have, NaN) is answered with the CallError and not forwarded.
  While the CSMS cannot be reached, evgrid's own answer goes to the pile (and an alert);
* every call of the CSMS to a pile goes down through the pile's dispatch queue and its answer
  back up, except a ``ChargePointMaxProfile``/``ChargingStationMaxProfile`` at one of evgrid's
  reserved stack levels (:data:`RESERVED_STACKS`), which is answered ``Rejected`` (and logged);
* evgrid keeps the transformer within its limit with its own profiles only, all of them pile
  maxima (``ChargePointMaxProfile`` on connector 0) at the reserved levels: a maximum composes
  with whatever Tx and TxDefault profiles the CSMS sets (the pile applies the lower, OCPP 1.6
  section 3.13.4), so the CSMS's smart charging still works below evgrid's limit.

Reserved stack levels of ``ChargePointMaxProfile`` (the CSMS may use 0 to
``RESERVED_STACKS[0] - 1`` for its own pile maxima, and any level for Tx and TxDefault):
:data:`UPSTREAM_DEFAULT_STACK` (commissioning default), :data:`UPSTREAM_DR_STACK` (demand
response), :data:`UPSTREAM_IDLE_STACK` (idle hold), :data:`UPSTREAM_PLAN_STACK` (the plan of the
pile's session). A higher level wins within the purpose, so the plan overrides the idle hold,
the idle hold the DR default and the DR default the commissioning default; the plan is cleared
when its transaction ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("evgrid.service")

UPSTREAM_DEFAULT_STACK = 5
"""Stack level of evgrid's commissioning default in local-controller mode [-]."""
UPSTREAM_DR_STACK = 6
"""Stack level of evgrid's demand-response default in local-controller mode [-]."""
UPSTREAM_IDLE_STACK = 7
"""Stack level of evgrid's idle hold in local-controller mode [-]."""
UPSTREAM_PLAN_STACK = 8
"""Stack level of evgrid's plan of a session in local-controller mode [-] (OCPP 1.6 piles must
support ``ChargeProfileMaxStackLevel`` of at least 8, section 9.1 ... evgrid's reading: most
report 8 or more)."""
RESERVED_STACKS = (
    UPSTREAM_DEFAULT_STACK,
    UPSTREAM_DR_STACK,
    UPSTREAM_IDLE_STACK,
    UPSTREAM_PLAN_STACK,
)
"""ChargePointMaxProfile stack levels that only evgrid sets in local-controller mode."""
MAX_PURPOSES = ("ChargePointMaxProfile", "ChargingStationMaxProfile")
FORWARD_TIMEOUT_S = 10.0
"""Longest wait for the CSMS's answer to a forwarded message [s of wall time]; then evgrid
answers the pile itself."""
CONNECT_TIMEOUT_S = 10.0
"""Longest wait for the connection to the CSMS [s of wall time]."""

DownCall = Callable[[str, dict[str, Any]], Awaitable[tuple[str, Any]]]
"""``await down(action, payload) -> ("result", payload) | ("error", (code, description))``."""


def reserved_max_profile(action: str, payload: dict[str, Any]) -> bool:
    """Whether a CSMS's SetChargingProfile targets a pile maximum at a reserved stack level."""
    if action != "SetChargingProfile":
        return False
    prof = payload.get("csChargingProfiles") or payload.get("chargingProfile") or {}
    return (
        isinstance(prof, dict)
        and prof.get("chargingProfilePurpose") in MAX_PURPOSES
        and prof.get("stackLevel") in RESERVED_STACKS
    )


class Upstream:
    """One pile's connection to the operator's CSMS (a raw OCPP-J relay).

    Parameters
    ----------
    url
        The CSMS's OCPP URL (``ws://`` or ``wss://``); the pile's id is appended.
    pile_id, protocol
        The pile and its subprotocol (``ocpp1.6`` or ``ocpp2.0.1``).
    authorization
        The pile's own ``Authorization`` header, passed on (None: none).
    down
        Sends a CSMS call to the pile (through its dispatch queue) and returns its answer.
    on_problem
        Told when the CSMS cannot be reached or answers late (an alert).
    """

    _ids = itertools.count()

    def __init__(
        self,
        url: str,
        pile_id: str,
        protocol: str,
        authorization: str | None,
        down: DownCall,
        on_problem: Callable[[str], None],
        ssl_context: Any = None,
    ) -> None:
        self.url = f"{url.rstrip('/')}/{pile_id}"
        self.pile_id = pile_id
        self.protocol = protocol
        self.authorization = authorization
        self.down = down
        self.on_problem = on_problem
        self.ssl_context = ssl_context
        self.ws: Any = None
        self._waiting: dict[str, asyncio.Future[list[Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lock = asyncio.Lock()

    async def _ensure(self) -> bool:
        if self.ws is not None:
            return True
        from websockets.asyncio.client import connect

        headers = {"Authorization": self.authorization} if self.authorization else {}
        try:
            self.ws = await asyncio.wait_for(
                connect(
                    self.url,
                    subprotocols=[self.protocol],  # type: ignore[list-item]
                    additional_headers=headers,
                    ssl=self.ssl_context if self.url.startswith("wss") else None,
                    max_size=256 * 1024,
                    compression=None,
                ),
                CONNECT_TIMEOUT_S,
            )
        except Exception as exc:  # refused, unreachable, TLS: the pile is served locally
            self.on_problem(f"upstream not reachable: {type(exc).__name__}: {exc}")
            return False
        self._spawn(self._read())
        return True

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def forward(self, frame: list[Any]) -> list[Any] | None:
        """Forward a pile's CALL; the CSMS's CALLRESULT or CALLERROR frame, None if none
        came (not reachable, closed or late)."""
        async with self._lock:  # one outstanding call per connection (OCPP-J section 4.1.1)
            if not await self._ensure():
                return None
            uid = str(frame[1])
            fut: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
            self._waiting[uid] = fut
            try:
                await self.ws.send(json.dumps(frame))
                return await asyncio.wait_for(fut, FORWARD_TIMEOUT_S)
            except Exception as exc:
                self.on_problem(f"no answer from upstream to {frame[2]}: {type(exc).__name__}")
                await self._drop()
                return None
            finally:
                self._waiting.pop(uid, None)

    async def _read(self) -> None:
        ws = self.ws
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if not isinstance(frame, list) or len(frame) < 3:
                    continue
                if frame[0] in (3, 4):
                    fut = self._waiting.get(str(frame[1]))
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                elif frame[0] == 2 and len(frame) >= 4:
                    self._spawn(self._call_down(frame))
        except Exception as exc:  # the CSMS closed or sent garbage
            log.warning("%s: upstream connection ended: %s", self.pile_id, exc)
        finally:
            if self.ws is ws:
                self.ws = None

    async def _call_down(self, frame: list[Any]) -> None:
        uid, action, payload = frame[1], frame[2], frame[3]
        if reserved_max_profile(action, payload if isinstance(payload, dict) else {}):
            reply: list[Any] = [3, uid, {"status": "Rejected"}]
            self.on_problem(f"CSMS pile maximum at a reserved stack level refused ({action})")
        else:
            kind, answer = await self.down(action, payload)
            if kind == "result":
                reply = [3, uid, answer]
            else:
                code, description = answer
                reply = [4, uid, code, description, {}]
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.send(json.dumps(reply))

    async def _drop(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    async def close(self) -> None:
        """Close the CSMS connection and stop its tasks."""
        await self._drop()
        for t in list(self._tasks):
            t.cancel()
