"""The member wallet API: balance and history, top-ups paid on the provider's page, a required Idempotency-Key."""

from __future__ import annotations

from app.payments import gateway
from app.payments.api import topup_reference
from tests.conftest import csrf_from
from tests.payments.conftest import DECLINED, PROCESSING_ERROR, VISA, wallet_agrees
from tests.payments.hosted import come_back, path_of, pay_by_card

URL = "/api/v1/members/me/wallet/topups"


def _headers(client, key="key-1"):
    headers = {"X-CSRFToken": csrf_from(client.get("/staff/login").text)}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _top_up(client, amount, key, card=VISA):
    """Start a top-up and pay it on the provider's page; the provider's answer to the page."""
    answer = client.post(URL, json={"amount": amount}, headers=_headers(client, key))
    assert answer.status_code == 201, answer.json
    return pay_by_card(client, answer, card)


def test_the_wallet_needs_a_member(app, wallet_api):
    wallet_api()  # registers the API
    client = app.test_client()
    assert client.get("/api/v1/members/me/wallet").status_code == 401
    answer = client.post(URL, json={"amount": 5_000})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "not_signed_in"


def test_a_new_member_sees_an_empty_wallet(wallet_api):
    client, _ = wallet_api()
    answer = client.get("/api/v1/members/me/wallet")
    assert answer.status_code == 200
    assert answer.json == {
        "balance": 0,
        "currency": "CNY",
        "balance_text": "CN¥0.00",
        "entries": [],
        "next_cursor": None,
    }


def test_top_up_needs_an_idempotency_key(db, wallet_api):
    client, member = wallet_api()
    answer = client.post(URL, json={"amount": 5_000}, headers=_headers(client, None))
    assert answer.status_code == 400 and answer.json["error"]["code"] == "idempotency_key_required"
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 0


def test_top_up_needs_csrf(wallet_api):
    client, _ = wallet_api()
    answer = client.post(URL, json={"amount": 5_000}, headers={"Idempotency-Key": "k"})
    assert answer.status_code == 400
    assert answer.json["error"] == {"code": "bad_request", "message": "The CSRF token is missing."}


def test_a_card_number_sent_to_us_is_refused(wallet_api):
    client, _ = wallet_api()
    answer = client.post(URL, json={"amount": 5_000, "card_number": VISA}, headers=_headers(client))
    assert answer.status_code == 400 and answer.json["error"]["code"] == "card_number_not_accepted"
    assert "provider's page" in answer.json["error"]["message"]


def test_top_up_and_replay_credit_once(db, wallet_api):
    client, member = wallet_api()
    body = {"amount": 5_000}
    first = client.post(URL, json=body, headers=_headers(client))
    assert first.status_code == 201, first.json
    assert first.json["payment"]["status"] == "pending" and first.json["entry"] is None
    assert first.json["next_action"]["redirect_url"].startswith("http://shop.test/sandbox-pay/pay/")
    again = client.post(URL, json=body, headers=_headers(client))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    paid = pay_by_card(client, first)
    back = come_back(client, paid)
    assert back.status_code == 303 and path_of(back.headers["Location"]) == "/account/wallet"
    wallet = client.get("/api/v1/members/me/wallet").json
    assert wallet["balance"] == 5_000 and wallet["balance_text"] == "CN¥50.00" and len(wallet["entries"]) == 1
    assert wallet["entries"][0]["kind"] == "topup"
    assert wallet["entries"][0]["payment_reference"] == topup_reference(member.id, "key-1")
    charge = gateway.find_charge(topup_reference(member.id, "key-1"))
    assert (charge.amount, charge.card_last4) == (5_000, "4242")
    assert _top_up(client, 5_000, "key-2").status_code == 303
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 10_000
    wallet_agrees(db)


def test_a_key_reused_for_another_body_is_refused(wallet_api):
    client, _ = wallet_api()
    assert client.post(URL, json={"amount": 5_000}, headers=_headers(client)).status_code == 201
    answer = client.post(URL, json={"amount": 6_000}, headers=_headers(client))
    assert answer.status_code == 422 and answer.json["error"]["code"] == "idempotency_key_reused"


def test_keys_of_two_members_do_not_collide(app, wallet_api):
    mei, _ = wallet_api("mei@example.com")
    li, _ = wallet_api("li@example.com")
    assert _top_up(mei, 1_000, "key-1").status_code == 303
    answer = li.post(URL, json={"amount": 1_000}, headers=_headers(li))
    assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    pay_by_card(li, answer)
    assert li.get("/api/v1/members/me/wallet").json["balance"] == 1_000


def test_a_declined_card_is_shown_on_the_page_and_credits_nothing(wallet_api):
    client, _ = wallet_api()
    declined = _top_up(client, 5_000, "k1", DECLINED)
    assert declined.status_code == 200 and "The card was declined; try another card." in declined.text
    flaky = _top_up(client, 5_000, "k2", PROCESSING_ERROR)
    assert flaky.status_code == 502 and "nothing was charged" in flaky.text
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 0


def test_bad_top_ups_are_refused_clearly(wallet_api):
    client, _ = wallet_api()
    cases = [
        ({"amount": 50}, 422, "topup_too_small"),
        ({"amount": 500_001}, 422, "topup_too_large"),
        ({"amount": "50.00"}, 422, "validation_error"),
        ({"amount": 5_000, "card_number": "1234 5678 1234 5678"}, 400, "card_number_not_accepted"),
        ({}, 422, "validation_error"),
    ]
    for n, (body, status, code) in enumerate(cases):
        answer = client.post(URL, json=body, headers=_headers(client, f"bad-{n}"))
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 0


def test_history_pages(wallet_api):
    client, _ = wallet_api()
    for n in range(3):
        _top_up(client, 1_000 * (n + 1), f"page-{n}")
    page = client.get("/api/v1/members/me/wallet?limit=2").json
    assert page["balance"] == 6_000 and [e["amount"] for e in page["entries"]] == [3_000, 2_000]
    rest = client.get(f"/api/v1/members/me/wallet?limit=2&cursor={page['next_cursor']}").json
    assert [e["amount"] for e in rest["entries"]] == [1_000] and rest["next_cursor"] is None


def test_the_endpoints_are_documented(app, wallet_api):
    wallet_api()
    spec = app.test_client().get("/api/v1/openapi.json").json
    topup = spec["paths"]["/api/v1/members/me/wallet/topups"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in topup["parameters"])
    assert "get" in spec["paths"]["/api/v1/members/me/wallet"]
    assert "post" in spec["paths"]["/api/v1/payments/notifications/{provider}"]
