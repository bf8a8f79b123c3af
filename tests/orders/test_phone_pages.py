"""The shopper's phone pages: basket, receipt with the exit pass, my orders, wallet."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from app.carts.models import Cart
from app.labels.qr import qr_svg
from app.orders import services as orders
from app.orders.passes import token_of
from app.stock import services as stock
from tests.orders.conftest import GOOD_CARD, fill_cart, pay
from tests.payments.hosted import checkout_by_card, top_up_by_card

CART_COOKIE = "oneshelf_cart"


def guest_with_cart(client, label, qty=1) -> str:
    """A guest's phone that put ``qty`` in a basket, remembering the cart as the page script does."""
    cart_id = fill_cart(client, label, qty=qty)
    client.set_cookie(CART_COOKIE, cart_id)
    return cart_id


def topped_up(db, member, amount=20000):
    top_up_by_card(member, amount, GOOD_CARD, f"test-topup-{uuid.uuid4().hex}")
    db.session.commit()


def page_csrf(html: str) -> str:
    """The CSRF token the page script sends (the basket page keeps it in data-csrf)."""
    found = re.search(r'data-csrf="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def adopt(phone):
    token = page_csrf(phone.get("/basket").text)
    return phone.post("/basket/adopt", headers={"X-CSRFToken": token, "Accept": "application/json"})


def sign_in(client, login):
    response = client.post("/api/v1/session", json={"login": login, "password": "long-password"})
    assert response.status_code == 200, response.text


# ---- basket ----------------------------------------------------------------------------


def test_an_empty_basket_says_what_to_do(client):
    page = client.get("/basket")
    assert page.status_code == 200
    assert "Your basket is empty." in page.text and "shelf label" in page.text
    assert 'name="viewport"' in page.text


def test_a_members_basket_shows_its_lines_wallet_and_points(db, shopper, shelf):
    phone, member, headers = shopper
    _, label = shelf
    fill_cart(phone, label, qty=2, headers=headers)
    topped_up(db, member, 10000)
    member.points = 250
    db.session.commit()
    page = phone.get("/basket")
    assert page.status_code == 200
    assert "Jasmine Pearls" in page.text and "CN¥136.00" in page.text  # the cart, as the page script shows it
    assert "2 items" in page.text
    assert "Balance <strong data-wallet-balance>CN¥100.00</strong>" in page.text
    assert "<strong data-points-balance>250</strong> points" in page.text
    # The card is typed on the card provider's page, never on ours.
    assert "You type the card on the card provider's page" in page.text and 'name="card_number"' not in page.text
    assert "Your basket is empty." in page.text  # there, but hidden while the basket is filled
    assert re.search(r'class="basket-empty" data-basket-empty\s+hidden', page.text)


def test_a_guests_basket_comes_from_the_cart_cookie(client, shelf):
    _, label = shelf
    guest_with_cart(client, label)
    page = client.get("/basket")
    assert "Jasmine Pearls" in page.text
    assert "to pay with your wallet" in page.text and "to earn points on this order" in page.text
    assert re.search(r'value="wallet"\s+disabled', page.text)


def test_a_paid_guest_basket_is_forgotten(client, shelf):
    _, label = shelf
    cart_id = guest_with_cart(client, label)
    assert checkout_by_card(client, cart_id, GOOD_CARD).status_code == 201
    page = client.get("/basket")
    assert "Jasmine Pearls" not in page.text
    assert re.search(rf"{CART_COOKIE}=; .*Max-Age=0", page.headers["Set-Cookie"])


def test_signing_in_keeps_what_the_guest_put_in_the_basket(db, client, shelf, store, make_member):
    product, label = shelf
    member = make_member(login="mei@example.com")
    guest_cart = guest_with_cart(client, label, qty=2)
    sign_in(client, "mei@example.com")
    assert f'"adopt": "{guest_cart}"' in client.get("/basket").text
    moved = adopt(client)
    assert moved.status_code == 200, moved.text
    body = moved.get_json()
    assert body["moved"] == ["Jasmine Pearls"] and body["left_out"] == []
    assert body["cart"]["member"] == member.id
    assert [(x["sku"], x["qty"], x["held"]) for x in body["cart"]["lines"]] == [(product.sku, 2, True)]
    assert re.search(rf"{CART_COOKIE}=; .*Max-Age=0", moved.headers["Set-Cookie"])
    db.session.expire_all()
    assert db.session.get(Cart, guest_cart).status == "merged"
    assert stock.level_of(product, store).reserved == 2  # the same two units, held once
    page = client.get("/basket")
    assert "Jasmine Pearls" in page.text and '"adopt": null' in page.text


def test_a_guest_line_that_cannot_be_held_any_more_is_left_out_and_said(db, client, shelf, store, make_member):
    from app.stock import reservations
    from app.stock.models import StockReservation

    product, label = shelf
    make_member(login="mei@example.com")
    guest_with_cart(client, label, qty=2)
    for hold in db.session.scalars(select(StockReservation)):
        hold.expires_at = hold.expires_at.replace(year=2000)
    db.session.commit()
    reservations.expire_due()
    stock.record_movement(product, store, "sale", -5, actor="till")  # sold at the till meanwhile
    db.session.commit()
    sign_in(client, "mei@example.com")
    body = adopt(client).get_json()
    assert body["moved"] == []
    assert body["left_out"][0]["name"] == "Jasmine Pearls" and "available" in body["left_out"][0]["message"]
    assert body["cart"]["lines"] == []


def test_adopting_needs_a_member_and_the_csrf_token(client, shelf):
    _, label = shelf
    guest_with_cart(client, label)
    token = page_csrf(client.get("/basket").text)
    refused = client.post("/basket/adopt", headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert refused.status_code == 401
    assert client.post("/basket/adopt", headers={"Accept": "application/json"}).status_code == 400


# ---- product page ----------------------------------------------------------------------


def test_the_product_page_adds_to_the_basket(client, shelf):
    _, label = shelf
    page = client.get(f"/q/{label.code}")
    assert "Add to basket" in page.text and f'data-code="{label.code}"' in page.text
    assert 'href="/basket"' in page.text and "js/basket-add.js" in page.text


# ---- receipts --------------------------------------------------------------------------


def test_a_paid_receipt_shows_the_exit_pass_to_its_member_only(db, app, shopper, shelf, member_client):
    phone, member, headers = shopper
    _, label = shelf
    topped_up(db, member)
    cart_id = fill_cart(phone, label, qty=2, headers=headers)
    order = pay(phone, cart_id, {"method": "wallet"}, headers=headers).get_json()
    page = phone.get(f"/orders/{order['number']}")
    assert page.status_code == 200
    token = order["exit_pass"]["token"]
    assert qr_svg(token) in page.text and "Show this at the exit" in page.text
    for text in ("2 ×", "Jasmine Pearls", "CN¥136.00", "Paid with", "Wallet", "Points earned", "+136"):
        assert text in page.text
    # Someone else, signed in or not, is told there is no such receipt.
    other, _ = member_client(login="other@example.com")
    refused = other.get(f"/orders/{order['number']}")
    assert refused.status_code == 404 and "We could not find that receipt" in refused.text
    assert token not in refused.text
    stranger = app.test_client().get(f"/orders/{order['number']}")
    assert stranger.status_code == 404 and "Sign in" in stranger.text
    assert phone.get("/orders/NOSUCH22").status_code == 404


def test_a_guest_sees_their_own_receipt_and_keeps_it(db, app, client, shelf, make_member):
    _, label = shelf
    cart_id = guest_with_cart(client, label)
    order = checkout_by_card(client, cart_id, GOOD_CARD).get_json()
    page = client.get(f"/orders/{order['number']}")
    assert page.status_code == 200
    assert qr_svg(order["exit_pass"]["token"]) in page.text and "Card ending 4242" in page.text
    assert "oneshelf_receipts=" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]
    # The basket cookie goes with the next basket; the receipt stays, also after joining.
    client.delete_cookie(CART_COOKIE)
    assert client.get(f"/orders/{order['number']}").status_code == 200
    make_member(login="mei@example.com")
    sign_in(client, "mei@example.com")
    assert client.get(f"/orders/{order['number']}").status_code == 200
    # Another phone, or a forged list, sees nothing.
    assert app.test_client().get(f"/orders/{order['number']}").status_code == 404
    forger = app.test_client()
    forger.set_cookie("oneshelf_receipts", f'["{order["number"]}"]')
    assert forger.get(f"/orders/{order['number']}").status_code == 404


def test_pay_at_the_counter_shows_the_number_then_the_exit_pass_then_when_it_was_used(db, client, shelf, clerk_headers):
    _, label = shelf
    cart_id = guest_with_cart(client, label)
    order = pay(client, cart_id, {"method": "counter"}).get_json()
    number = order["number"]
    waiting = client.get(f"/orders/{number}")
    assert "Show this at the counter" in waiting.text and qr_svg(number) in waiting.text
    assert "At the counter (not paid yet)" in waiting.text
    assert client.get(f"/orders/{number}/status").get_json() == {"status": "awaiting_counter", "exit_pass_used": False}

    paid = client.post(f"/api/v1/orders/{number}/counter-payment", json={"how": "cash"}, headers=clerk_headers)
    assert paid.status_code == 200
    page = client.get(f"/orders/{number}")
    token = token_of(orders.get_order(number))
    assert "Show this at the exit" in page.text and qr_svg(token) in page.text

    assert client.post("/api/v1/exit-passes/use", json={"code": token}, headers=clerk_headers).status_code == 200
    after = client.get(f"/orders/{number}")
    assert re.search(r"Used at the exit at \d\d:\d\d", after.text)
    assert "Show this at the exit" not in after.text
    assert client.get(f"/orders/{number}/status").get_json() == {"status": "paid", "exit_pass_used": True}


def test_the_status_of_someone_elses_order_is_not_told(app, client, shelf):
    _, label = shelf
    cart_id = guest_with_cart(client, label)
    number = pay(client, cart_id, {"method": "counter"}).get_json()["number"]
    other = app.test_client().get(f"/orders/{number}/status", headers={"Accept": "application/json"})
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "order_not_found"


# ---- my orders -------------------------------------------------------------------------


def test_my_orders_lists_every_channel_newest_first(db, shopper, shelf):
    phone, member, headers = shopper
    _, label = shelf
    topped_up(db, member)
    first = pay(phone, fill_cart(phone, label, headers=headers), {"method": "wallet"}, headers=headers).get_json()
    kiosk_cart = db.session.get(Cart, fill_cart(phone, label, headers=headers))
    second, _ = orders.checkout(
        kiosk_cart, key="kiosk-1", request_hash="x", payment={"method": "counter"}, channel="kiosk"
    )
    db.session.commit()
    page = phone.get("/orders")
    assert page.status_code == 200
    assert page.text.index(f"Order {second.number}") < page.text.index(f"Order {first['number']}")
    assert "Kiosk" in page.text and "Phone" in page.text
    assert "Pay at the counter" in page.text and "Paid" in page.text
    assert f'href="/orders/{first["number"]}"' in page.text


def test_my_orders_and_wallet_need_signing_in(client):
    for path in ("/orders", "/account/wallet"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/signin" in response.headers["Location"]


def test_no_orders_yet(member_client):
    phone, _ = member_client()
    assert "No orders yet." in phone.get("/orders").text


# ---- wallet ----------------------------------------------------------------------------


def test_the_wallet_shows_the_balance_entries_and_a_top_up_form(db, shopper, shelf):
    phone, member, headers = shopper
    _, label = shelf
    topped_up(db, member, 10000)
    order = pay(phone, fill_cart(phone, label, headers=headers), {"method": "wallet"}, headers=headers).get_json()
    page = phone.get("/account/wallet?next=/basket")
    assert page.status_code == 200
    assert "Balance <strong data-balance>CN¥32.00</strong>" in page.text
    assert "Top-up" in page.text and "+CN¥100.00" in page.text
    assert f"Order {order['number']}" in page.text and "-CN¥68.00" in page.text
    assert "Amount (CN¥)" in page.text and 'name="card_number"' not in page.text
    assert "You type the card on the card provider's page" in page.text
    assert "Back to your basket" in page.text
    assert "data-back" not in phone.get("/account/wallet?next=//evil.example/basket").text


def test_the_account_page_links_to_basket_orders_and_wallet(member_client):
    phone, _ = member_client()
    page = phone.get("/account").text
    for href in ('href="/basket"', 'href="/orders"', 'href="/account/wallet"'):
        assert href in page
    assert "points" in page
