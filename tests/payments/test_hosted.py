"""Card payments hosted by the provider: its page, its signed notification, our status query."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.models import Payment, PaymentNotification
from app.payments.sandbox_provider import notify
from app.payments.sandbox_provider import store as provider_store
from tests.conftest import csrf_from
from tests.orders.conftest import fill_cart
from tests.payments.conftest import both
from tests.payments.hosted import (
    DECLINED,
    VISA,
    checkout_body,
    checkout_by_card,
    come_back,
    deliver_notifications,
    path_of,
    pay_by_card,
)

NOTIFY = "/api/v1/payments/notifications/sandbox"


def _count(db, model, **where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def _checkout(client, cart_id, key="card-1", headers=None):
    return client.post(
        f"/api/v1/carts/{cart_id}/checkout", json=checkout_body(), headers={"Idempotency-Key": key, **(headers or {})}
    )


def _order(db, number) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).filter_by(number=number))


def _owed(reference) -> list[dict]:
    return provider_store.notifications_of(reference)


def test_checkout_answers_pending_with_the_providers_page_and_a_qr(db, client, shelf, app):
    _, label = shelf
    cart_id = fill_cart(client, label)
    answer = _checkout(client, cart_id)
    assert answer.status_code == 201, answer.text
    order = answer.get_json()
    assert order["status"] == "pending_payment" and order["payment"]["status"] == "pending"
    action = order["next_action"]
    assert action["type"] == "redirect"
    assert action["redirect_url"].startswith(app.config["SANDBOX_PAY_URL"] + "/pay/sbx_pay_")
    assert action["qr_svg"].startswith("<svg")  # for a kiosk to show the shopper's phone
    page = client.get(path_of(action["redirect_url"]))
    assert page.status_code == 200 and "CN¥68.00" in page.text and f"Order {order['number']}" in page.text
    assert "4242 4242 4242 4242" in page.text  # SANDBOX_PAYMENTS is on in the tests
    # A retry of the checkout is the same order and the same payment at the provider: the same page.
    replay = _checkout(client, cart_id)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["next_action"]["redirect_url"] == action["redirect_url"]
    assert _count(db, Order) == 1 and _count(db, Payment) == 1


def test_no_test_card_hints_when_sandbox_payments_are_off(db, client, shelf, app):
    _, label = shelf
    action = _checkout(client, fill_cart(client, label)).get_json()["next_action"]
    app.config["SANDBOX_PAYMENTS"] = False
    page = client.get(path_of(action["redirect_url"]))
    assert page.status_code == 200 and "Card number" in page.text and "4242" not in page.text


def test_a_card_number_sent_to_us_is_refused(db, client, shelf):
    _, label = shelf
    cart_id = fill_cart(client, label)
    refused = client.post(
        f"/api/v1/carts/{cart_id}/checkout",
        json={"payment": {"method": "card", "card_number": VISA}},
        headers={"Idempotency-Key": "k"},
    )
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "card_number_not_accepted" and "provider's page" in error["message"]
    assert _count(db, Order) == 0


def test_paid_on_the_page_and_notified_the_order_is_paid(db, client, shelf):
    _, label = shelf
    answer = _checkout(client, fill_cart(client, label, qty=2))
    number = answer.get_json()["number"]
    paid = pay_by_card(client, answer, deliver=False)
    assert paid.status_code == 303 and path_of(paid.headers["Location"]) == f"/payments/return/order-{number}"
    assert _order(db, number).status == "pending_payment"  # nothing heard yet
    assert deliver_notifications() == 1
    order = _order(db, number)
    assert order.status == "paid" and order.paid_at is not None
    payment = db.session.get(Payment, order.payment_id)
    assert (payment.status, payment.card_last4) == ("captured", "4242")
    assert [n["delivered_at"] is not None for n in _owed(f"order-{number}")] == [True]
    back = come_back(client, paid)
    assert back.status_code == 303 and path_of(back.headers["Location"]) == f"/orders/{number}"
    assert _count(db, OutboxEvent, type="order.paid") == 1


@both
def test_a_replayed_notification_is_recorded_once(app, db, client, shelf):
    _, label = shelf
    answer = _checkout(client, fill_cart(client, label))
    number = answer.get_json()["number"]
    pay_by_card(client, answer)
    sent = _owed(f"order-{number}")[0]
    body = sent["body"].encode()
    again = client.post(NOTIFY, data=body, headers={notify.HEADER: notify.sign(body)})
    assert (again.status_code, again.text) == (200, "success")
    assert _count(db, PaymentNotification) == 1
    assert _count(db, OutboxEvent, type="order.paid") == 1
    assert _count(db, OutboxEvent, type="payment.captured") == 1
    assert _order(db, number).status == "paid"


@both
@pytest.mark.parametrize("how", ["unsigned", "tampered", "wrong_secret"])
def test_a_tampered_or_unsigned_notification_is_refused_and_writes_nothing(app, db, client, shelf, how):
    _, label = shelf
    answer = _checkout(client, fill_cart(client, label))
    number = answer.get_json()["number"]
    pay_by_card(client, answer, deliver=False)
    body = _owed(f"order-{number}")[0]["body"].encode()
    headers = {notify.HEADER: notify.sign(body)}
    if how == "unsigned":
        headers = {}
    elif how == "tampered":
        data = json.loads(body)
        data["amount"] = 1
        body = json.dumps(data).encode()
    else:
        headers = {notify.HEADER: "0" * 64}
    refused = client.post(NOTIFY, data=body, headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == ("unsigned_notification" if how == "unsigned" else "bad_signature")
    assert _count(db, PaymentNotification) == 0
    assert _order(db, number).status == "pending_payment"


def test_an_unreadable_signed_notification_is_a_400(db, client):
    body = b'{"notify_id": "x"}'
    refused = client.post(NOTIFY, data=body, headers={notify.HEADER: notify.sign(body)})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "bad_notification"
    assert _count(db, PaymentNotification) == 0


def test_an_unknown_provider_is_a_404(db, client):
    assert client.post("/api/v1/payments/notifications/nobody", data=b"{}").status_code == 404


@both
def test_a_lost_notification_is_recovered_by_the_return_page(app, db, client, shelf):
    _, label = shelf
    answer = _checkout(client, fill_cart(client, label))
    number = answer.get_json()["number"]
    paid = pay_by_card(client, answer, deliver=False)
    back = come_back(client, paid)  # our page asks the provider's query API
    assert back.status_code == 303 and path_of(back.headers["Location"]) == f"/orders/{number}"
    assert _order(db, number).status == "paid"
    # The notification that comes late changes nothing.
    deliver_notifications()
    assert _count(db, OutboxEvent, type="order.paid") == 1
    assert _count(db, PaymentNotification, outcome="already_captured") == 1


def test_a_lost_notification_is_recovered_by_the_periodic_settle(app, db, client, shelf):
    from app.orders.tasks import settle_pending_card_orders

    _, label = shelf
    answer = _checkout(client, fill_cart(client, label))
    number = answer.get_json()["number"]
    pay_by_card(client, answer, deliver=False)
    app.config["PENDING_SETTLE_SECONDS"] = 0
    assert settle_pending_card_orders.call_local() == 1
    assert _order(db, number).status == "paid"


def test_an_unpaid_page_is_closed_and_the_order_given_up_when_its_time_is_over(app, db, client, shelf):
    from app.orders.tasks import settle_pending_card_orders

    _, label = shelf
    cart_id = fill_cart(client, label)
    answer = _checkout(client, cart_id)
    number = answer.get_json()["number"]
    app.config["PENDING_SETTLE_SECONDS"] = 0
    assert settle_pending_card_orders.call_local() == 0  # the shopper may still be on the page
    app.config["CARD_PAYMENT_MINUTES"] = 0
    assert settle_pending_card_orders.call_local() == 1
    assert _order(db, number).status == "cancelled"
    assert client.get(f"/api/v1/carts/{cart_id}").get_json()["status"] == "open"
    page_url = path_of(answer.get_json()["next_action"]["redirect_url"])
    page = client.get(page_url)
    assert "This payment is closed" in page.text and "Card number" not in page.text
    late = client.post(
        page_url, data={"card_number": VISA, "csrf_token": csrf_from(client.get("/account/signin").text)}
    )
    assert late.status_code == 409 and "closed" in late.text


def test_a_declined_card_is_shown_on_the_page_and_the_basket_opens_again(db, client, shelf, store):
    from app.stock import services as stock

    product, label = shelf
    cart_id = fill_cart(client, label, qty=2)
    key = uuid.uuid4().hex
    answer = _checkout(client, cart_id, key=key)
    number = answer.get_json()["number"]
    declined = pay_by_card(client, answer, DECLINED)
    assert declined.status_code == 200 and "The card was declined; try another card." in declined.text
    assert _order(db, number).status == "cancelled"
    assert client.get(f"/api/v1/carts/{cart_id}").get_json()["status"] == "open"
    db.session.rollback()
    assert stock.level_of(product, store).reserved == 2  # the units stay with the reopened basket
    replay = _checkout(client, cart_id, key=key)
    assert replay.status_code == 402 and replay.get_json()["error"]["code"] == "card_declined"
    back = client.get(f"/payments/return/order-{number}")
    assert back.status_code == 200 and "declined" in back.text and "Back to your basket" in back.text
    # Another card, a new checkout: paid.
    assert checkout_by_card(client, cart_id).get_json()["status"] == "paid"
