"""Socket.IO rooms are joined after an access check: stores' staff rooms, carts and warehouse stock."""

from __future__ import annotations

from app.extensions import socketio
from tests.conftest import csrf_from


def _clerk_of(app, db, store, email="pudong-clerk@example.com"):
    """A clerk bound to ``store``, signed in through the real form."""
    from app.db import begin_write
    from app.staff import services

    begin_write(db.session)
    services.create_staff(email, "Pudong Clerk", "correct-horse", "clerk", location_id=store.id)
    db.session.commit()
    browser = app.test_client()
    page = browser.get("/staff/login")
    signed = browser.post(
        "/staff/login", data={"email": email, "password": "correct-horse", "csrf_token": csrf_from(page.text)}
    )
    assert signed.status_code == 302, signed.text
    return browser


def _receive(client, headers, sku, location, delta=1):
    moved = client.post(
        "/api/v1/stock/movements",
        headers=headers,
        json={"sku": sku, "location": location, "reason": "receive", "delta": delta},
    )
    assert moved.status_code == 201, moved.text


def test_a_store_clerk_follows_their_store_only(app, db, client, clerk_headers, make_location, make_product):
    product, own = make_product(), make_location(code="S1")
    make_location(code="S2")
    clerk = _clerk_of(app, db, own)
    assert clerk.get("/api/v1/scans?location=S2").status_code == 403  # the HTTP API refuses the other store
    live = socketio.test_client(app, namespace="/live", flask_test_client=clerk)

    refused = live.emit("staff:subscribe", {"location": "S2"}, namespace="/live", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "other_store"
    assert live.emit("staff:subscribe", {"location": "S1"}, namespace="/live", callback=True) == {
        "ok": True,
        "location": "S1",
    }
    _receive(client, clerk_headers, product.sku, "S2")
    _receive(client, clerk_headers, product.sku, "S1")
    changed = [e["args"][0]["location"] for e in live.get_received("/live") if e["name"] == "stock:changed"]
    assert changed == ["S1"]


def test_shoppers_follow_stores_but_not_warehouses(app, client, signed_in, clerk_headers, make_location, make_product):
    product = make_product()
    make_location(code="S1")
    make_location(code="WH1", kind="warehouse")
    shopper = socketio.test_client(app, namespace="/live")

    refused = shopper.emit("subscribe", {"sku": product.sku, "location": "WH1"}, namespace="/live", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "staff_only_location"
    every = shopper.emit("subscribe", {"sku": product.sku}, namespace="/live", callback=True)
    assert [lv["location"] for lv in every["levels"]] == ["S1"]

    staff = socketio.test_client(app, namespace="/live", flask_test_client=signed_in("clerk"))
    ack = staff.emit("subscribe", {"sku": product.sku, "location": "WH1"}, namespace="/live", callback=True)
    assert ack["ok"] is True and ack["levels"][0]["location"] == "WH1"

    _receive(client, clerk_headers, product.sku, "WH1")
    _receive(client, clerk_headers, product.sku, "S1")
    seen = [e["args"][0]["location"] for e in shopper.get_received("/live") if e["name"] == "stock:changed"]
    assert seen == ["S1"]
    assert [e["args"][0]["location"] for e in staff.get_received("/live") if e["name"] == "stock:changed"] == ["WH1"]


def _cart_subscribe(app, browser, cart_id):
    live = socketio.test_client(app, namespace="/live", flask_test_client=browser)
    return live.emit("cart:subscribe", {"cart": cart_id}, namespace="/live", callback=True)


def test_a_member_follows_their_own_cart_and_not_anothers(app, member_client):
    mei, _ = member_client()
    li, _ = member_client(login="li@example.com", name="Li Wei")
    mine = mei.post("/api/v1/carts", headers={"X-CSRFToken": csrf_from(mei.get("/account/signin").text)})
    cart_id = mine.get_json()["id"]

    ack = _cart_subscribe(app, mei, cart_id)
    assert ack["ok"] is True and ack["cart"]["id"] == cart_id
    refused = _cart_subscribe(app, li, cart_id)
    assert refused["ok"] is False and refused["error"]["code"] == "not_your_cart"
    stranger = _cart_subscribe(app, app.test_client(), cart_id)
    assert stranger["ok"] is False and stranger["error"]["code"] == "not_your_cart"


def test_a_kiosk_sessions_cart_is_that_kiosks_only(app, kiosk_screen, member_client):
    screen, _, token = kiosk_screen()
    other_screen, _, _ = kiosk_screen("Kiosk 4")
    cart_id = app.test_client().post("/api/v1/carts", headers={"Authorization": f"Bearer {token}"}).get_json()["id"]

    assert _cart_subscribe(app, screen, cart_id)["ok"] is True
    refused = _cart_subscribe(app, other_screen, cart_id)
    assert refused["ok"] is False and refused["error"]["code"] == "not_your_cart"
    member, _ = member_client()
    assert _cart_subscribe(app, member, cart_id)["error"]["code"] == "not_your_cart"


def test_a_guest_follows_their_cart_by_its_id(app, client):
    cart_id = client.post("/api/v1/carts").get_json()["id"]
    ack = _cart_subscribe(app, client, cart_id)
    assert ack["ok"] is True and ack["cart"]["id"] == cart_id
    unknown = _cart_subscribe(app, client, "not-a-cart")
    assert unknown["ok"] is False and unknown["error"]["code"] == "cart_not_found"
