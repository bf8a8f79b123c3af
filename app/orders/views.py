"""How an order looks to its shopper, to staff and to the API."""

from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import Location
from app.extensions import db
from app.money import format_money
from app.orders import passes
from app.orders.models import Order
from app.payments import services as payments


def order_json(order: Order, *, with_pass: bool = True) -> dict:
    """An order; ``with_pass`` adds the exit pass token (for its shopper only)."""
    payment = payments.get_payment(order.payment_id) if order.payment_id else None
    exit_pass = passes.pass_of(order) if with_pass else None
    wanted = {order.location_id, *(line.location_id for line in order.lines)}
    places = dict(db.session.execute(select(Location.id, Location.code).where(Location.id.in_(wanted))).all())
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "location": places.get(order.location_id),
        "member": order.member_id,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "qty": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
                "location": places.get(line.location_id),
            }
            for line in order.lines
        ],
        "currency": order.currency,
        "subtotal": order.subtotal,
        "discount": order.discount,
        "total": order.total,
        "total_text": format_money(order.total, order.currency),
        "refunded_amount": order.refunded_amount,
        "points_redeemed": order.points_redeemed,
        "points_earned": order.points_earned,
        "payment": {
            "method": order.payment_method,
            "status": payment.status if payment else None,
            "card_last4": payment.card_last4 if payment else None,
        },
        "exit_pass": (
            {"token": passes.token_of(order), "used_at": exit_pass.used_at} if exit_pass is not None else None
        ),
        "created_at": order.created_at,
        "paid_at": order.paid_at,
    }
