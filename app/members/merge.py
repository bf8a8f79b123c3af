"""Making two members one, and finding members (staff).

What the members domain keeps (identifiers, scans, points, code uses) moves here. What other
domains keep per member (baskets, orders, payments, the wallet) moves in their own reactions
to the ``member.merged`` event, recorded in the merge's transaction: each receiver moves its
rows and adds its counts to ``moved``. For the preview, they answer ``previewing`` with counts::

    @outbox.signal("member.merged").connect
    def _move_orders(event, kept, merged, moved, **_): ...

    @merge.previewing.connect
    def _count_orders(merged, **_): return {"orders": ...}

The merged member stays as a row pointing at the kept one (``merged_into_id``), so old
references resolve; it loses its sessions, codes and points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from sqlalchemy import func, or_, select, update

from app.db import utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from app.members import points as ledger
from app.members import services
from app.members.models import Member, MemberCodeUse, MemberIdentifier, MemberMerge, MemberSession, ResetCode
from app.outbox import services as outbox
from app.scans import services as scans
from app.scans.models import Scan

# sender: the member to be merged; each receiver answers {kind: count} of what it would move.
previewing = Namespace().signal("members:merge-preview")


@dataclass(frozen=True)
class Mover:
    """One kind of thing a merge moves: ``count(merged)`` for the preview, ``move(kept, merged)``."""

    name: str
    count: Callable[[Member], int]
    move: Callable[[Member, Member], int]


def column_mover(name: str, column: Any) -> Mover:
    """A mover for rows that belong to a member by one ``member_id``-like column."""

    def count(merged: Member) -> int:
        return db.session.scalar(select(func.count()).where(column == merged.id)) or 0

    def move(kept: Member, merged: Member) -> int:
        statement = update(column.class_).where(column == merged.id).values({column.key: kept.id})
        return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount

    return Mover(name, count, move)


def _move_points(kept: Member, merged: Member) -> int:
    return ledger.merge(kept, merged)


def _code_uses_count(merged: Member) -> int:
    return db.session.scalar(select(func.count(MemberCodeUse.id)).where(MemberCodeUse.member_id == merged.id)) or 0


def _move_code_uses(kept: Member, merged: Member) -> int:
    # (member, step) is unique: a use in the same 30 seconds as one of the kept member's stays behind.
    taken = select(MemberCodeUse.step).where(MemberCodeUse.member_id == kept.id).scalar_subquery()
    statement = (
        update(MemberCodeUse)
        .where(MemberCodeUse.member_id == merged.id, MemberCodeUse.step.not_in(taken))
        .values(member_id=kept.id)
    )
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount


MOVERS: list[Mover] = [
    column_mover("identifiers", MemberIdentifier.member_id),
    Mover(
        "scans",
        lambda merged: db.session.scalar(select(func.count(Scan.id)).where(Scan.member_id == merged.id)) or 0,
        lambda kept, merged: scans.move_scans(merged.id, kept.id),
    ),
    Mover("points", lambda merged: merged.points, _move_points),
    Mover("member_code_uses", _code_uses_count, _move_code_uses),
]


def _refuse(kept: Member, merged: Member) -> None:
    if kept.id == merged.id:
        raise Conflict("merge_same_member", "A member cannot be merged into itself.")
    for member in (kept, merged):
        if member.merged_into_id is not None:
            raise Conflict(
                "member_already_merged", f"Member {member.id} was already merged into {member.merged_into_id}."
            )


def preview(kept: Member, merged: Member) -> dict[str, int]:
    """What a merge of ``merged`` into ``kept`` would move, by kind (409 when it cannot be done)."""
    _refuse(kept, merged)
    moves = {mover.name: mover.count(merged) for mover in MOVERS}
    for _receiver, counts in previewing.send(merged):
        moves.update(counts)
    moves["sessions"] = _live_sessions(merged)
    return moves


def _live_sessions(member: Member) -> int:
    query = select(func.count(MemberSession.id)).where(
        MemberSession.member_id == member.id, MemberSession.revoked_at.is_(None)
    )
    return db.session.scalar(query) or 0


def merge(kept: Member, merged: Member, staff_user=None, *, actor: str = "") -> MemberMerge:
    """Move everything of ``merged`` to ``kept``, retire ``merged`` and keep an audit record.

    ``staff_user`` is the StaffUser who did it (None for an API key: ``actor`` names it).
    """
    # Both rows locked in primary-key order, then checked again: two merges at once
    # (A into B and B into A) must not both pass.
    db.session.scalars(
        select(Member)
        .where(Member.id.in_({kept.id, merged.id}))
        .order_by(Member.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    _refuse(kept, merged)
    moved: dict[str, Any] = {mover.name: mover.move(kept, merged) for mover in MOVERS}
    event = outbox.record(
        "member.merged", f"member:{kept.id}", {}, kept=kept, merged=merged, moved=moved
    )  # the other domains' rows move here
    moved["sessions_revoked"] = _live_sessions(merged)
    services.sign_out_everywhere(merged)  # also changes its code secret: its member codes stop working
    db.session.execute(
        update(ResetCode).where(ResetCode.member_id == merged.id, ResetCode.used_at.is_(None)).values(used_at=utcnow())
    )
    if merged.name.strip() and not kept.name.strip():
        kept.name = merged.name
        moved["name"] = merged.name
    # Members merged into this one earlier now point straight at the kept member.
    moved["earlier_merges"] = db.session.execute(
        update(Member)
        .where(Member.merged_into_id == merged.id)
        .values(merged_into_id=kept.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    merged.merged_into_id = kept.id
    if actor:
        moved["actor"] = actor
    record = MemberMerge(
        kept_member_id=kept.id,
        merged_member_id=merged.id,
        staff_user_id=getattr(staff_user, "id", None),
        moved=moved,
    )
    db.session.add(record)
    db.session.flush()
    event.data = {"kept": kept.id, "merged": merged.id, "moved": {k: v for k, v in moved.items() if k != "actor"}}
    return record


def merges_of(member: Member) -> list[MemberMerge]:
    """The audit records a member took part in, newest first."""
    query = select(MemberMerge).where(
        or_(MemberMerge.kept_member_id == member.id, MemberMerge.merged_member_id == member.id)
    )
    return list(db.session.scalars(query.order_by(MemberMerge.id.desc())))


# ---- finding members (staff) -----------------------------------------------------------


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_members(q: str | None, limit: int = 50, store_id: int | None = None) -> list[Member]:
    """Members by id, e-mail, phone (any format), card or outside id, or part of one or of the name.

    Merged members are left out (their identifiers moved to the member they were merged into).
    With ``store_id``, only members known at that store (a clerk's own store).
    """
    limit = max(1, min(limit, 200))
    query = select(Member).where(Member.merged_into_id.is_(None))
    if store_id is not None:
        query = query.where(Member.id.in_(services.members_of_store(store_id)))
    q = (q or "").strip()
    if not q:
        return list(db.session.scalars(query.order_by(Member.id.desc()).limit(limit)))
    values = {q}
    for kind in ("email", "phone"):
        try:
            values.add(services.normalise_identifier(kind, q))
        except DomainError:  # a query is often neither an e-mail nor a phone
            pass
    by_identifier = select(MemberIdentifier.member_id).where(
        or_(MemberIdentifier.value.in_(values), MemberIdentifier.value.ilike(_like(q), escape="\\"))
    )
    conditions = [Member.id.in_(by_identifier), Member.name.ilike(_like(q), escape="\\")]
    if q.lstrip("#").isdigit() and len(q) <= 12:
        conditions.append(Member.id == int(q.lstrip("#")))
    return list(db.session.scalars(query.where(or_(*conditions)).order_by(Member.id.desc()).limit(limit)))
