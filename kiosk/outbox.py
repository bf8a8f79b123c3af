"""The outbox: every scan is written to a SQLite file before anything is sent.

A row is ``waiting`` until the server acknowledges it (``sent``) or refuses its content
(``rejected``). Rows go out strictly in ``seq`` order, each with the id it was given when it was
added, so a row sent again after a crash or a lost acknowledgement is recognised by the server
as the same scan. ``synchronous=FULL`` makes an added row survive a power cut.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATUSES = ("waiting", "sent", "rejected")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    settled_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_status_seq ON outbox (status, seq);
"""
_COLUMNS = "seq, client_id, kind, payload, seen_at, status, attempts, last_error"


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTC ISO-8601 with milliseconds and "Z": ``2025-03-01T09:30:12.345Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Entry:
    """One row of the outbox."""

    seq: int
    client_id: str
    kind: str
    payload: dict[str, Any]
    seen_at: str
    status: str
    attempts: int
    last_error: str | None

    def message(self) -> dict[str, Any]:
        """What goes over the wire: the payload with the row's id and when the code was seen."""
        return {"id": self.client_id, **self.payload, "seen_at": self.seen_at}


@dataclass(frozen=True)
class Counts:
    """How many rows are in each state."""

    waiting: int = 0
    sent: int = 0
    rejected: int = 0

    def __str__(self) -> str:
        text = f"{self.waiting} waiting, {self.sent} sent"
        return f"{text}, {self.rejected} rejected" if self.rejected else text


class Outbox:
    """A SQLite outbox file; safe to share between the threads of one process."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: every statement below is its own transaction, durable when it returns.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def add(self, payload: dict[str, Any], kind: str = "scan", seen_at: datetime | None = None) -> Entry:
        """Store a new waiting row with a fresh id; it is on disk when this returns."""
        client_id, seen = str(uuid.uuid4()), utc_timestamp(seen_at)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox (client_id, kind, payload, seen_at) VALUES (?, ?, ?, ?)",
                (client_id, kind, json.dumps(payload, separators=(",", ":")), seen),
            )
        return Entry(int(cursor.lastrowid or 0), client_id, kind, payload, seen, "waiting", 0, None)

    def next_waiting(self) -> Entry | None:
        """The oldest waiting row: the only one that may be sent now."""
        rows = self._select("WHERE status = 'waiting' ORDER BY seq LIMIT 1")
        return rows[0] if rows else None

    def entries(self, status: str | None = None) -> list[Entry]:
        """Every row (or those in one state), in order."""
        if status is None:
            return self._select("ORDER BY seq")
        return self._select("WHERE status = ? ORDER BY seq", (status,))

    def count_attempt(self, seq: int) -> None:
        """A row is about to be sent (once more)."""
        self._execute("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", (seq,))

    def note_error(self, seq: int, error: str) -> None:
        """Sending a row failed in a way that may pass (a timeout, a lost connection); it stays waiting."""
        self._execute("UPDATE outbox SET last_error = ? WHERE seq = ?", (error[:500], seq))

    def mark_sent(self, seq: int) -> None:
        """The server acknowledged the row (the first time or as a duplicate)."""
        self._settle(seq, "sent", None)

    def mark_rejected(self, seq: int, error: str) -> None:
        """The server refused the row's content: it is not sent again."""
        self._settle(seq, "rejected", error[:500])

    def counts(self) -> Counts:
        """How many rows are waiting, sent and rejected."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        return Counts(**{status: count for status, count in rows if status in STATUSES})

    def _settle(self, seq: int, status: str, error: str | None) -> None:
        # Only a waiting row settles: a late answer cannot turn "rejected" into "sent" or back.
        self._execute(
            "UPDATE outbox SET status = ?, last_error = COALESCE(?, last_error), settled_at = ? "
            "WHERE seq = ? AND status = 'waiting'",
            (status, error, utc_timestamp(), seq),
        )

    def _execute(self, sql: str, parameters: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, parameters)

    def _select(self, where: str, parameters: tuple[Any, ...] = ()) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM outbox {where}", parameters).fetchall()
        return [
            Entry(seq, client_id, kind, json.loads(payload), seen_at, status, attempts, last_error)
            for seq, client_id, kind, payload, seen_at, status, attempts, last_error in rows
        ]
