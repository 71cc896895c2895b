"""The service's durable state: SQLite in WAL mode.

Tables: ``chargers`` (registration, capabilities, hashed keys), ``transactions`` (the OCPP 1.6
transaction-id counter -- SQLite ``AUTOINCREMENT`` never reuses an id, even after a restart --
with each session's declared or estimated needs and what it got), ``profiles`` (every profile,
written *before* it is sent, then marked with the pile's answer), ``dr_events``, ``plans``,
``alerts`` and ``meter``. A restarted service reads the last accepted profiles and the open
transactions back and reconciles them with each pile as it reconnects.

Writes are small and synchronous (WAL, ``synchronous=NORMAL``: durable across a process crash,
at most the last commits lost on power loss).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from evgrid.errors import bad_value
from evgrid.service.clock import iso, utc
from evgrid.service.profiles import Limits, ProfileSpec

SCHEMA = """
CREATE TABLE IF NOT EXISTS chargers (
    id TEXT PRIMARY KEY,
    key_hash TEXT,
    security_profile INTEGER NOT NULL DEFAULT 0,
    connectors INTEGER NOT NULL DEFAULT 1,
    phases INTEGER NOT NULL DEFAULT 1,
    max_a REAL NOT NULL DEFAULT 32,
    max_periods INTEGER,
    rejects_tx INTEGER NOT NULL DEFAULT 0,
    protocol TEXT,
    vendor TEXT,
    model TEXT,
    last_seen TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charger TEXT NOT NULL,
    connector INTEGER NOT NULL,
    ext_id TEXT,
    id_tag TEXT,
    start_ts TEXT NOT NULL,
    stop_ts TEXT,
    meter_start_wh REAL NOT NULL DEFAULT 0,
    meter_wh REAL NOT NULL DEFAULT 0,
    departure_ts TEXT,
    energy_kwh REAL,
    declared INTEGER NOT NULL DEFAULT 0,
    unmet_kwh REAL,
    pauses INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tx_open ON transactions (charger, stop_ts);
CREATE TABLE IF NOT EXISTS profiles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    charger TEXT NOT NULL,
    purpose TEXT NOT NULL,
    connector INTEGER NOT NULL,
    stack INTEGER NOT NULL,
    profile_id INTEGER NOT NULL,
    tx_id TEXT,
    body TEXT NOT NULL,
    sent_ts TEXT NOT NULL,
    state TEXT NOT NULL,
    answer_ts TEXT
);
CREATE INDEX IF NOT EXISTS profiles_by_charger ON profiles (charger, state);
CREATE TABLE IF NOT EXISTS dr_events (
    event_id TEXT PRIMARY KEY,
    start_ts TEXT NOT NULL,
    end_ts TEXT NOT NULL,
    cap_kw REAL,
    opt TEXT,
    received_ts TEXT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS plans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    n_sessions INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    peak_kw REAL NOT NULL,
    limit_kw REAL NOT NULL,
    unmet_kwh REAL NOT NULL,
    solve_ms REAL NOT NULL,
    changed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    charger TEXT,
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS security_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    charger TEXT,
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS id_tags (
    id_tag TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meter (
    ts TEXT PRIMARY KEY,
    site_kw REAL NOT NULL,
    base_kw REAL NOT NULL
);
"""


NEW_CHARGER_COLUMNS = {
    "commissioned": "INTEGER",
    "retired": "INTEGER NOT NULL DEFAULT 0",
    "uncontrollable": "INTEGER NOT NULL DEFAULT 0",
    "volts": "REAL",
}
"""Columns of ``chargers`` added after the first release (added on open): ``commissioned``
(1 once the pile has connected, or set by the operator; NULL: not yet), ``retired``,
``uncontrollable`` (refuses every profile) and ``volts`` (its measured phase voltage)."""


@dataclass(frozen=True)
class ChargerRow:
    """A registered pile.

    Parameters
    ----------
    id
        Charge point id (the last path segment of its WebSocket URL).
    key_hash
        Hash of its Basic-auth key (:mod:`evgrid.service.security`), None without one.
    security_profile
        OCPP security profile it must connect with (0 = loopback only, 2, 3) [-].
    connectors
        Connectors [-].
    phases
        Phases [-].
    max_a
        Highest current [A per phase].
    max_periods
        ``ChargingScheduleMaxPeriods`` if known.
    rejects_tx
        Whether it rejects TxProfile (then a connector TxDefaultProfile is used).
    commissioned
        Whether it has connected at least once (or the operator said it is in service): only
        then is it reserved at its maximum while the service cannot control it.
    retired
        Taken out of service by the operator (refused like an unknown pile).
    uncontrollable
        It refused every profile :data:`~evgrid.service.settings.REJECT_LIMIT` times in a row.
    volts
        Its measured phase voltage [V], None until it reports one.
    """

    id: str
    key_hash: str | None
    security_profile: int
    connectors: int
    phases: int
    max_a: float
    max_periods: int | None
    rejects_tx: bool
    commissioned: bool = False
    retired: bool = False
    uncontrollable: bool = False
    volts: float | None = None


def spec_to_json(spec: ProfileSpec) -> str:
    """A profile as JSON text (for the intent log)."""
    lim = spec.limits
    return json.dumps(
        {
            "purpose": spec.purpose,
            "connector": spec.connector,
            "profile_id": spec.profile_id,
            "stack": spec.stack,
            "phases": spec.phases,
            "tx_id": spec.tx_id,
            "start": iso(lim.start),
            "periods": [list(p) for p in lim.periods],
            "recurring_daily": lim.recurring_daily,
            "duration_s": lim.duration_s,
        }
    )


def spec_from_json(text: str) -> ProfileSpec:
    """Inverse of :func:`spec_to_json`."""
    d = json.loads(text)
    lim = Limits(
        start=utc(d["start"]),
        periods=tuple((int(s), float(a)) for s, a in d["periods"]),
        recurring_daily=bool(d["recurring_daily"]),
        duration_s=d.get("duration_s"),
    )
    return ProfileSpec(
        purpose=d["purpose"],
        connector=int(d["connector"]),
        profile_id=int(d["profile_id"]),
        stack=int(d["stack"]),
        limits=lim,
        phases=int(d["phases"]),
        tx_id=d["tx_id"],
    )


class Store:
    """The SQLite store.

    Parameters
    ----------
    path
        Database file; ``":memory:"`` for a throw-away store (tests).
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        allowed = "an SQLite database file of evgrid's service (created if missing)"
        if self.path != ":memory:" and Path(self.path).is_dir():
            raise bad_value("db", self.path, allowed + ", not a folder")
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise bad_value("db", self.path, f"{allowed} ({exc})") from None

    def _check_schema(self) -> None:
        """Add the columns newer versions keep (an older store opens as it is)."""
        have = {r["name"] for r in self.db.execute("PRAGMA table_info(chargers)").fetchall()}
        for column, decl in NEW_CHARGER_COLUMNS.items():
            if column not in have:
                self.db.execute(f"ALTER TABLE chargers ADD COLUMN {column} {decl}")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(sql, args).fetchone()
        return row

    # --- chargers ---------------------------------------------------------------------------------
    def register(
        self,
        charger: str,
        *,
        key_hash: str | None = None,
        security_profile: int = 0,
        connectors: int = 1,
        phases: int | None = None,
        max_a: float | None = None,
        commissioned: bool | None = None,
    ) -> None:
        """Register (or update) a pile; only registered piles may connect.

        Raises
        ------
        InputError
            A pile id, security profile, connector count, phases or current out of range
            (:func:`evgrid.service.checks.registration`).
        """
        from evgrid.service.checks import registration

        reg = registration(charger, security_profile, connectors, phases, max_a)
        self.db.execute(
            "INSERT INTO chargers (id, key_hash, security_profile, connectors, phases, max_a,"
            " commissioned, retired) VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE"
            " SET key_hash=excluded.key_hash, security_profile=excluded.security_profile,"
            " connectors=excluded.connectors, phases=excluded.phases, max_a=excluded.max_a,"
            " commissioned=COALESCE(excluded.commissioned, chargers.commissioned), retired=0",
            (
                reg["id"],
                key_hash,
                reg["security_profile"],
                reg["connectors"],
                reg["phases"],
                reg["max_a"],
                None if commissioned is None else int(commissioned),
            ),
        )

    def charger(self, charger: str) -> ChargerRow | None:
        """A registered pile, None if unknown."""
        r = self._one("SELECT * FROM chargers WHERE id = ?", charger)
        return None if r is None else _charger_row(r)

    def chargers(self) -> list[ChargerRow]:
        """Every registered pile in service (not retired), by id."""
        rows = self.db.execute("SELECT * FROM chargers WHERE retired = 0 ORDER BY id").fetchall()
        return [_charger_row(r) for r in rows]

    def update_charger(self, charger: str, **fields: Any) -> None:
        """Set some columns of a pile (``max_periods``, ``rejects_tx``, ``protocol``, ...)."""
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE chargers SET {cols} WHERE id = ?", (*fields.values(), charger))

    # --- transactions -----------------------------------------------------------------------------
    def open_transaction(
        self,
        charger: str,
        connector: int,
        start: datetime,
        meter_wh: float,
        id_tag: str,
        ext_id: str | None = None,
    ) -> int:
        """Start a transaction; returns its id (unique for ever, also across restarts)."""
        cur = self.db.execute(
            "INSERT INTO transactions (charger, connector, ext_id, id_tag, start_ts, "
            "meter_start_wh, meter_wh) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (charger, connector, ext_id, id_tag, iso(start), meter_wh, meter_wh),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def update_transaction(self, tx_id: int, **fields: Any) -> None:
        """Set some columns of a transaction (datetimes are stored as ISO text)."""
        vals = [iso(v) if isinstance(v, datetime) else v for v in fields.values()]
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE transactions SET {cols} WHERE id = ?", (*vals, tx_id))

    def open_transactions(self) -> list[sqlite3.Row]:
        """Transactions without a stop, oldest first."""
        return self.db.execute(
            "SELECT * FROM transactions WHERE stop_ts IS NULL ORDER BY id"
        ).fetchall()

    def transaction(self, tx_id: int) -> sqlite3.Row | None:
        """One transaction row."""
        return self._one("SELECT * FROM transactions WHERE id = ?", tx_id)

    def transaction_by_ext(self, charger: str, ext_id: str) -> sqlite3.Row | None:
        """A 2.0.1 transaction by the pile's own transaction id."""
        return self._one(
            "SELECT * FROM transactions WHERE charger = ? AND ext_id = ? ORDER BY id DESC",
            charger,
            ext_id,
        )

    def history(self, charger: str, limit: int = 20) -> list[sqlite3.Row]:
        """The pile's latest finished transactions, newest first."""
        return self.db.execute(
            "SELECT * FROM transactions WHERE charger = ? AND stop_ts IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            (charger, limit),
        ).fetchall()

    # --- profiles (intent log) --------------------------------------------------------------------
    def log_intent(self, charger: str, spec: ProfileSpec, ts: datetime) -> int:
        """Record a profile before it is sent; returns its log sequence number."""
        cur = self.db.execute(
            "INSERT INTO profiles (charger, purpose, connector, stack, profile_id, tx_id, body, "
            "sent_ts, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'intent')",
            (
                charger,
                spec.purpose,
                spec.connector,
                spec.stack,
                spec.profile_id,
                None if spec.tx_id is None else str(spec.tx_id),
                spec_to_json(spec),
                iso(ts),
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def log_answer(self, seq: int, state: str, ts: datetime) -> None:
        """Mark a logged profile ``accepted``, ``rejected``, ``failed`` or ``cleared``."""
        self.db.execute(
            "UPDATE profiles SET state = ?, answer_ts = ? WHERE seq = ?", (state, iso(ts), seq)
        )

    def log_cleared(self, charger: str, profile_id: int, ts: datetime) -> None:
        """Mark every accepted profile of that id on the pile cleared."""
        self.db.execute(
            "UPDATE profiles SET state = 'cleared', answer_ts = ? WHERE charger = ? AND "
            "profile_id = ? AND state = 'accepted'",
            (iso(ts), charger, profile_id),
        )

    def installed(
        self, charger: str
    ) -> tuple[dict[tuple[str, int, int], ProfileSpec], dict[tuple[str, int, int], ProfileSpec]]:
        """Last accepted profile of each (purpose, connector, stack) slot of the pile, and the
        profiles sent after it whose answer never came (``intent`` or ``failed``): the pile may
        have installed those, so the committed load counts the higher of the two until
        reconciliation settles it.
        """
        rows = self.db.execute(
            "SELECT body, state FROM profiles WHERE charger = ? AND state IN "
            "('accepted', 'intent', 'failed', 'cleared') ORDER BY seq",
            (charger,),
        ).fetchall()
        accepted: dict[tuple[str, int, int], ProfileSpec] = {}
        uncertain: dict[tuple[str, int, int], ProfileSpec] = {}
        for r in rows:
            spec = spec_from_json(r["body"])
            if r["state"] == "cleared":
                accepted.pop(spec.key, None)
                uncertain.pop(spec.key, None)
            elif r["state"] == "accepted":
                accepted[spec.key] = spec
                uncertain.pop(spec.key, None)
            else:
                uncertain[spec.key] = spec
        return accepted, uncertain

    def profile_counts(self) -> dict[str, int]:
        """Logged profiles by state."""
        rows = self.db.execute("SELECT state, COUNT(*) FROM profiles GROUP BY state").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    # --- demand response, plans, alerts, meter ----------------------------------------------------
    def save_dr_event(
        self,
        event_id: str,
        start: datetime,
        end: datetime,
        cap_kw: float | None,
        opt: str,
        received: datetime,
        cancelled: bool = False,
    ) -> None:
        """Insert or replace a demand-response event."""
        self.db.execute(
            "INSERT OR REPLACE INTO dr_events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event_id, iso(start), iso(end), cap_kw, opt, iso(received), int(cancelled)),
        )

    def dr_events(self) -> list[sqlite3.Row]:
        """Every stored demand-response event."""
        return self.db.execute("SELECT * FROM dr_events ORDER BY start_ts").fetchall()

    def log_plan(
        self,
        ts: datetime,
        n: int,
        strategy: str,
        peak_kw: float,
        limit_kw: float,
        unmet_kwh: float,
        solve_ms: float,
        changed: int,
    ) -> None:
        """Record a planner run."""
        self.db.execute(
            "INSERT INTO plans (ts, n_sessions, strategy, peak_kw, limit_kw, unmet_kwh, "
            "solve_ms, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (iso(ts), n, strategy, peak_kw, limit_kw, unmet_kwh, solve_ms, changed),
        )

    def alert(self, ts: datetime, charger: str | None, kind: str, detail: str = "") -> None:
        """Record an alert for the operator."""
        self.db.execute(
            "INSERT INTO alerts (ts, charger, kind, detail) VALUES (?, ?, ?, ?)",
            (iso(ts), charger, kind, detail),
        )

    def alerts(self, kind: str | None = None) -> list[sqlite3.Row]:
        """Alerts, oldest first, optionally of one kind."""
        if kind is None:
            return self.db.execute("SELECT * FROM alerts ORDER BY seq").fetchall()
        return self.db.execute(
            "SELECT * FROM alerts WHERE kind = ? ORDER BY seq", (kind,)
        ).fetchall()

    # --- local authorisation list -----------------------------------------------------------
    def set_id_tags(self, tags: dict[str, str | None]) -> None:
        """Add (``Accepted``), block (``Blocked``) or remove (None) id tags."""
        for tag, status in tags.items():
            if status is None:
                self.db.execute("DELETE FROM id_tags WHERE id_tag = ?", (tag,))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO id_tags (id_tag, status) VALUES (?, ?)", (tag, status)
                )

    def id_tags(self) -> dict[str, str]:
        """The local authorisation list: id tag -> ``Accepted`` or ``Blocked``."""
        rows = self.db.execute("SELECT id_tag, status FROM id_tags ORDER BY id_tag").fetchall()
        return {r["id_tag"]: r["status"] for r in rows}

    def authorize(self, id_tag: str) -> str:
        """An id tag's status: with an empty list every tag is ``Accepted`` (an open
        community); else ``Accepted``/``Blocked`` as listed, ``Invalid`` when not listed."""
        row = self._one("SELECT status FROM id_tags WHERE id_tag = ?", id_tag)
        if row is not None:
            return str(row["status"])
        empty = self._one("SELECT 1 FROM id_tags LIMIT 1") is None
        return "Accepted" if empty else "Invalid"

    def retire(self, charger: str) -> None:
        """Take a pile out of service (its row and history stay)."""
        self.db.execute("UPDATE chargers SET retired = 1 WHERE id = ?", (charger,))

    def put(self, key: str, value: Any) -> None:
        """Keep a JSON value under ``key`` (the service's metrics across restarts)."""
        self.db.execute(
            "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, json.dumps(value))
        )

    def get(self, key: str) -> Any:
        """The JSON value kept under ``key``, None if none."""
        row = self._one("SELECT value FROM kv WHERE key = ?", key)
        return None if row is None else json.loads(row["value"])

    def security_event(
        self, ts: datetime, charger: str | None, kind: str, detail: str = ""
    ) -> None:
        """Record a security event (a refused handshake or message, a pile naming another
        pile's transaction, a certificate signed, an operator's change)."""
        self.db.execute(
            "INSERT INTO security_events (ts, charger, kind, detail) VALUES (?, ?, ?, ?)",
            (iso(ts), charger, kind, detail[:500]),
        )

    def security_events(
        self, kind: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[sqlite3.Row]:
        """Security events after sequence number ``after``, oldest first, optionally of one
        kind; at most ``limit``."""
        if kind is None:
            return self.db.execute(
                "SELECT * FROM security_events WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
        return self.db.execute(
            "SELECT * FROM security_events WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?",
            (kind, after, limit),
        ).fetchall()

    def log_meter(self, ts: datetime, site_kw: float, base_kw: float) -> None:
        """Record a transformer-meter reading and the base load derived from it [kW]."""
        self.db.execute(
            "INSERT OR REPLACE INTO meter VALUES (?, ?, ?)", (iso(ts), site_kw, base_kw)
        )

    def rows(self, table: str) -> Iterator[sqlite3.Row]:
        """All rows of a table (for reports and tests)."""
        if table not in (
            "chargers",
            "transactions",
            "profiles",
            "dr_events",
            "plans",
            "alerts",
            "security_events",
        ):
            raise ValueError(table)
        yield from self.db.execute(f"SELECT * FROM {table}")


def _charger_row(r: sqlite3.Row) -> ChargerRow:
    return ChargerRow(
        id=r["id"],
        key_hash=r["key_hash"],
        security_profile=int(r["security_profile"]),
        connectors=int(r["connectors"]),
        phases=int(r["phases"]),
        max_a=float(r["max_a"]),
        max_periods=None if r["max_periods"] is None else int(r["max_periods"]),
        rejects_tx=bool(r["rejects_tx"]),
        commissioned=bool(r["commissioned"]),
        retired=bool(r["retired"]),
        uncontrollable=bool(r["uncontrollable"]),
        volts=None if r["volts"] is None else float(r["volts"]),
    )
