"""Paying an order by card on the provider's page: start it, follow the provider's word, bring the shopper back.

The order is recorded ``pending_payment`` (its units held) and committed; then the payment
is created at the provider (``start_card_payment``) and the shopper is sent to its page. The
provider's notification, or our query when it does not come (the shopper's return, the
periodic ``settle_pending``), records ``payment.captured`` or ``payment.declined``; the
reactions here pay the order (exit pass, points, events) or cancel it with the basket as it
was. Functions flush, callers commit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select

from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from app.orders import services
from app.orders.models import Order
from app.outbox import services as outbox
from app.payments import hosted
from app.payments import services as payments
from app.payments.models import CHARGED, Payment


def needs_hosted_payment(order: Order) -> bool:
    """A card order whose payment is not created at the provider yet (new, or a crash before it was)."""
    if order.status != "pending_payment" or order.payment_method != "card" or order.payment_id is None:
        return False
    payment = payments.get_payment(order.payment_id)
    return payment.status == "pending" and not payment.action_url


def start_card_payment(order: Order) -> Order:
    """Create the order's payment at the provider (its page for the shopper); a retry finds the same one."""
    payment = payments.get_payment(order.payment_id)
    hosted.start_hosted(payment, f"Order {order.number}")
    if payment.status in (*CHARGED, "declined"):
        follow(order, payment)  # the provider had settled it already (a retry after a lost answer)
    return order


def next_action(order: Order) -> dict | None:
    """Where the shopper pays a pending card order: the provider's page (and its QR, for a kiosk)."""
    if order.status != "pending_payment" or order.payment_method != "card" or order.payment_id is None:
        return None
    return hosted.next_action(payments.get_payment(order.payment_id))


def follow(order: Order, payment: Payment) -> Order:
    """Make a pending order agree with its payment: paid when charged, cancelled (basket as it was) otherwise."""
    if order.status != "pending_payment":
        return order
    if payment.status in CHARGED:
        try:
            with db.session.begin_nested():
                services.complete(order)
        except Conflict:
            # Charged, but the units were sold meanwhile: give the money back.
            payments.refund(payment)
            services.cancel(order, reopen_cart=False)
    elif payment.status in ("declined", "cancelled"):
        services.cancel(order, reopen_cart=True)
    return order


def _order_of(payment: Payment) -> Order | None:
    """The order an order payment pays (None for a top-up)."""
    if payment.purpose != "order":
        return None
    return db.session.scalar(select(Order).where(Order.payment_id == payment.id))


@outbox.signal("payment.captured").connect
def _paid(event, payment: Payment, **_: object) -> None:
    """The provider took the money for an order: the order is paid."""
    order = _order_of(payment)
    if order is not None:
        follow(order, payment)


@outbox.signal("payment.declined").connect
def _declined(event, payment: Payment, **_: object) -> None:
    """The provider declined an order's card: the order is cancelled and its basket opens again."""
    order = _order_of(payment)
    if order is not None:
        follow(order, payment)


@hosted.returning.connect
def _back_to_order(payment: Payment) -> str | None:
    """A shopper back from paying an order: its receipt, or the basket again after a decline."""
    order = _order_of(payment)
    if order is None:
        return None
    if order.status == "cancelled":
        return url_for("orders.basket_page")
    return url_for("orders.receipt_page", number=order.number)


def settle_pending(order: Order) -> Order:
    """A card order still pending: ask the provider (a lost notification); give it up once its page has closed."""
    if order.status != "pending_payment" or order.payment_id is None:
        return order
    payment = payments.get_payment(order.payment_id)
    payments.reconcile(payment)
    follow(order, payment)  # also an order whose payment was settled before a crash
    minutes = current_app.config["CARD_PAYMENT_MINUTES"]
    if order.status == "pending_payment" and order.created_at <= utcnow() - timedelta(minutes=minutes):
        # Closed at the provider first (cancel_payment), so it cannot be paid after we gave it up.
        payments.cancel_payment(payment)
        services.cancel(order, reopen_cart=True)
    return order
