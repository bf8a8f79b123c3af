"""Live stock over Socket.IO: subscribe, get the level, then every change after its commit."""

from __future__ import annotations

from app.extensions import socketio


def _receive(client, headers, sku, location, delta):
    return client.post(
        "/api/v1/stock/movements",
        headers=headers,
        json={"sku": sku, "location": location, "reason": "receive", "delta": delta},
    )


def test_subscribe_answers_the_level_and_pushes_changes(app, client, clerk_headers, make_location, make_product):
    product, _ = make_product(), make_location(code="S1")
    make_location(code="S2")
    _receive(client, clerk_headers, product.sku, "S1", 4)
    one = socketio.test_client(app, namespace="/live")
    every = socketio.test_client(app, namespace="/live")
    ack = one.emit("subscribe", {"sku": product.sku, "location": "s1"}, namespace="/live", callback=True)
    assert ack == {
        "ok": True,
        "levels": [{"sku": product.sku, "location": "S1", "on_hand": 4, "reserved": 0, "available": 4, "version": 1}],
    }
    ack_all = every.emit("subscribe", {"sku": product.sku}, namespace="/live", callback=True)
    assert {lv["location"]: lv["available"] for lv in ack_all["levels"]} == {"S1": 4, "S2": 0}

    client.post(
        "/api/v1/stock/movements",
        headers=clerk_headers,
        json={"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1},
    )
    _receive(client, clerk_headers, product.sku, "S2", 2)
    got_one = [e["args"][0] for e in one.get_received("/live") if e["name"] == "stock:changed"]
    got_every = [e["args"][0] for e in every.get_received("/live") if e["name"] == "stock:changed"]
    assert [(e["location"], e["on_hand"], e["available"], e["version"]) for e in got_one] == [("S1", 3, 3, 2)]
    assert [(e["location"], e["version"]) for e in got_every] == [("S1", 2), ("S2", 1)]
    assert set(got_one[0]) == {"sku", "location", "on_hand", "reserved", "available", "version", "at"}


def test_refused_movement_pushes_nothing(app, client, clerk_headers, make_location, make_product):
    product, _ = make_product(), make_location(code="S1")
    sio = socketio.test_client(app, namespace="/live")
    sio.emit("subscribe", {"sku": product.sku, "location": "S1"}, namespace="/live", callback=True)
    refused = client.post(
        "/api/v1/stock/movements",
        headers=clerk_headers,
        json={"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1},
    )
    assert refused.status_code == 409
    assert sio.get_received("/live") == []


def test_bad_subscriptions_get_an_error_ack(app, make_location):
    make_location(code="S1")
    sio = socketio.test_client(app, namespace="/live")
    assert (
        sio.emit("subscribe", {"sku": "NOPE"}, namespace="/live", callback=True)["error"]["code"] == "product_not_found"
    )
    assert sio.emit("subscribe", "junk", namespace="/live", callback=True)["error"]["code"] == "invalid_subscription"


def test_low_stock_reaches_staff_of_that_store_only(app, client, signed_in, clerk_headers, make_location, make_product):
    product, _ = make_product(name="Teapot"), make_location(code="S1")
    make_location(code="S2")
    anonymous = socketio.test_client(app, namespace="/live")
    assert anonymous.emit("staff:subscribe", {"location": "S1"}, namespace="/live", callback=True)["ok"] is False
    staff_client = signed_in("clerk")
    staff = socketio.test_client(app, namespace="/live", flask_test_client=staff_client)
    assert staff.emit("staff:subscribe", {"location": "S1"}, namespace="/live", callback=True) == {
        "ok": True,
        "location": "S1",
    }
    _receive(client, clerk_headers, product.sku, "S1", 10)
    _receive(client, clerk_headers, product.sku, "S2", 1)
    assert [e["name"] for e in staff.get_received("/live")] == ["stock:changed"]
    client.post(
        "/api/v1/stock/movements",
        headers=clerk_headers,
        json={"sku": product.sku, "location": "S1", "reason": "sale", "delta": -8},
    )
    low = [e["args"][0] for e in staff.get_received("/live") if e["name"] == "stock:low"]
    assert [(e["sku"], e["available"], e["name"]) for e in low] == [(product.sku, 2, "Teapot")]


def test_phone_page_shows_stock_here_and_nearby(client, clerk_headers, make_location, make_product):
    product = make_product()
    make_location(code="S1", name="Pudong", latitude=31.23, longitude=121.54)
    make_location(code="S2", name="Jing'an", latitude=31.22, longitude=121.45)
    make_location(code="S3", name="Far Away", latitude=39.9, longitude=116.4)
    _receive(client, clerk_headers, product.sku, "S1", 5)
    _receive(client, clerk_headers, product.sku, "S2", 2)
    code = client.get(f"/api/v1/labels?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]["code"]
    page = client.get(f"/q/{code}").text
    assert "data-available>5</span> <span data-stock-text>left here" in page
    nearby = page.split('class="nearby"')[1]
    assert nearby.index("Jing") < nearby.index("Far Away")
    assert 'data-location="S2" data-version="1"' in nearby and "data-available>2<" in nearby
    assert "socket.io.min.js" in page
