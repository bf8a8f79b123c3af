"""Closing settlement cycles into statements: a few set-based statements, whatever the volume.

A run has a cut-off. A merchant's new statement holds its entries booked from its last
cut-off up to this one: one GROUP BY over the entries gives every statement's totals and one
INSERT writes them; no entry is touched. A refund after a cycle closed is an entry of the
cycle it happens in, so a closed statement never changes (the database refuses it too, see
``guards``). An entry made while a run closes its merchant is booked after the run: writers
share-lock their merchants' rows and a run locks them for update (``booking_times``), so it
waits for the sales in flight and the sales after it see its cut-off. A negative balance
(more clawed back than sold) pays nothing and is carried into the merchant's next statement.

On schedule, a merchant on T+N closes every N days at midnight in SETTLEMENT_TIMEZONE,
counted from 1970-01-01 (T+1: every day; T+7: every seven days). A run that was missed is
made up by the next one, which then covers both cycles.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from app.db import utcnow
from app.errors import NotFound
from app.extensions import db
from app.settlement.models import Merchant, PayoutBatch, SettlementEntry, Statement
from app.tax import tax_included

EPOCH = date(1970, 1, 1)


def _totals(merchant_ids: Collection[int] | None, cutoff: datetime) -> dict[int, dict]:
    """Entries booked after each merchant's last cut-off and before ``cutoff``, summed per merchant and tax rate."""
    e = SettlementEntry
    last = (
        select(Statement.merchant_id.label("merchant_id"), func.max(Statement.period_end).label("end"))
        .group_by(Statement.merchant_id)
        .subquery()
    )
    query = (
        select(
            e.merchant_id,
            e.tax_rate,
            func.coalesce(func.sum(case((e.kind == "sale", e.gross), else_=0)), 0),
            func.coalesce(func.sum(case((e.kind != "sale", -e.gross), else_=0)), 0),
            func.coalesce(func.sum(e.commission), 0),
            func.count(),
            func.min(e.booked_at),
        )
        .select_from(e)
        .outerjoin(last, last.c.merchant_id == e.merchant_id)
        .where(e.booked_at < cutoff, or_(last.c.end.is_(None), e.booked_at >= last.c.end))
        .group_by(e.merchant_id, e.tax_rate)
    )
    if merchant_ids is not None:
        query = query.where(e.merchant_id.in_(sorted(merchant_ids)))
    found: dict[int, dict] = defaultdict(
        lambda: {"gross_sales": 0, "refunds": 0, "commission": 0, "entry_count": 0, "first": None, "by_rate": {}}
    )
    for merchant_id, rate, sales, refunds, commission, count, first in db.session.execute(query):
        total = found[merchant_id]
        total["gross_sales"] += int(sales)
        total["refunds"] += int(refunds)
        total["commission"] += int(commission)
        total["entry_count"] += int(count)
        total["by_rate"][int(rate)] = int(sales) - int(refunds)
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        total["first"] = first if total["first"] is None else min(total["first"], first)
    return dict(found)


def _last_statements(merchant_ids: Collection[int]) -> dict[int, tuple[datetime, int]]:
    """Each merchant's latest statement: (period end, the balance it carried out)."""
    latest = (
        select(Statement.merchant_id, func.max(Statement.period_end).label("end"))
        .where(Statement.merchant_id.in_(sorted(merchant_ids)))
        .group_by(Statement.merchant_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Statement.merchant_id, Statement.period_end, Statement.carried_out).join(
            latest, and_(Statement.merchant_id == latest.c.merchant_id, Statement.period_end == latest.c.end)
        )
    )
    return {merchant_id: (end, carried) for merchant_id, end, carried in rows}


def figures(total: dict, carried_in: int) -> dict[str, Any]:
    """A statement's money: net = sales - refunds - commission + carried in; a negative net pays nothing."""
    net = total["gross_sales"] - total["refunds"] - total["commission"] + carried_in
    tax = {str(rate): tax_included(amount, rate) for rate, amount in sorted(total["by_rate"].items(), reverse=True)}
    return {
        "gross_sales": total["gross_sales"],
        "refunds": total["refunds"],
        "commission": total["commission"],
        "carried_in": carried_in,
        "net": net,
        "payout": max(net, 0),
        "carried_out": min(net, 0),
        "entry_count": total["entry_count"],
        "tax": tax,
    }


def close_cycle(cutoff: datetime, merchant_ids: Collection[int] | None = None) -> PayoutBatch | None:
    """Close the open entries before ``cutoff`` into statements (all merchants, or these); None if none."""
    _lock(merchant_ids, share=False)
    totals = _totals(merchant_ids, cutoff)
    last = _last_statements(totals) if totals else {}
    # A cut-off at or before a merchant's last one would overlap a closed statement.
    totals = {m: t for m, t in totals.items() if m not in last or last[m][0] < cutoff}
    if not totals:
        return None
    codes = dict(db.session.execute(select(Merchant.id, Merchant.code).where(Merchant.id.in_(sorted(totals)))).all())
    currencies = dict(
        db.session.execute(select(Merchant.id, Merchant.currency).where(Merchant.id.in_(sorted(totals)))).all()
    )
    stamp = cutoff.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    batch = PayoutBatch(reference=f"PB-{stamp}-{secrets.token_hex(3).upper()}", cutoff=cutoff)
    db.session.add(batch)
    db.session.flush()
    rows = []
    for merchant_id, total in sorted(totals.items()):
        previous = last.get(merchant_id)
        rows.append(
            {
                "number": f"ST-{codes[merchant_id]}-{stamp[:8]}-{batch.id}",
                "merchant_id": merchant_id,
                "batch_id": batch.id,
                "period_start": previous[0] if previous else total["first"],
                "period_end": cutoff,
                "currency": currencies[merchant_id],
                "created_at": utcnow(),
                **figures(total, previous[1] if previous else 0),
            }
        )
    db.session.execute(Statement.__table__.insert(), rows)
    return batch


def _lock(merchant_ids: Collection[int] | None, share: bool) -> None:
    """Lock the merchants' rows in id order (PostgreSQL; SQLite's one writer is already alone)."""
    query = select(Merchant.id).order_by(Merchant.id).with_for_update(read=share)
    if merchant_ids is not None:
        query = query.where(Merchant.id.in_(sorted(set(merchant_ids))))
    db.session.execute(query).all()


def booking_times(merchant_ids: Collection[int], at: datetime) -> dict[int, datetime]:
    """When entries of these merchants made now count: ``at``, or a merchant's last cut-off if that is later."""
    ids = sorted(set(merchant_ids))
    _lock(ids, share=True)
    last = _last_statements(ids)
    return {m: max(at, last[m][0]) if m in last else at for m in ids}


def preview(merchant_id: int, until: datetime | None = None) -> dict[str, Any]:
    """The open cycle of a merchant so far, as its next statement would show it."""
    until = until or utcnow()
    total = _totals([merchant_id], until).get(merchant_id)
    last = _last_statements([merchant_id]).get(merchant_id)
    empty = {"gross_sales": 0, "refunds": 0, "commission": 0, "entry_count": 0, "by_rate": {}}
    shown = figures(total or empty, last[1] if last else 0)
    shown["period_start"] = last[0] if last else (total or {}).get("first")
    return shown


# ---- the schedule ------------------------------------------------------------------------


def zone() -> ZoneInfo:
    """Where a settlement day starts and ends."""
    return ZoneInfo(current_app.config.get("SETTLEMENT_TIMEZONE", "Asia/Shanghai"))


def cycle_end(days: int, now: datetime) -> datetime:
    """The latest scheduled cut-off at or before ``now`` of a T+``days`` merchant."""
    local = now.astimezone(zone()).date()
    back = (local - EPOCH).days % days
    return datetime.combine(local - timedelta(days=back), time(0), tzinfo=zone()).astimezone(UTC)


def close_due(now: datetime | None = None) -> list[PayoutBatch]:
    """Close every cycle that has ended and is not closed yet: one run per cut-off."""
    now = now or utcnow()
    cycles: dict[datetime, list[int]] = defaultdict(list)
    for merchant_id, days in db.session.execute(select(Merchant.id, Merchant.settlement_days)):
        cycles[cycle_end(days, now)].append(merchant_id)
    batches = []
    for cutoff, merchant_ids in sorted(cycles.items()):
        batch = close_cycle(cutoff, merchant_ids)
        if batch is not None:
            batches.append(batch)
    return batches


# ---- reading -----------------------------------------------------------------------------


def statements_of(merchant_id: int, limit: int = 100) -> list[Statement]:
    """A merchant's statements, newest first."""
    query = select(Statement).where(Statement.merchant_id == merchant_id)
    return list(db.session.scalars(query.order_by(Statement.period_end.desc()).limit(limit)))


def get_statement(statement_id: int, merchant_id: int | None = None) -> Statement:
    """One statement (of this merchant, when given), or 404."""
    statement = db.session.get(Statement, statement_id)
    if statement is None or (merchant_id is not None and statement.merchant_id != merchant_id):
        raise NotFound("statement_not_found", f"No statement {statement_id}.")
    return statement


def entries_of(statement: Statement) -> list[SettlementEntry]:
    """The entries a statement holds, in the order they happened."""
    e = SettlementEntry
    query = select(e).where(e.merchant_id == statement.merchant_id, e.booked_at < statement.period_end)
    if statement.period_start is not None:
        query = query.where(e.booked_at >= statement.period_start)
    return list(db.session.scalars(query.order_by(e.booked_at, e.id)))


def batches(limit: int = 50) -> list[PayoutBatch]:
    """Recent payout batches, newest first."""
    return list(db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit)))


def get_batch(batch_id: int) -> PayoutBatch:
    """One payout batch, or 404."""
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound("batch_not_found", f"No payout batch {batch_id}.")
    return batch


def statements_in(batch: PayoutBatch) -> list[Statement]:
    """The statements one run closed, by merchant."""
    return list(
        db.session.scalars(select(Statement).where(Statement.batch_id == batch.id).order_by(Statement.merchant_id))
    )


def recent_entries(merchant_id: int, since: datetime | None = None, limit: int = 500) -> list[SettlementEntry]:
    """A merchant's latest entries (since a moment, when given), newest first."""
    query = select(SettlementEntry).where(SettlementEntry.merchant_id == merchant_id)
    if since is not None:
        query = query.where(SettlementEntry.occurred_at >= since)
    order = (SettlementEntry.occurred_at.desc(), SettlementEntry.id.desc())
    return list(db.session.scalars(query.order_by(*order).limit(limit)))
