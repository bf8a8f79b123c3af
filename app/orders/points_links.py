"""The order numbers a member's points history links to (the members domain knows only order ids)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.members import points
from app.orders.models import Order


@points.order_numbers.connect
def _numbers(order_ids: set[int], **_) -> dict[int, str]:
    """{order id: number} of the orders a points history names."""
    return dict(db.session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all())
