"""Reconcile an outside system's full count of a location with the ledger. Functions flush, callers commit.

Our on hand at the count's ``taken_at`` is the level now less every movement after it; the
drift of a SKU is what was counted less that. The report is built with a few grouped queries
whatever the size of the count (levels of the location, sums of the movements after
``taken_at``, products by SKU in chunks), and stores only the lines that disagree plus the
SKUs tracked here that the count left out. Applying a line records a ``count`` movement of
its drift, so that our level now moves by what the count found missing or extra.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, update

from app.catalog.models import Location, Product
from app.db import begin_write, utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.outbox import services as outbox
from app.realtime import queue_event
from app.stock import live, services
from app.stock.models import LocationRef, ProductRef, StockLevel, StockMovement
from app.stock.snapshot_models import StockSnapshot, StockSnapshotLine

MAX_ROWS = 100_000
MAX_COUNT = 10_000_000
MAX_ERRORS_SHOWN = 1000
ALERT_LINES = 100  # lines over the threshold named in an alert; the count says how many in all
CHUNK = 5000  # SKUs per IN (...) lookup, well under SQLite's bound-parameter limit
INTEGER_RE = re.compile(r"^[+-]?\d+$")
Report = Callable[[int, int], None]


@dataclass(frozen=True)
class CountRow:
    """One line of the count as sent: its line number (CSV line, or 1-based item), SKU and count."""

    line: int
    sku: str
    counted: Any


@dataclass(frozen=True)
class Checked:
    """A count that passed every check: product id -> units counted."""

    location: Location
    taken_at: datetime
    counts: dict[int, int]


def rows_from_json(lines: Iterable[Any]) -> list[CountRow]:
    """The ``lines`` of a JSON body as count rows, numbered from 1."""
    rows = []
    for n, item in enumerate(lines, start=1):
        item = item if isinstance(item, dict) else {}
        rows.append(CountRow(n, str(item.get("sku") or "").strip(), item.get("counted")))
    return rows


def rows_from_csv(text: str) -> list[CountRow]:
    """A ``sku,counted`` CSV as count rows, numbered by file line (the header is line 1)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "sku" not in header or "counted" not in header:
        raise DomainError(
            "invalid_header",
            "The first line must name the columns sku and counted.",
            details={"expected": ["sku", "counted"]},
        )
    sku_at, counted_at = header.index("sku"), header.index("counted")
    rows = []
    for n, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # blank lines (a trailing newline) are no rows
        sku = values[sku_at].strip() if sku_at < len(values) else ""
        counted = values[counted_at].strip() if counted_at < len(values) else ""
        rows.append(CountRow(n, sku, counted))
    return rows


def parse_taken_at(value: str | datetime) -> datetime:
    """An ISO time (UTC when it names no offset), not in the future."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise DomainError("invalid_taken_at", "taken_at must be an ISO time, e.g. 2026-12-07T09:30:00Z.") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > utcnow() + timedelta(minutes=5):
        raise DomainError("invalid_taken_at", "taken_at is in the future: a count is of what was on the shelf.")
    return value.astimezone(UTC)


def _counted(raw: Any) -> int:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValueError("counted is required: the units found, zero or more.")
    if isinstance(raw, str):
        if not INTEGER_RE.match(raw):
            raise ValueError(f"counted must be a whole number, not {raw!r}.")
        raw = int(raw)
    if not isinstance(raw, int):
        raise ValueError("counted must be a whole number.")
    if raw < 0:
        raise ValueError("counted cannot be negative.")
    if raw > MAX_COUNT:
        raise ValueError(f"counted {raw} is more than {MAX_COUNT:,}: check the file.")
    return raw


def products_by_sku(skus: Iterable[str]) -> dict[str, tuple[int, str]]:
    """SKU -> (product id, name) for the SKUs that exist, a chunk of SKUs per query."""
    wanted = sorted(set(skus))
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = select(Product.sku, Product.id, Product.name).where(Product.sku.in_(chunk))
        found.update({sku: (pid, name) for sku, pid, name in db.session.execute(query)})
    return found


def check(location: Location, taken_at: datetime, rows: list[CountRow]) -> Checked:
    """Check every row before anything is written; 422 naming each bad line when one is wrong."""
    if not rows:
        raise DomainError("empty_snapshot", "The count has no lines.")
    if len(rows) > MAX_ROWS:
        raise DomainError("too_many_rows", f"A count has at most {MAX_ROWS:,} lines; this one has {len(rows):,}.")
    products = products_by_sku(row.sku for row in rows)
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    counts: dict[int, int] = {}
    for row in rows:
        try:
            if not row.sku:
                raise _LineError("sku", "sku is required.")
            if row.sku in seen:
                raise _LineError("sku", f"SKU {row.sku} is also on line {seen[row.sku]}.")
            if row.sku not in products:
                raise _LineError("sku", f"No product has SKU {row.sku}.")
            try:
                counted = _counted(row.counted)
            except ValueError as error:
                raise _LineError("counted", str(error)) from None
        except _LineError as error:
            errors.append({"line": row.line, "sku": row.sku or None, "field": error.field, "message": error.message})
            continue
        seen[row.sku] = row.line
        counts[products[row.sku][0]] = counted
    if errors:
        raise DomainError(
            "invalid_rows",
            f"{len(errors)} line(s) are not valid; nothing was recorded.",
            details={"errors": errors[:MAX_ERRORS_SHOWN], "error_count": len(errors)},
        )
    return Checked(location, taken_at, counts)


class _LineError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def sync_limit() -> int:
    return int(current_app.config.get("STOCK_SNAPSHOT_SYNC_LIMIT", 1000))


def create_snapshot(checked: Checked, actor: str = "") -> StockSnapshot:
    """The snapshot row, status "building" until ``build_report`` fills it."""
    snapshot = StockSnapshot(
        location_id=checked.location.id,
        taken_at=checked.taken_at,
        status="building",
        rows=len(checked.counts),
        actor=actor[:80],
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def record_snapshot(checked: Checked, actor: str = "") -> StockSnapshot:
    """A small count: the snapshot with its report, now."""
    snapshot = create_snapshot(checked, actor)
    build_report(snapshot, checked.counts)
    return snapshot


def start_snapshot_job(checked: Checked, actor: str = ""):
    """A big count: the snapshot now, its report on the job runner once the caller commits."""
    from app.jobs import services as jobs

    snapshot = create_snapshot(checked, actor)
    counts = [[pid, n] for pid, n in checked.counts.items()]
    job = jobs.start_job("stock_snapshot", len(counts), report_work, snapshot_id=snapshot.id, counts=counts)
    snapshot.job_id = job.id
    db.session.flush()
    return snapshot, job


def report_work(report: Report, snapshot_id: int, counts: list[list[int]]) -> dict[str, Any]:
    """A big count's job: build the report in one write transaction (committed with the job)."""
    begin_write(db.session)
    snapshot = db.session.get(StockSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("snapshot_not_found", f"No stock snapshot {snapshot_id}.")
    if snapshot.status == "building":  # a second attempt after the first one committed finds it done
        build_report(snapshot, {pid: n for pid, n in counts}, report)
    return {"snapshot": snapshot.id, "drift": snapshot.drift_count, "not_counted": snapshot.not_counted_count}


def ledger_at(location_id: int, taken_at: datetime) -> tuple[dict[int, int], dict[int, int]]:
    """(on hand now, on hand at ``taken_at``) of every product tracked at the location: two grouped queries."""
    now = dict(
        db.session.execute(
            select(StockLevel.product_id, StockLevel.on_hand).where(StockLevel.location_id == location_id)
        ).all()
    )
    after = dict(
        db.session.execute(
            select(StockMovement.product_id, func.sum(StockMovement.delta))
            .where(StockMovement.location_id == location_id, StockMovement.created_at > taken_at)
            .group_by(StockMovement.product_id)
        ).all()
    )
    return now, {pid: on_hand - int(after.get(pid) or 0) for pid, on_hand in now.items()}


def build_report(snapshot: StockSnapshot, counts: dict[int, int], report: Report | None = None) -> None:
    """Store the drift and not-counted lines, mark the snapshot ready, and alert staff of big drifts."""
    total = len(counts)
    if report:
        report(0, total)
    now, then = ledger_at(snapshot.location_id, snapshot.taken_at)
    lines = []
    for pid, counted in counts.items():
        drift = counted - then.get(pid, 0)
        if drift:
            values = {"counted": counted, "ours_then": then.get(pid, 0), "ours_now": now.get(pid, 0), "drift": drift}
            lines.append({"snapshot_id": snapshot.id, "product_id": pid, "kind": "drift", **values})
    missing = sorted(set(now) - set(counts))
    for pid in missing:
        values = {"counted": None, "ours_then": then[pid], "ours_now": now[pid], "drift": None}
        lines.append({"snapshot_id": snapshot.id, "product_id": pid, "kind": "not_counted", **values})
    if report:
        report(total // 2, total)
    lines.sort(key=lambda line: (line["kind"], line["product_id"]))
    for start in range(0, len(lines), CHUNK):
        db.session.execute(insert(StockSnapshotLine), lines[start : start + CHUNK])
    snapshot.drift_count = len(lines) - len(missing)
    snapshot.not_counted_count = len(missing)
    snapshot.status = "ready"
    _alert(snapshot, [line for line in lines if line["kind"] == "drift"])
    db.session.flush()
    if report:
        report(total, total)


def drift_threshold() -> int:
    return int(current_app.config.get("STOCK_DRIFT_ALERT", 5))


def _alert(snapshot: StockSnapshot, drift_lines: list[dict[str, Any]]) -> None:
    """Tell the store's staff (live) and integrations (``stock.drift_detected``) of drifts over the threshold."""
    threshold = drift_threshold()
    over = [line for line in drift_lines if abs(line["drift"]) > threshold]
    snapshot.alert_count = len(over)
    if not over:
        return
    location = db.session.get(Location, snapshot.location_id)
    names = {
        p.id: p
        for p in db.session.scalars(
            select(Product).where(Product.id.in_([x["product_id"] for x in over[:ALERT_LINES]]))
        )
    }
    shown = [
        {
            "sku": names[line["product_id"]].sku,
            "name": names[line["product_id"]].name,
            "counted": line["counted"],
            "ours_then": line["ours_then"],
            "ours_now": line["ours_now"],
            "drift": line["drift"],
        }
        for line in over[:ALERT_LINES]
    ]
    data = {
        "snapshot": snapshot.id,
        "location": location.code,
        "taken_at": snapshot.taken_at.isoformat(),
        "threshold": threshold,
        "count": len(over),
        "lines": shown,
    }
    queue_event(db.session, "stock:drift", data, room=live.staff_room(location.id))
    outbox.record("stock.drift_detected", f"snapshot:{snapshot.id}", data, snapshot=snapshot)


def get_snapshot(snapshot_id: int) -> StockSnapshot:
    snapshot = db.session.get(StockSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("snapshot_not_found", f"No stock snapshot {snapshot_id}.")
    return snapshot


def lines_query(snapshot: StockSnapshot, kind: str = "drift"):
    """The report's lines of one kind (page them by id)."""
    return select(StockSnapshotLine).where(StockSnapshotLine.snapshot_id == snapshot.id, StockSnapshotLine.kind == kind)


def snapshots_query(location_ids: Iterable[int] | None = None):
    """Snapshots, at these locations only when given (page them newest first by id)."""
    query = select(StockSnapshot)
    if location_ids is not None:
        query = query.where(StockSnapshot.location_id.in_(sorted(location_ids)))
    return query


def apply(snapshot: StockSnapshot, skus: list[str] | None, actor: str = "") -> dict[str, Any]:
    """Record the chosen drift lines (``None``: all of them) as count movements, all or none.

    Each line moves our level now by its drift; a line already applied is skipped, never
    applied twice. 409 when a level changed since so that the correction would take it below
    zero (or below what is held).
    """
    if snapshot.status != "ready":
        raise Conflict("snapshot_not_ready", "The report of this count is still being made; try again shortly.")
    rows = db.session.execute(
        select(StockSnapshotLine, Product.sku, Product.name)
        .join(Product, Product.id == StockSnapshotLine.product_id)
        .where(StockSnapshotLine.snapshot_id == snapshot.id, StockSnapshotLine.kind == "drift")
        .order_by(StockSnapshotLine.product_id)
    ).all()
    if skus is not None:
        by_sku = {sku: (line, name) for line, sku, name in rows}
        unknown = sorted(set(skus) - set(by_sku))
        if unknown:
            raise DomainError(
                "not_a_drift_line",
                f"{len(unknown)} SKU(s) are not drift lines of this count: {', '.join(unknown[:20])}.",
                details={"skus": unknown},
            )
        chosen = set(skus)
        rows = [row for row in rows if row[1] in chosen]
    pending = [row for row in rows if row[0].applied_at is None]
    skipped = [sku for line, sku, _ in rows if line.applied_at is not None]
    now = utcnow()
    _claim([line.id for line, _, _ in pending], now, actor)
    location = db.session.get(Location, snapshot.location_id)
    place = LocationRef(location.id, location.code)
    # In product order, the order the stock services take level rows in.
    for line, sku, name in pending:
        try:
            services.apply_change(
                ProductRef(line.product_id, sku, name),
                place,
                "count",
                line.drift,
                reference=f"snapshot:{snapshot.id}",
                note=f"counted {line.counted} at {snapshot.taken_at:%Y-%m-%d %H:%M} UTC, drift {line.drift:+d}",
                actor=actor,
            )
        except services.InsufficientStock as error:
            raise Conflict(
                "drift_conflict",
                f"{sku} changed since the count: {error.details['available']} available now, and a "
                f"correction of {line.drift:+d} would take it below zero. Count it again.",
                details={"sku": sku, "drift": line.drift, "available": error.details["available"]},
            ) from None
    db.session.expire_all()  # the lines were claimed with an UPDATE the loaded objects did not see
    return {"snapshot": snapshot.id, "applied": [sku for _, sku, _ in pending], "already_applied": skipped}


def _claim(line_ids: list[int], now: datetime, actor: str) -> None:
    """Mark the lines applied, only if still unapplied: a concurrent apply of one of them is refused."""
    for start in range(0, len(line_ids), CHUNK):
        chunk = line_ids[start : start + CHUNK]
        claimed = db.session.execute(
            update(StockSnapshotLine)
            .where(StockSnapshotLine.id.in_(chunk), StockSnapshotLine.applied_at.is_(None))
            .values(applied_at=now, applied_by=actor[:80])
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != len(chunk):
            raise Conflict("already_applied", "Another request is applying these lines; reload the report.")
