"""Store (transaction ids never reused, the intent log) and pile credentials."""

from __future__ import annotations

from datetime import UTC, datetime

from evgrid.service.profiles import Limits, ProfileSpec
from evgrid.service.security import basic_credentials, basic_header, hash_key, new_key, verify_key
from evgrid.service.store import Store

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def test_transaction_ids_survive_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "s.db"
    store = Store(db)
    store.register("P1")
    a = store.open_transaction("P1", 1, T0, 0.0, "tag")
    store.db.execute("DELETE FROM transactions")  # even deleted rows' ids are not reused
    store.close()
    again = Store(db)
    b = again.open_transaction("P1", 1, T0, 0.0, "tag")
    assert b > a
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_intent_log_accepted_and_uncertain() -> None:
    store = Store()
    store.register("P1")
    low = ProfileSpec("tx", 1, 101, 3, Limits(T0, ((0, 6.0),)), tx_id=1)
    high = ProfileSpec("tx", 1, 101, 3, Limits(T0, ((0, 16.0),)), tx_id=1)
    store.log_answer(store.log_intent("P1", low, T0), "accepted", T0)
    store.log_intent("P1", high, T0)  # sent, no answer (the service stopped)
    accepted, uncertain = store.installed("P1")
    assert accepted[low.key].limits.periods == ((0, 6.0),)
    assert uncertain[high.key].limits.periods == ((0, 16.0),)


def test_keys_are_hashed_and_checked() -> None:
    key = new_key()
    stored = hash_key(key)
    assert key not in stored
    assert verify_key(key, stored)
    assert not verify_key(key + "x", stored)
    assert not verify_key(key, None)
    assert basic_credentials(basic_header("P1", key)) == ("P1", key)
    assert basic_credentials("Bearer x") is None
