"""What a stranger learns from links and lookups: redirects stay on the site, order numbers are not probed,
the kiosk token leaves the address."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from
from tests.orders.conftest import GOOD_CARD, fill_cart
from tests.payments.hosted import checkout_by_card

OFF_SITE = ["/\\evil.example", "//evil.example", "https://evil.example", "/\\/evil.example", "/\t/evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_wallet_page_offers_no_way_back_off_the_site(shopper, target):
    phone, _, _ = shopper
    page = phone.get("/account/wallet", query_string={"next": target})
    assert page.status_code == 200
    assert "data-back" not in page.text and "evil.example" not in page.text


def test_the_wallet_page_leads_back_to_the_basket(shopper):
    phone, _, _ = shopper
    page = phone.get("/account/wallet", query_string={"next": "/basket"})
    assert 'href="/basket" data-back' in page.text


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_sends_the_phone_off_the_site(app, make_member, target):
    make_member(login="mei@example.com")
    phone = app.test_client()
    form = phone.get("/account/signin", query_string={"next": target})
    signed = phone.post(
        "/account/signin",
        query_string={"next": target},
        data={"login": "mei@example.com", "password": "long-password", "csrf_token": csrf_from(form.text)},
    )
    assert signed.status_code == 302
    assert signed.headers["Location"] == "/account"


def test_signing_in_follows_a_path_of_the_site(app, make_member):
    make_member(login="mei@example.com")
    phone = app.test_client()
    form = phone.get("/account/signin", query_string={"next": "/basket"})
    signed = phone.post(
        "/account/signin",
        query_string={"next": "/basket"},
        data={"login": "mei@example.com", "password": "long-password", "csrf_token": csrf_from(form.text)},
    )
    assert signed.headers["Location"] == "/basket"


def test_a_stranger_cannot_tell_a_real_order_number_from_an_unknown_one(app, client, shelf, member_client):
    _, label = shelf
    cart_id = fill_cart(client, label)
    number = checkout_by_card(client, cart_id, GOOD_CARD).get_json()["number"]
    other_member, _ = member_client(login="li@example.com", name="Li Wei")

    for caller in (app.test_client(), other_member):
        real = caller.get(f"/api/v1/orders/{number}")
        unknown = caller.get("/api/v1/orders/ORD-NOPE")
        assert real.status_code == unknown.status_code == 404
        assert real.get_json()["error"]["code"] == unknown.get_json()["error"]["code"] == "order_not_found"
        assert real.get_json()["error"]["message"] == f"No order {number}."


def test_the_kiosk_token_leaves_the_address_for_an_httponly_cookie(app, make_device):
    _, token = make_device()
    screen = app.test_client()
    enrolled = screen.get(f"/kiosk?token={token}")
    assert enrolled.status_code == 302
    assert enrolled.headers["Location"] == "/kiosk" and token not in enrolled.headers["Location"]
    cookie = enrolled.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and token not in cookie

    page = screen.get("/kiosk")
    assert page.status_code == 200 and "Kiosk 3" in page.text
    assert token not in page.text
    assert screen.post("/kiosk/pairing", headers={"X-CSRFToken": csrf_from(page.text)}).status_code == 200
    assert app.test_client().get("/kiosk").status_code == 401  # without the cookie, no kiosk
