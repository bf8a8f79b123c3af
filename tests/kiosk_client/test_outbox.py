"""The on-disk outbox: durable, in order, each row with its own id, settled once."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import UTC, datetime

from kiosk.outbox import Counts, Outbox, utc_timestamp


def scan(code: str) -> dict:
    return {"code": code, "symbology": "QRCODE"}


def test_rows_come_out_in_the_order_they_went_in(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        added = [outbox.add(scan(f"C{i}")) for i in range(5)]
        assert [e.seq for e in added] == sorted(e.seq for e in added)
        order = []
        while (entry := outbox.next_waiting()) is not None:
            order.append(entry.payload["code"])
            outbox.mark_sent(entry.seq)
        assert order == ["C0", "C1", "C2", "C3", "C4"]
        assert outbox.counts() == Counts(waiting=0, sent=5)


def test_each_row_has_a_uuid_and_a_utc_millisecond_timestamp(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        entry = outbox.add(scan("A"), seen_at=datetime(2025, 3, 1, 9, 30, 12, 345678, tzinfo=UTC))
        other = outbox.add(scan("A"))
    assert str(uuid.UUID(entry.client_id)) == entry.client_id != other.client_id
    assert entry.seen_at == "2025-03-01T09:30:12.345Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", utc_timestamp())
    assert entry.message() == {"id": entry.client_id, "code": "A", "symbology": "QRCODE", "seen_at": entry.seen_at}


def test_waiting_rows_survive_reopening_the_file_with_the_same_ids(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path)
    first, second = outbox.add(scan("A")), outbox.add(scan("B"))
    outbox.count_attempt(first.seq)
    outbox.note_error(first.seq, "no answer within 10 s")
    outbox.close()
    with Outbox(path) as again:
        waiting = again.entries("waiting")
        assert [(e.client_id, e.payload["code"]) for e in waiting] == [(first.client_id, "A"), (second.client_id, "B")]
        assert (waiting[0].attempts, waiting[0].last_error) == (1, "no answer within 10 s")
        assert again.next_waiting().client_id == first.client_id


def test_the_file_is_wal_with_full_sync_and_a_row_is_there_for_another_reader_at_once(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    with Outbox(path) as outbox:
        entry = outbox.add(scan("A"))
        reader = sqlite3.connect(path)
        try:
            assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            row = reader.execute("SELECT client_id, kind, status, attempts FROM outbox").fetchone()
            assert row == (entry.client_id, "scan", "waiting", 0)
        finally:
            reader.close()
        assert outbox._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_rejected_row_is_skipped_and_keeps_its_error(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        bad, good = outbox.add(scan("X" * 600)), outbox.add(scan("B"))
        outbox.mark_rejected(bad.seq, "invalid_scan: check code")
        assert outbox.next_waiting().seq == good.seq
        [rejected] = outbox.entries("rejected")
        assert rejected.last_error == "invalid_scan: check code"
        assert outbox.counts() == Counts(waiting=1, sent=0, rejected=1)
        assert str(outbox.counts()) == "1 waiting, 0 sent, 1 rejected"


def test_a_settled_row_stays_settled(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        entry = outbox.add(scan("A"))
        outbox.mark_sent(entry.seq)
        outbox.mark_sent(entry.seq)  # a duplicate answer
        outbox.mark_rejected(entry.seq, "late")
        [row] = outbox.entries()
        assert (row.status, row.last_error) == ("sent", None)
