"""Registering piles: what ``evgrid register-piles`` and the operator API's ``POST /piles`` do.

A registered pile may connect; its registration (security profile, connectors, phases, maximum
current) is checked by :func:`evgrid.service.checks.registration`. Piles of security profiles 1
and 2 get a random key each (OCPP 1.6 security whitepaper section 2: at least 16 random bytes);
the store keeps only its salted hash, the caller gets the key once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evgrid.service import checks
from evgrid.service.security import hash_key, new_key
from evgrid.service.store import Store

MAX_PILES = 100_000
"""Most piles registered in one call [-] (evgrid's choice: far above any community)."""


def pile_ids(n: int, prefix: str = "P") -> list[str]:
    """``n`` pile ids ``PREFIX0000``, ``PREFIX0001``, ...

    Raises
    ------
    InputError
        ``n`` outside [1, :data:`MAX_PILES`], or a prefix that does not make pile ids.
    """
    n = checks.whole("n", n, 1, MAX_PILES)
    if (
        not isinstance(prefix, str)
        or not checks.PILE_ID.match(f"{prefix}0000")
        or len(f"{prefix}{n - 1:04d}") > 48
    ):
        raise checks.refused(
            "prefix", prefix, "letters, digits or . _ : - that start a pile id (at most 40)"
        )
    return [f"{prefix}{i:04d}" for i in range(n)]


def register_piles(
    store: Store,
    ids: list[str],
    *,
    security_profile: int = 0,
    connectors: int = 1,
    phases: int | None = None,
    max_a: float | None = None,
    commissioned: bool | None = None,
) -> dict[str, str]:
    """Register (or update) piles; the new keys of profile 1 and 2 piles by pile id.

    Every registration is checked before the first is written, so a bad value registers none.
    """
    regs = [checks.registration(p, security_profile, connectors, phases, max_a) for p in ids]
    keys: dict[str, str] = {}
    for reg in regs:
        key_hash = None
        if reg["security_profile"] in (1, 2):
            keys[reg["id"]] = new_key()
            key_hash = hash_key(keys[reg["id"]])
        store.register(
            reg["id"],
            key_hash=key_hash,
            security_profile=reg["security_profile"],
            connectors=reg["connectors"],
            phases=reg["phases"],
            max_a=reg["max_a"],
            commissioned=commissioned,
        )
    return keys


def register_file(
    db: str | Path,
    n: int,
    *,
    prefix: str = "P",
    security_profile: int = 0,
    connectors: int = 1,
    phases: int | None = None,
    max_a: float | None = None,
) -> dict[str, Any]:
    """Register ``n`` piles ``PREFIX0000..`` in the store at ``db``; their ids and new keys."""
    ids = pile_ids(n, prefix)
    checks.registration(ids[0], security_profile, connectors, phases, max_a)
    store = Store(db)
    try:
        keys = register_piles(
            store,
            ids,
            security_profile=security_profile,
            connectors=connectors,
            phases=phases,
            max_a=max_a,
        )
    finally:
        store.close()
    return {"ids": ids, "keys": keys}
