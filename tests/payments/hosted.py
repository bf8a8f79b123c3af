"""Paying by card the way a shopper does: on the provider's page, then the provider's notification.

``pay_by_card`` drives the sandbox provider's hosted page with the Flask test client (the
card is typed there, never sent to our routes) and, unless told not to, lets the provider
send its signed notification to our notify endpoint (what its job-runner task does).
``checkout_by_card`` is a whole card checkout: the checkout, the page, the notification, and
the same checkout asked again, which answers as the old one-call card checkout did (201 with
the paid order, 402 after a decline).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from tests.conftest import csrf_from

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NO_FUNDS = "4000 0000 0000 9995"
PROCESSING_ERROR = "4000 0000 0000 0119"


def path_of(url: str) -> str:
    """A URL's path and query, for the test client (which serves every host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def deliver_notifications() -> int:
    """The provider sends the notifications it owes (its job-runner task); returns how many it tried."""
    from app.payments.sandbox_provider import notify

    return notify.deliver_due()


def pay_on_page(client, redirect_url: str, card: str = VISA):
    """Type ``card`` on the provider's page at ``redirect_url``; the provider's answer (303 back to us on a charge).

    A page with no card form (paid, declined or closed already) is answered as it is shown.
    """
    page = client.get(path_of(redirect_url))
    assert page.status_code == 200, page.text
    if 'name="card_number"' not in page.text:
        return page
    return client.post(path_of(redirect_url), data={"card_number": card, "csrf_token": csrf_from(page.text)})


def pay_by_card(client, answer, card: str = VISA, *, deliver: bool = True):
    """Pay a pending card answer (a checkout's or a top-up's) on the provider's page; the provider's answer.

    ``deliver=False`` leaves the notification unsent (a lost notification).
    """
    body = answer.get_json()
    assert answer.status_code == 201, body
    action = body["next_action"]
    assert action and action["type"] == "redirect", body
    paid = pay_on_page(client, action["redirect_url"], card)
    if deliver:
        deliver_notifications()
    return paid


def come_back(client, paid):
    """Follow the provider's redirect to our return page; our answer (303 to the receipt once paid)."""
    assert paid.status_code == 303, paid.text
    return client.get(path_of(paid.headers["Location"]))


def checkout_body(points: int = 0, fulfilment: list | None = None) -> dict:
    body: dict = {"payment": {"method": "card"}}
    if points:
        body["points"] = points
    if fulfilment:
        body["fulfilment"] = fulfilment
    return body


def checkout_by_card(
    client,
    cart_id: str,
    card: str = VISA,
    *,
    key: str | None = None,
    headers: dict | None = None,
    points: int = 0,
    fulfilment: list | None = None,
    deliver: bool = True,
):
    """Check a cart out by card and pay on the provider's page; the checkout's answer once the provider has spoken.

    An answer that is not a pending card order (a 409, a 402 replay, a bad request) is returned as it is.
    """
    key = key or uuid.uuid4().hex
    url = f"/api/v1/carts/{cart_id}/checkout"
    sent = {"Idempotency-Key": key, **(headers or {})}
    body = checkout_body(points, fulfilment)
    first = client.post(url, json=body, headers=sent)
    if first.status_code != 201 or first.get_json()["status"] != "pending_payment":
        return first
    pay_by_card(client, first, card, deliver=deliver)
    return client.post(url, json=body, headers=sent)


def top_up_by_card(member, amount: int, card: str = VISA, reference: str | None = None):
    """A wallet top-up as the member makes it: started, paid on the provider's page, notified; its wallet entry.

    None when the card was declined or failed (nothing credited). Commits, as the requests do.
    """
    from flask import current_app

    from app.extensions import db
    from app.payments import services, topups

    reference = reference or f"topup-{uuid.uuid4().hex[:12]}"
    payment = topups.top_up(member, amount, reference)
    db.session.commit()
    if payment.status == "pending" and payment.action_url:
        pay_on_page(current_app.test_client(), payment.action_url, card)
        deliver_notifications()
    db.session.rollback()
    return topups.topup_entry(services.payment_by_reference(reference))


def pay_order_by_card(order, card: str = VISA):
    """A checked-out card order paid as its shopper pays it: created at the provider, paid on its page, notified.

    Commits, as the requests do; returns the order as it stands after.
    """
    from flask import current_app

    from app.db import begin_write
    from app.extensions import db
    from app.orders import card as card_phase
    from app.orders.models import Order
    from app.payments import services

    order_id = order.id
    db.session.rollback()
    begin_write(db.session)
    card_phase.start_card_payment(db.session.get(Order, order_id))
    db.session.commit()
    payment = services.get_payment(db.session.get(Order, order_id).payment_id)
    if payment.status == "pending" and payment.action_url:
        pay_on_page(current_app.test_client(), payment.action_url, card)
        _delivered(payment.reference)
    db.session.rollback()
    return db.session.get(Order, order_id)


def _delivered(reference: str, seconds: float = 30.0) -> None:
    """Send notifications until the ones about ``reference`` arrived (another sender may hold one a moment)."""
    import time

    from app.payments.sandbox_provider import store

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deliver_notifications()
        if all(n["delivered_at"] is not None for n in store.notifications_of(reference)):
            return
        time.sleep(0.02)


# ---- against a live server: over HTTP, and in a browser ------------------------------------


def pay_with_requests(session, redirect_url: str, card: str = VISA):
    """With a ``requests.Session``: pay on the provider's page, then come back to our return page; its answer."""
    page = session.get(redirect_url, timeout=30)
    assert page.status_code == 200, page.text
    form = {"card_number": card, "csrf_token": csrf_from(page.text)}
    paid = session.post(redirect_url, data=form, timeout=30, allow_redirects=False)
    assert paid.status_code == 303, paid.text
    return session.get(paid.headers["Location"], timeout=30, allow_redirects=False)


def pay_with_playwright(request, redirect_url: str, card: str = VISA):
    """With a Playwright ``APIRequestContext`` (a page's cookies): pay on the provider's page and come back."""
    page = request.get(redirect_url)
    assert page.status == 200, page.text()
    form = {"card_number": card, "csrf_token": csrf_from(page.text())}
    paid = request.post(redirect_url, form=form, max_redirects=0)
    assert paid.status == 303, paid.text()
    return request.get(paid.headers["location"], max_redirects=0)


def pay_in_browser(page, card: str = VISA) -> None:
    """In a browser sent to the provider's page: type the card there and pay (back to our pages after)."""
    import re

    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/sandbox-pay/pay/"))
    page.get_by_label("Card number").fill(card)
    page.locator("[data-card-form] button[type=submit]").click()
