"""The member wallet API: balance and history, top-ups with a required Idempotency-Key."""

from __future__ import annotations

from app.payments import gateway
from app.payments.api import topup_reference
from tests.conftest import csrf_from
from tests.payments.conftest import DECLINED, PROCESSING_ERROR, VISA, wallet_agrees


def _headers(client, key="key-1"):
    headers = {"X-CSRFToken": csrf_from(client.get("/staff/login").text)}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def test_the_wallet_needs_a_member(app, wallet_api):
    wallet_api()  # registers the API
    client = app.test_client()
    assert client.get("/api/v1/members/me/wallet").status_code == 401
    answer = client.post("/api/v1/members/me/wallet/topups", json={"amount": 5_000, "card_number": VISA})
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
    answer = client.post(
        "/api/v1/members/me/wallet/topups", json={"amount": 5_000, "card_number": VISA}, headers=_headers(client, None)
    )
    assert answer.status_code == 400 and answer.json["error"]["code"] == "idempotency_key_required"
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 0


def test_top_up_needs_csrf(wallet_api):
    client, _ = wallet_api()
    answer = client.post(
        "/api/v1/members/me/wallet/topups",
        json={"amount": 5_000, "card_number": VISA},
        headers={"Idempotency-Key": "k"},
    )
    assert answer.status_code == 400
    assert answer.json["error"] == {"code": "bad_request", "message": "The CSRF token is missing."}


def test_top_up_and_replay_credit_once(db, wallet_api):
    client, member = wallet_api()
    body = {"amount": 5_000, "card_number": "4242 4242 4242 4242"}
    first = client.post("/api/v1/members/me/wallet/topups", json=body, headers=_headers(client))
    assert first.status_code == 201, first.json
    assert first.json["balance"] == 5_000 and first.json["balance_text"] == "CN¥50.00"
    assert first.json["payment"]["card_last4"] == "4242" and first.json["payment"]["status"] == "captured"
    assert first.json["entry"]["kind"] == "topup" and "card_number" not in first.json
    again = client.post("/api/v1/members/me/wallet/topups", json=body, headers=_headers(client))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    wallet = client.get("/api/v1/members/me/wallet").json
    assert wallet["balance"] == 5_000 and len(wallet["entries"]) == 1
    assert wallet["entries"][0]["payment_reference"] == topup_reference(member.id, "key-1")
    assert gateway.find_charge(topup_reference(member.id, "key-1")).amount == 5_000
    other = client.post("/api/v1/members/me/wallet/topups", json=body, headers=_headers(client, "key-2"))
    assert other.status_code == 201 and other.json["balance"] == 10_000
    wallet_agrees(db)


def test_a_key_reused_for_another_body_is_refused(wallet_api):
    client, _ = wallet_api()
    url = "/api/v1/members/me/wallet/topups"
    assert client.post(url, json={"amount": 5_000, "card_number": VISA}, headers=_headers(client)).status_code == 201
    answer = client.post(url, json={"amount": 6_000, "card_number": VISA}, headers=_headers(client))
    assert answer.status_code == 422 and answer.json["error"]["code"] == "idempotency_key_reused"


def test_keys_of_two_members_do_not_collide(app, wallet_api):
    mei, _ = wallet_api("mei@example.com")
    li, _ = wallet_api("li@example.com")
    body = {"amount": 1_000, "card_number": VISA}
    assert mei.post("/api/v1/members/me/wallet/topups", json=body, headers=_headers(mei)).status_code == 201
    answer = li.post("/api/v1/members/me/wallet/topups", json=body, headers=_headers(li))
    assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    assert li.get("/api/v1/members/me/wallet").json["balance"] == 1_000


def test_a_declined_card_answers_402_and_credits_nothing(wallet_api):
    client, _ = wallet_api()
    url = "/api/v1/members/me/wallet/topups"
    answer = client.post(url, json={"amount": 5_000, "card_number": DECLINED}, headers=_headers(client))
    assert answer.status_code == 402 and answer.json["error"]["code"] == "card_declined"
    flaky = client.post(url, json={"amount": 5_000, "card_number": PROCESSING_ERROR}, headers=_headers(client, "k2"))
    assert flaky.status_code == 502 and flaky.json["error"]["code"] == "processing_error"
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 0


def test_bad_top_ups_are_refused_clearly(wallet_api):
    client, _ = wallet_api()
    url = "/api/v1/members/me/wallet/topups"
    cases = [
        ({"amount": 50, "card_number": VISA}, 422, "topup_too_small"),
        ({"amount": 500_001, "card_number": VISA}, 422, "topup_too_large"),
        ({"amount": "50.00", "card_number": VISA}, 422, "validation_error"),
        ({"amount": 5_000, "card_number": "1234 5678 1234 5678"}, 422, "invalid_card_number"),
        ({"amount": 5_000}, 422, "validation_error"),
    ]
    for n, (body, status, code) in enumerate(cases):
        answer = client.post(url, json=body, headers=_headers(client, f"bad-{n}"))
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
    assert client.get("/api/v1/members/me/wallet").json["balance"] == 0


def test_history_pages(wallet_api):
    client, _ = wallet_api()
    for n in range(3):
        client.post(
            "/api/v1/members/me/wallet/topups",
            json={"amount": 1_000 * (n + 1), "card_number": VISA},
            headers=_headers(client, f"page-{n}"),
        )
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
