"""A member code scanned at a kiosk names the member; it does not let the kiosk spend their wallet or points."""

from __future__ import annotations

from app.members import codes
from app.payments.wallet import wallet_balance
from tests.conftest import csrf_from
from tests.orders.conftest import GOOD_CARD, fill_cart, pay
from tests.orders.test_checkout import top_up
from tests.payments.hosted import checkout_by_card

REFUSAL = {
    "code": "wallet_needs_phone",
    "message": "Pay with your wallet or points from your phone, or pay by card here.",
}


def _identify(client, device, member, headers):
    from app.kiosks import services as kiosks

    identified = client.post(
        "/api/v1/kiosk/identify", json={"code": codes.codes_ahead(member)[0].code}, headers=headers
    )
    assert identified.status_code == 200, identified.text
    return kiosks.current_session(device)


def test_the_kiosk_token_cannot_pay_from_the_members_wallet_but_their_phone_can(app, db, make_device, shopper, shelf):
    _, label = shelf
    phone, member, phone_headers = shopper
    top_up(db, member, 10000)
    device, token = make_device()
    kiosk = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    fill_cart(kiosk, label, headers=bearer)
    _identify(kiosk, device, member, bearer)
    cart_id = kiosk.post("/api/v1/carts", headers=bearer).get_json()["id"]

    for refused in (
        pay(kiosk, cart_id, {"method": "wallet"}, headers=bearer),
        checkout_by_card(kiosk, cart_id, GOOD_CARD, headers=bearer, points=10),
    ):
        assert refused.status_code == 403, refused.text
        assert refused.get_json()["error"] == REFUSAL
    assert wallet_balance(member.id) == 10000

    # The member's own phone, signed in, pays the same basket from the wallet.
    paid = pay(phone, cart_id, {"method": "wallet"}, headers=phone_headers)
    assert paid.status_code == 201, paid.text
    assert paid.get_json()["payment"]["method"] == "wallet"
    assert wallet_balance(member.id) == 10000 - 6800


def test_the_kiosk_screen_cookie_cannot_pay_from_the_members_wallet(db, kiosk_screen, make_member, shelf):
    from app.kiosks import services as kiosks

    _, label = shelf
    screen, device, _ = kiosk_screen()
    headers = {"X-CSRFToken": csrf_from(screen.get("/kiosk").text)}
    member = make_member(login="li@example.com", name="Li Wei")
    top_up(db, member, 10000)
    fill_cart(screen, label, headers=headers)
    kiosks.identify_by_member_code(device, codes.codes_ahead(member)[0].code)
    db.session.commit()
    cart = screen.post("/api/v1/carts", headers=headers).get_json()
    assert cart["member"] == member.id

    refused = pay(screen, cart["id"], {"method": "wallet"}, headers=headers)
    assert refused.status_code == 403, refused.text
    assert refused.get_json()["error"] == REFUSAL
    assert wallet_balance(member.id) == 10000
    # A card still pays at the kiosk.
    by_card = checkout_by_card(screen, cart["id"], GOOD_CARD, headers=headers)
    assert by_card.status_code == 201, by_card.text
    assert by_card.get_json()["status"] == "paid"
