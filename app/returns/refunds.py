"""What a return gives back: money to the way the order was paid, and points. Functions flush.

The money for a returned unit is its unit price, less its share of the order's points
discount: a return worth a fifth of the order's subtotal gives back a fifth of the discount
(rounded down), so a shopper who paid part of the order with points gets cash back only for
the part paid in cash and the points for the rest. Points earned on the order are taken back
in proportion to the money refunded (never below zero: points already spent stay spent).
When a return brings back the order's last units, it gives back exactly what is left of the
money and of the points, so rounding never leaves a fen or a point behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.members import services as members
from app.orders import services as orders
from app.orders.models import Order
from app.returns.models import Return

# What the shopper is told about where the money went, by the way the order was paid.
REFUND_HOW = {
    "wallet": "back to the wallet",
    "card": "back to the card it was paid with",
    "counter": "in cash at the counter",
}


@dataclass(frozen=True)
class Settlement:
    """What one return gives back and takes back."""

    amount: int
    points_given: int
    points_taken: int


def _given_before(order: Order) -> tuple[int, int]:
    """Points already given back and taken back by the order's refunded returns."""
    given, taken = db.session.execute(
        select(func.coalesce(func.sum(Return.points_given), 0), func.coalesce(func.sum(Return.points_taken), 0)).where(
            Return.order_id == order.id, Return.status == "refunded"
        )
    ).one()
    return int(given), int(taken)


def settle(order: Order, gross: int, last_units: bool) -> Settlement:
    """The money and points for returned units worth ``gross`` at their unit prices."""
    left = order.total - order.refunded_amount
    given_before, taken_before = _given_before(order)
    if last_units:
        amount = left
        points_given = order.points_redeemed - given_before
        points_taken = order.points_earned - taken_before
    else:
        share = gross * order.discount // order.subtotal if order.subtotal else 0
        amount = min(gross - share, left)
        points_given = order.points_redeemed * gross // order.subtotal if order.subtotal else 0
        points_taken = order.points_earned * amount // order.total if order.total else 0
    return Settlement(max(amount, 0), max(points_given, 0), max(points_taken, 0))


def pay_back(ret: Return, order: Order, settlement: Settlement) -> Return:
    """Refund the money through the order, take back earned points, give back spent ones."""
    if settlement.amount:
        orders.refund_order(order, settlement.amount)
    taken = 0
    if order.member_id is not None:
        taken = members.take_points(order.member_id, settlement.points_taken, order_id=order.id, return_id=ret.id)
        members.add_points(
            order.member_id, settlement.points_given, kind="given_back", order_id=order.id, return_id=ret.id
        )
    ret.refund_amount = settlement.amount
    ret.points_taken = taken
    ret.points_given = settlement.points_given if order.member_id is not None else 0
    return ret
