"""The operator's functions: what the token-protected admin API of the status port calls.

* piles: register one (or update it) and retire one while the service runs -- no restart;
* the local authorisation list: id tags accepted or blocked (Authorize, StartTransaction and
  2.0.1 TransactionEvent are answered from it; with an empty list every tag is accepted);
* calls to a pile: remote start and stop, reset, unlock, change availability (each goes through
  the pile's own dispatch queue, like the profiles);
* the security event log.

Every value is checked by :mod:`evgrid.service.checks` first (HTTP 400 with one line).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evgrid.service import checks
from evgrid.service.adapters import LinkClosedError, PileLink
from evgrid.service.clock import Clock
from evgrid.service.dispatcher import Dispatcher
from evgrid.service.registry import register_piles
from evgrid.service.state import PileState
from evgrid.service.store import Store

COMMANDS = ("remote_start", "remote_stop", "reset", "unlock", "availability")
"""Operator calls to a pile."""
RESET_TYPES = ("Soft", "Hard")
AVAILABILITY_TYPES = ("Operative", "Inoperative")
MAX_TAGS = 10_000
"""Id tags changed in one call at most [-]."""


class Operator:
    """The operator's functions over the service's collaborators.

    Parameters
    ----------
    store
        The store (registrations, id tags, security events).
    piles
        The service's piles by id.
    dispatcher
        The piles' dispatch queues.
    clock
        Time source.
    on_registered, on_retired
        The service's hooks: a pile registered (its row is in the store) or retired.
    """

    def __init__(
        self,
        store: Store,
        piles: dict[str, PileState],
        dispatcher: Dispatcher,
        clock: Clock,
        on_registered: Callable[[str], None],
        on_retired: Callable[[str], Any],
    ) -> None:
        self.store = store
        self.piles = piles
        self.dispatcher = dispatcher
        self.clock = clock
        self.on_registered = on_registered
        self.on_retired = on_retired

    def _event(self, pile: str | None, kind: str, detail: str) -> None:
        self.store.security_event(self.clock.now(), pile, kind, detail)

    # --- piles ------------------------------------------------------------------------------------
    def list_piles(self) -> list[dict[str, Any]]:
        """Every pile in service: its registration and state."""
        out = []
        for p in self.piles.values():
            out.append(
                {
                    "pile": p.id,
                    "security_profile": p.row.security_profile,
                    "connectors": p.row.connectors,
                    "phases": p.row.phases,
                    "max_a": p.row.max_a,
                    "online": p.online,
                    "commissioned": p.row.commissioned,
                    "uncontrollable": p.row.uncontrollable,
                    "volts": p.row.volts,
                }
            )
        return out

    def register(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register or update one pile; its new key (profiles 1 and 2) comes back once."""
        checks.known_keys(
            "piles",
            data,
            ("pile", "security_profile", "connectors", "phases", "max_a", "commissioned"),
        )
        pile = checks.pile_id("pile", data.get("pile"))
        commissioned = data.get("commissioned")
        if commissioned is not None and not isinstance(commissioned, bool):
            raise checks.refused("commissioned", commissioned, "true or false")
        keys = register_piles(
            self.store,
            [pile],
            security_profile=data.get("security_profile", 0),
            connectors=data.get("connectors", 1),
            phases=data.get("phases"),
            max_a=data.get("max_a"),
            commissioned=commissioned,
        )
        self._event(pile, "pile-registered", "operator")
        self.on_registered(pile)
        return {"pile": pile, "key": keys.get(pile)}

    async def retire(self, data: dict[str, Any]) -> dict[str, Any]:
        """Take a pile out of service: its connection is closed, it is refused from then on."""
        checks.known_keys("retire", data, ("pile",))
        pile = self._pile(data.get("pile"))
        self.store.retire(pile.id)
        self._event(pile.id, "pile-retired", "operator")
        await self.on_retired(pile.id)
        return {"pile": pile.id, "retired": True}

    def _pile(self, value: Any) -> PileState:
        pid = checks.pile_id("pile", value)
        pile = self.piles.get(pid)
        if pile is None:
            raise checks.refused("pile", value, "a registered pile")
        return pile

    # --- authorisation ----------------------------------------------------------------------------
    def id_tags(self) -> dict[str, str]:
        """The local authorisation list."""
        return self.store.id_tags()

    def change_id_tags(self, data: dict[str, Any]) -> dict[str, Any]:
        """``{"accept": [...], "block": [...], "remove": [...]}``: id tags of at most 20
        characters (OCPP 1.6 ``IdToken``: CiString20)."""
        checks.known_keys("idtags", data, ("accept", "block", "remove"))
        change: dict[str, str | None] = {}
        for field, status in (("accept", "Accepted"), ("block", "Blocked"), ("remove", None)):
            tags = data.get(field, [])
            if not isinstance(tags, list) or len(tags) > MAX_TAGS:
                raise checks.refused(field, tags, f"a list of at most {MAX_TAGS} id tags")
            for tag in tags:
                if not isinstance(tag, str) or not 0 < len(tag) <= 20 or not tag.isprintable():
                    raise checks.refused(field, tag, "an id tag of 1-20 printable characters")
                change[tag] = status
        self.store.set_id_tags(change)
        self._event(None, "id-tags-changed", f"{len(change)} tags")
        return {"id_tags": len(self.store.id_tags())}

    # --- calls to a pile --------------------------------------------------------------------------
    async def command(self, command: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send an operator's call to a pile through its dispatch queue; the pile's answer."""
        if command not in COMMANDS:
            raise checks.refused("command", command, "one of " + ", ".join(COMMANDS))
        allowed = {
            "remote_start": ("pile", "connector", "id_tag"),
            "remote_stop": ("pile", "transaction"),
            "reset": ("pile", "type"),
            "unlock": ("pile", "connector"),
            "availability": ("pile", "connector", "type"),
        }[command]
        checks.known_keys(command, data, allowed)
        pile = self._pile(data.get("pile"))
        args: dict[str, Any] = {}
        if "connector" in allowed:
            zero = command == "availability"
            args["connector"] = checks.whole(
                "connector", data.get("connector", 1), 0 if zero else 1, pile.row.connectors
            )
        if command == "remote_start":
            tag = data.get("id_tag")
            if not isinstance(tag, str) or not 0 < len(tag) <= 20 or not tag.isprintable():
                raise checks.refused("id_tag", tag, "an id tag of 1-20 printable characters")
            args["id_tag"] = tag
        if command == "remote_stop":
            tx = checks.whole("transaction", data.get("transaction"), 0, 2**63 - 1)
            row = self.store.transaction(tx)
            if row is None or row["charger"] != pile.id or row["stop_ts"] is not None:
                raise checks.refused("transaction", tx, f"a running transaction of {pile.id}")
            args["transaction"] = row["ext_id"] if row["ext_id"] is not None else tx
        if command == "reset":
            args["type"] = _choice("type", data.get("type"), RESET_TYPES)
        if command == "availability":
            args["type"] = _choice("type", data.get("type"), AVAILABILITY_TYPES)

        async def job(link: PileLink) -> str:
            return await link.operate(command, args)

        try:
            answer = await self.dispatcher.run(pile.id, job)
        except LinkClosedError:
            answer = "Offline"
        except TimeoutError:
            answer = "Timeout"
        self._event(pile.id, f"operator-{command.replace('_', '-')}", f"{args}: {answer}")
        return {"pile": pile.id, "command": command, "answer": answer}

    def security_events(self, after: Any = 0) -> list[dict[str, Any]]:
        """The security event log after a sequence number (at most 1000 at a time)."""
        after = checks.whole("after", after, 0, 2**63 - 1)
        return [dict(r) for r in self.store.security_events(after=after)]


def _choice(where: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise checks.refused(where, value, "one of " + ", ".join(allowed))
    return str(value)
