"""A card order whose provider's word was lost (a crash, a notification that never came): the order and the payment end up agreeing."""

from __future__ import annotations

import uuid

from app.carts.models import Cart
from app.orders import services
from app.orders.models import Order
from app.payments import gateway
from app.payments import services as payments
from app.stock import services as stock
from tests.orders.conftest import fill_cart


def pending_card_order(db, client, label, qty=1) -> Order:
    """What a crash leaves: the order recorded as pending_payment, its units held, nothing recorded of the charge."""
    cart = db.session.get(Cart, fill_cart(client, label, qty=qty))
    order, _ = services.checkout(cart, key=uuid.uuid4().hex, request_hash="h", payment={"method": "card"})
    db.session.commit()
    return order


def charged_by_gateway(db, order: Order) -> None:
    """The provider took the money; its notification never reached us."""
    payment = payments.get_payment(order.payment_id)
    gateway.record_charge(payment.reference, payment.amount, payment.currency, "4242", "captured", None)
    db.session.rollback()


def test_charged_then_cut_off_completes_the_order(db, client, shelf, store):
    product, label = shelf
    order = pending_card_order(db, client, label, qty=2)
    charged_by_gateway(db, order)
    services.settle_pending(db.session.get(Order, order.id))
    db.session.commit()
    db.session.expire_all()
    assert order.status == "paid" and payments.get_payment(order.payment_id).status == "captured"
    level = stock.level_of(product, store)
    assert (level.on_hand, level.reserved) == (3, 0)


def test_cut_off_before_the_charge_cancels_and_gives_the_basket_back(app, db, client, shelf, store):
    product, label = shelf
    order = pending_card_order(db, client, label)
    services.settle_pending(db.session.get(Order, order.id))
    db.session.commit()
    assert db.session.get(Order, order.id).status == "pending_payment"  # the shopper may still be paying
    app.config["CARD_PAYMENT_MINUTES"] = 0  # the provider's page has closed
    services.settle_pending(db.session.get(Order, order.id))
    db.session.commit()
    db.session.expire_all()
    assert order.status == "cancelled" and payments.get_payment(order.payment_id).status == "cancelled"
    assert gateway.find_charge(payments.get_payment(order.payment_id).reference) is None
    assert db.session.get(Cart, order.cart_id).status == "open"
    assert stock.level_of(product, store).reserved == 1  # still held for the shopper


def test_charged_but_the_units_are_gone_refunds_the_charge(db, client, shelf, store):
    from app.stock.models import StockReservation

    product, label = shelf
    order = pending_card_order(db, client, label, qty=2)
    charged_by_gateway(db, order)
    # Long after: the holds ran out and the units were sold at the till.
    for hold in db.session.query(StockReservation):
        hold.expires_at = hold.created_at
    db.session.commit()
    from app.stock import reservations

    reservations.expire_due()
    stock.record_movement(product, store, "sale", -5, actor="till")
    db.session.commit()
    services.settle_pending(db.session.get(Order, order.id))
    db.session.commit()
    db.session.expire_all()
    payment = payments.get_payment(order.payment_id)
    assert order.status == "cancelled" and payment.status == "refunded"
    assert gateway.find_charge(payment.reference).refunded_amount == order.total
    assert stock.level_of(product, store).on_hand == 0  # nothing sold twice
