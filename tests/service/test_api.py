"""POST /api/v1/help-requests from a phone: the store's clerks hear it at once; retries and bad input."""

from __future__ import annotations

import re

from app.extensions import socketio
from app.service.models import HelpRequest


def events(sio, name):
    return [r["args"][0] for r in sio.get_received("/live") if r["name"] == name]


def test_a_phone_asks_and_the_stores_clerks_hear_it_live(app, db, stores, phone, clerk_of):
    a, b, _ = stores
    clerk_a = clerk_of(a, "Ada Lovelace")
    desk_a = socketio.test_client(app, namespace="/live", flask_test_client=clerk_a)
    assert desk_a.emit("staff:subscribe", {"location": "SH-A"}, namespace="/live", callback=True)["ok"]
    clerk_b = clerk_of(b, "Grace Hopper")
    desk_b = socketio.test_client(app, namespace="/live", flask_test_client=clerk_b)
    assert desk_b.emit("staff:subscribe", {"location": "SH-B"}, namespace="/live", callback=True)["ok"]

    shopper = phone("SH-A")
    asked = shopper.ask(location="SH-A", sku="TEA-1")
    assert asked.status_code == 201, asked.json
    assert asked.json["status"] == "open" and asked.json["topic"] == "Jasmine Pearls (TEA-1)"
    assert asked.json["location_name"] == "Pudong store" and asked.json["answer_within_minutes"] == 5
    assert [e["id"] for e in events(desk_a, "help:updated")] == [asked.json["id"]]
    assert events(desk_b, "help:updated") == []
    page = clerk_a.get("/staff/help").text
    assert "Jasmine Pearls (TEA-1)" in page and "phone" in page and "within <strong>5 min</strong>" in page


def test_pressing_again_answers_the_waiting_request(db, stores, phone):
    shopper = phone("SH-A")
    first = shopper.ask(location="SH-A", sku="TEA-1")
    again = shopper.ask(location="SH-A", topic="basket")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert db.session.query(HelpRequest).count() == 1


def test_a_retry_with_the_same_key_gets_the_first_answer(db, stores, phone):
    shopper = phone("SH-A")
    first = shopper.ask("press-1", location="SH-A", sku="TEA-1")
    retry = shopper.ask("press-1", location="SH-A", sku="TEA-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json
    changed = shopper.ask("press-1", location="SH-A", topic="basket")
    assert changed.status_code == 422  # the key was used for another request
    # Another guest's key of the same name is theirs, not a replay of this one.
    other = phone("SH-A").ask("press-1", location="SH-A", topic="basket")
    assert other.status_code == 201 and other.json["id"] != first.json["id"]


def test_bad_input_is_a_clear_error_and_writes_nothing(db, stores, phone, make_location):
    make_location(code="WH-1", kind="warehouse", name="Warehouse")
    shopper = phone("SH-A")
    for body, status, code in (
        ({}, 422, None),
        ({"location": "SH-A", "colour": "red"}, 422, None),
        ({"location": "SH-A", "topic": "x" * 201}, 422, None),
        ({"location": "NOPE"}, 404, "location_not_found"),
        ({"location": "SH-A", "sku": "NOPE"}, 404, "product_not_found"),
        ({"location": "WH-1"}, 422, "not_a_store"),
    ):
        answer = shopper.ask(**body)
        assert answer.status_code == status, (body, answer.json)
        assert "error" in answer.json and "message" in answer.json["error"]
        if code:
            assert answer.json["error"]["code"] == code
    assert shopper.client.post(
        "/api/v1/help-requests", data="nope", headers={"X-CSRFToken": shopper.csrf}
    ).status_code in (
        400,
        415,
        422,
    )
    assert db.session.query(HelpRequest).count() == 0


def test_a_cookie_write_without_csrf_is_refused(db, stores, phone):
    shopper = phone("SH-A")
    refused = shopper.client.post("/api/v1/help-requests", json={"location": "SH-A"})
    assert refused.status_code == 400 and refused.json["error"]["message"] == "The CSRF token is missing."
    assert db.session.query(HelpRequest).count() == 0


def test_a_signed_in_member_asks_as_the_member(db, stores, phone, member_client):
    client, member = member_client()
    shopper = phone("SH-A", client=client)
    asked = shopper.ask(location="SH-A", topic="basket")
    assert asked.status_code == 201
    assert db.session.get(HelpRequest, asked.json["id"]).member_id == member.id


def test_the_web_shop_and_the_basket_show_the_button(app, client, stores, admin_headers):
    item = client.get("/shop/p/TEA-1?store=SH-A").text
    assert "Need help?" in item and "A member of staff at Pudong store comes to you about Jasmine Pearls" in item
    browsing = app.test_client().get("/shop/p/TEA-1").text  # no store chosen: nobody to call
    assert "data-need-help" not in browsing

    stocked = {"sku": "TEA-1", "location": "SH-A", "reason": "receive", "delta": 3}
    assert (
        client.post(
            "/api/v1/stock/movements", json=stocked, headers={**admin_headers, "Idempotency-Key": "k"}
        ).status_code
        == 201
    )
    basket = app.test_client()
    assert "data-need-help" not in basket.get("/basket").text  # empty: no store yet
    cart = basket.post("/api/v1/carts").json
    assert (
        basket.post(f"/api/v1/carts/{cart['id']}/lines", json={"sku": "TEA-1", "location": "SH-A"}).status_code == 201
    )
    basket.set_cookie("oneshelf_cart", cart["id"])
    page = basket.get("/basket").text
    assert 'data-need-help data-location="SH-A"' in page and 'data-topic="basket"' in page
    assert "A member of staff at Pudong store comes to you about your basket" in page


def test_a_web_shopper_who_scanned_nothing_gets_a_shopper_session(app, db, stores):
    browser = app.test_client()
    page = browser.get("/shop/p/TEA-1?store=SH-A").text
    assert browser.get_cookie("oneshelf_shopper") is None
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    headers = {"X-CSRFToken": csrf, "Idempotency-Key": "web-1"}
    asked = browser.post("/api/v1/help-requests", json={"location": "SH-A", "sku": "TEA-1"}, headers=headers)
    assert asked.status_code == 201
    session = browser.get_cookie("oneshelf_shopper").value
    assert db.session.get(HelpRequest, asked.json["id"]).shopper_session == session
    retry = browser.post("/api/v1/help-requests", json={"location": "SH-A", "sku": "TEA-1"}, headers=headers)
    assert retry.json == asked.json
    assert browser.get(f"/api/v1/help-requests/{asked.json['id']}").status_code == 200
