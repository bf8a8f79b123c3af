"""A member's points as an append-only ledger; ``Member.points`` is its cached sum. Functions flush.

Every change is one conditional UPDATE of the member's balance (``points + delta >= 0``) and one
appended ``PointsEntry`` in the same transaction, so the balance always equals the sum of the
entries and never goes below zero, whatever runs at the same time: the UPDATE takes the member's
row lock, so the entries of one member are also written one writer at a time, in id order.

Expiry. Earned points expire ``POINTS_EXPIRE_DAYS`` after they were earned (the date is fixed on
the entry when it is earned). Only what is left of an earned entry expires. What is left is
found by replaying the member's entries in order, each positive entry a lot: points going out
(spent, taken back, expired) come out of the oldest lots first, except that points taken back
on a return come out of that order's own earned lot first, and an expiry ends exactly the lot
it names. Imported, given-back and merged points without a date never expire. A lot that expires
gets one ``expired`` entry, even for nothing left (delta 0, not shown in the history), so it is
never looked at again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from blinker import Namespace
from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from app.members.models import Member, PointsEntry

# sender: a set of order ids; receivers answer {order id: order number} for the history page.
order_numbers = Namespace().signal("members:points-order-numbers")


def _apply(member_id: int, delta: int) -> int | None:
    """Add ``delta`` to the balance unless it would go below zero; the new balance, or None if refused."""
    statement = (
        update(Member)
        .where(Member.id == member_id, Member.points + delta >= 0)
        .values(points=Member.points + delta)
        .returning(Member.points)
        .execution_options(synchronize_session=False)
    )
    balance = db.session.execute(statement).scalar()
    loaded = db.session.identity_map.get(db.session.identity_key(Member, member_id))
    if loaded is not None and balance is not None:
        db.session.expire(loaded, ["points"])  # the row changed under the loaded object
    return balance


def record(
    member_id: int,
    delta: int,
    kind: str,
    *,
    order_id: int | None = None,
    return_id: int | None = None,
    lot_id: int | None = None,
    expires_at: datetime | None = None,
) -> PointsEntry | None:
    """Append one entry and move the balance with it; a change that would go below zero is a 409."""
    if not delta and kind != "expired":
        return None
    balance = _apply(member_id, delta)
    if balance is None:
        raise Conflict("not_enough_points", f"You do not have {-delta} points to spend.")
    entry = PointsEntry(
        member_id=member_id,
        delta=delta,
        kind=kind,
        balance_after=balance,
        order_id=order_id,
        return_id=return_id,
        lot_id=lot_id,
        expires_at=expires_at,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def earn(member_id: int, points: int, *, order_id: int) -> PointsEntry | None:
    """Points earned on a paid order; they expire POINTS_EXPIRE_DAYS from now (0: never)."""
    days = current_app.config["POINTS_EXPIRE_DAYS"]
    expires_at = utcnow() + timedelta(days=days) if days > 0 else None
    return record(member_id, points, "earned", order_id=order_id, expires_at=expires_at)


def take_back(member_id: int, points: int, *, order_id: int | None = None, return_id: int | None = None) -> int:
    """Take back up to ``points`` earned on what was returned, never below zero; how many were taken."""
    if points <= 0:
        return 0
    # The row locked first (PostgreSQL): what is left is read and taken by one writer at a time.
    have = db.session.scalar(select(Member.points).where(Member.id == member_id).with_for_update()) or 0
    taken = min(have, points)
    record(member_id, -taken, "taken_back", order_id=order_id, return_id=return_id)
    return taken


def balance_of(member_id: int) -> int:
    """The cached balance (what the history sums to)."""
    return db.session.scalar(select(Member.points).where(Member.id == member_id)) or 0


def entries_of(member_id: int) -> list[PointsEntry]:
    """Every entry of a member, oldest first."""
    return list(
        db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member_id).order_by(PointsEntry.id))
    )


# ---- what is left of each lot, and expiry -------------------------------------------------


@dataclass
class Lot:
    """A positive entry and what is left of it after the entries that came later."""

    entry: PointsEntry
    left: int
    ended: bool = False


def _take(lots: list[Lot], need: int, first: list[Lot] | None = None) -> None:
    for lot in [*(first or []), *lots]:
        if need <= 0:
            return
        used = min(lot.left, need)
        lot.left -= used
        need -= used


def lots_of(member_id: int) -> list[Lot]:
    """The member's positive entries with what is left of each (see the module docstring)."""
    lots: list[Lot] = []
    by_id: dict[int, Lot] = {}
    for entry in entries_of(member_id):
        if entry.delta > 0:
            lot = Lot(entry, entry.delta)
            lots.append(lot)
            by_id[entry.id] = lot
        elif entry.kind == "expired" and entry.lot_id in by_id:
            ended = by_id[entry.lot_id]
            _take([ended], -entry.delta)
            ended.ended = True
        elif entry.kind == "taken_back" and entry.order_id is not None:
            own = [x for x in lots if x.entry.kind == "earned" and x.entry.order_id == entry.order_id]
            _take(lots, -entry.delta, own)
        else:
            _take(lots, -entry.delta)
    return lots


def expire_member(member_id: int, now: datetime | None = None) -> int:
    """End every lot of the member past its date: what is left of it goes; how many points went."""
    now = now or utcnow()
    # The row locked first, so that nothing spends between reading what is left and ending it.
    db.session.scalar(select(Member.id).where(Member.id == member_id).with_for_update())
    gone = 0
    for lot in lots_of(member_id):
        due = lot.entry.expires_at is not None and lot.entry.expires_at <= now
        if due and not lot.ended:
            left = min(lot.left, balance_of(member_id))
            record(member_id, -left, "expired", lot_id=lot.entry.id)
            gone += left
    return gone


def members_with_points_due(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Members with a lot past its date that no expiry has ended yet."""
    now = now or utcnow()
    ending = aliased(PointsEntry)
    ended = exists().where(ending.lot_id == PointsEntry.id, ending.kind == "expired")
    query = (
        select(PointsEntry.member_id)
        .where(PointsEntry.expires_at.is_not(None), PointsEntry.expires_at <= now, ~ended)
        .group_by(PointsEntry.member_id)
        .order_by(PointsEntry.member_id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


# ---- merging two members -------------------------------------------------------------------


def merge(kept: Member, merged: Member) -> int:
    """The merged member's points become the kept one's: a ``merged`` entry out of one and into the other.

    What is left of each of the merged member's lots with a date arrives as its own entry with
    that date, so merged points expire when they would have; the rest arrives as one entry.
    """
    total = balance_of(merged.id)
    if total <= 0:
        return 0
    dated = [lot for lot in lots_of(merged.id) if lot.left and lot.entry.expires_at and not lot.ended]
    record(merged.id, -total, "merged")
    rest = total
    for lot in dated:
        amount = min(lot.left, rest)
        record(kept.id, amount, "merged", expires_at=lot.entry.expires_at)
        rest -= amount
    record(kept.id, rest, "merged")
    return total


# ---- the history ---------------------------------------------------------------------------

KIND_TEXT = {
    "earned": "Earned",
    "spent": "Spent",
    "taken_back": "Taken back (return)",
    "given_back": "Given back",
    "expired": "Expired",
    "imported": "Brought over (loyalty card or earlier balance)",
    "merged": "Accounts merged",
}


def history(member_id: int, before: int | None = None, limit: int = 50) -> tuple[list[dict], int | None]:
    """The member's entries newest first, for people (nothing-left expiries left out); and the next cursor."""
    query = select(PointsEntry).where(PointsEntry.member_id == member_id, PointsEntry.delta != 0)
    if before is not None:
        query = query.where(PointsEntry.id < before)
    rows = list(db.session.scalars(query.order_by(PointsEntry.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    numbers: dict[int, str] = {}
    wanted = {row.order_id for row in rows if row.order_id is not None}
    if wanted:
        for _receiver, found in order_numbers.send(wanted):
            numbers.update(found or {})
    shown = [
        {
            "id": row.id,
            "kind": row.kind,
            "text": KIND_TEXT[row.kind],
            "delta": row.delta,
            "order": numbers.get(row.order_id) if row.order_id is not None else None,
            "balance_after": row.balance_after,
            "expires_at": row.expires_at,
            "at": row.created_at,
        }
        for row in rows
    ]
    return shown, rows[-1].id if more else None
