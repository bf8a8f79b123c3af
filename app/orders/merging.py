"""A merge of two members moves the merged one's orders to the kept one."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.members import merge
from app.orders.models import Order
from app.outbox import services as outbox


@merge.previewing.connect
def _count(merged, **_) -> dict[str, int]:
    return {"orders": db.session.scalar(select(func.count(Order.id)).where(Order.member_id == merged.id)) or 0}


@outbox.signal("member.merged").connect
def _move(event, kept, merged, moved, **_) -> None:
    statement = update(Order).where(Order.member_id == merged.id).values(member_id=kept.id)
    moved["orders"] = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
