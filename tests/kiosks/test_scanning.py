"""Kiosk scans over Socket.IO: recorded once per client id, resolved, shown on the kiosk's screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import socketio
from app.kiosks import presence, services
from app.members import codes
from app.scans.models import Scan
from app.stock import services as stock
from tests.conftest import csrf_from


@pytest.fixture
def shelf(db, store, make_product, make_location):
    """A product with a label at the store, 7 units here and 2 at a store nearby."""
    from app.labels import services as labels
    from app.labels.models import Label

    product = make_product(name="Jasmine Pearls", price_amount=6800)
    other = make_location(code="SH-JINGAN", name="Oneshelf Jing'an")
    labels.ensure_labels([product], [store, other])
    stock.record_movement(product, store, "receive", 7, actor="test")
    stock.record_movement(product, other, "receive", 2, actor="test")
    db.session.commit()
    label = db.session.scalar(select(Label).filter_by(product_id=product.id, location_id=store.id))
    return product, label


@pytest.fixture
def kiosk(app, kiosk_screen):
    """A kiosk program connected with its token, and the kiosk's screen following its session."""
    screen, device, token = kiosk_screen()
    program = socketio.test_client(app, namespace="/live", auth={"token": token})
    page = socketio.test_client(app, namespace="/live", flask_test_client=screen)
    ack = page.emit("kiosk:subscribe", {}, namespace="/live", callback=True)
    assert ack["ok"] is True
    return program, page, device, token


def send(program, client_id, code, **extra):
    payload = {"id": client_id, "code": code, "symbology": "QRCODE", **extra}
    return program.emit("kiosk:scan", payload, namespace="/live", callback=True)


def events(sio, name):
    return [r["args"][0] for r in sio.get_received("/live") if r["name"] == name]


def count_scans(db, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(Scan).filter_by(**where))


def test_a_label_scan_shows_the_product_with_stock_here_and_nearby(db, kiosk, shelf):
    program, page, device, _ = kiosk
    product, label = shelf
    seen = datetime.now(UTC).replace(microsecond=0)
    ack = send(program, "c-1", f"HTTP://SHOP.TEST/Q/{label.code}", seen_at=seen.isoformat())
    assert ack["ok"] is True and ack["duplicate"] is False and ack["id"] == "c-1"
    view = ack["result"]["product"]
    assert (view["sku"], view["name"], view["price"]) == (product.sku, "Jasmine Pearls", "CN¥68.00")
    # It went into the kiosk's basket: one of the 7 is held for this shopper.
    assert ack["result"]["basket"]["added"] is True and view["here"]["available"] == 6
    assert [(n["location"], n["available"]) for n in view["nearby"]] == [("SH-JINGAN", 2)]
    shown = events(page, "kiosk:product")
    assert len(shown) == 1 and shown[0]["product"]["sku"] == product.sku and shown[0]["client_id"] == "c-1"

    scan = db.session.scalar(select(Scan).filter_by(client_id="c-1"))
    assert (scan.channel, scan.outcome, scan.device_id, scan.product_id) == ("kiosk", "product", device.id, product.id)
    assert scan.seen_at == seen and scan.symbology == "QRCODE"


def test_the_same_scan_sent_again_is_recorded_once_and_not_shown_twice(db, kiosk, shelf):
    program, page, _, _ = kiosk
    _, label = shelf
    first = send(program, "again-1", label.code)
    page.get_received("/live")
    second = send(program, "again-1", label.code)
    assert second["ok"] is True and second["duplicate"] is True and second["scan"] == first["scan"]
    assert count_scans(db, client_id="again-1") == 1
    assert events(page, "kiosk:product") == []


def test_an_old_barcode_is_found_by_its_ean(db, kiosk, shelf):
    program, page, _, _ = kiosk
    product, _ = shelf
    ack = send(program, "ean-1", product.barcode, symbology="EAN13")
    assert ack["result"]["kind"] == "product" and ack["result"]["product"]["sku"] == product.sku
    # A UPC-A reading of the same code (without the leading 0) is not a different product.
    assert events(page, "kiosk:product")[0]["product"]["here"]["available"] == 6


def test_an_unknown_code_asks_for_staff_and_is_listed_for_them(app, db, kiosk, store, signed_in):
    program, page, device, _ = kiosk
    clerk = signed_in("clerk")
    staff_page = socketio.test_client(app, namespace="/live", flask_test_client=clerk)
    assert staff_page.emit("staff:subscribe", {"location": store.code}, namespace="/live", callback=True)["ok"]
    ack = send(program, "u-1", "4006381333931", symbology="EAN13")
    assert ack["result"]["kind"] == "unknown"
    assert "ask a member of staff" in events(page, "kiosk:unknown")[0]["message"].lower()
    assert events(staff_page, "scan:unknown")[0]["code"] == "4006381333931"
    assert count_scans(db, client_id="u-1", outcome="unknown") == 1
    listed = clerk.get("/staff/help").text
    assert "4006381333931" in listed and "add the product" in listed


def test_a_member_code_greets_the_member_and_a_second_use_is_refused(db, kiosk, make_member):
    program, page, device, _ = kiosk
    member = make_member(name="Mei Lin")
    code = codes.codes_ahead(member)[0].code
    ack = send(program, "m-1", code)
    assert ack["result"] == {"kind": "member", "first_name": "Mei", "shown": True}
    assert events(page, "kiosk:identified")[0]["first_name"] == "Mei"
    assert services.current_session(device).member_id == member.id
    again = send(program, "m-2", code)
    assert again["ok"] is True and again["result"]["kind"] == "refused"
    assert "used" in events(page, "kiosk:notice")[0]["message"]
    # The record says whose code it was, never the code itself (it was a one-time secret).
    assert all(code != s.code for s in db.session.scalars(select(Scan).filter_by(device_id=device.id)))


def test_a_scan_sent_long_after_it_was_seen_is_recorded_but_not_shown(db, kiosk, shelf):
    program, page, _, _ = kiosk
    _, label = shelf
    late = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    ack = send(program, "late-1", label.code, seen_at=late)
    assert ack["ok"] is True and ack["result"]["shown"] is False
    assert events(page, "kiosk:product") == []
    assert count_scans(db, client_id="late-1") == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"id": "x"},
        {"code": "ABC"},
        {"id": "", "code": "ABC"},
        {"id": "x" * 65, "code": "A"},
        {"id": "x", "code": 5},
    ],
)
def test_a_bad_scan_is_refused_and_nothing_is_recorded(db, kiosk, payload):
    program, _, _, _ = kiosk
    ack = program.emit("kiosk:scan", payload, namespace="/live", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_scan"
    assert count_scans(db) == 0


def test_only_a_registered_kiosk_may_send_scans(app, db, kiosk_screen):
    forged = socketio.test_client(app, namespace="/live", auth={"token": "osd_nope_nope"})
    assert not forged.is_connected("/live")  # refused outright
    anonymous = socketio.test_client(app, namespace="/live")
    ack = send(anonymous, "a-1", "ABC")
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorized"
    assert count_scans(db) == 0


def test_a_revoked_kiosk_is_disconnected(app, db, kiosk):
    program, page, device, _ = kiosk
    assert program.is_connected("/live") and page.is_connected("/live")
    services.revoke_device(device.token_prefix)
    db.session.commit()
    assert presence.disconnect_revoked() == 2
    assert not program.is_connected("/live") and not page.is_connected("/live")


def test_scans_api_lists_recorded_scans_with_their_client_ids(app, db, client, kiosk, shelf, admin_headers, store):
    program, _, device, _ = kiosk
    product, label = shelf
    for n in range(3):
        send(program, f"api-{n}", label.code)
    client.get(f"/q/{label.code}")  # a phone scan too
    body = client.get("/api/v1/scans?channel=kiosk", headers=admin_headers).get_json()
    assert [item["client_id"] for item in body["items"]] == ["api-0", "api-1", "api-2"]
    assert {item["sku"] for item in body["items"]} == {product.sku}
    assert all(item["device"] == device.id and item["location"] == store.code for item in body["items"])
    by_prefix = client.get(f"/api/v1/scans?device={device.token_prefix}&limit=2", headers=admin_headers).get_json()
    assert len(by_prefix["items"]) == 2 and by_prefix["next_cursor"]
    rest = client.get(
        f"/api/v1/scans?device={device.token_prefix}&cursor={by_prefix['next_cursor']}", headers=admin_headers
    ).get_json()
    assert [i["client_id"] for i in rest["items"]] == ["api-2"]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert client.get("/api/v1/scans", query_string={"since": future}, headers=admin_headers).get_json()["items"] == []
    assert client.get("/api/v1/scans").status_code == 401
    assert client.get("/api/v1/scans?channel=fax", headers=admin_headers).status_code == 422


def test_a_clerk_of_one_store_sees_only_that_stores_scans(app, db, client, kiosk, shelf, make_location, signed_in):
    from app.staff.models import StaffUser

    program, _, _, _ = kiosk
    _, label = shelf
    send(program, "store-1", label.code)
    elsewhere = make_location(code="SH-XUHUI")
    clerk = signed_in("clerk")
    db.session.scalar(select(StaffUser).filter_by(email="clerk@example.com")).location_id = elsewhere.id
    db.session.commit()
    assert clerk.get("/api/v1/scans").get_json()["items"] == []
    assert clerk.get("/api/v1/scans?location=SH-PUDONG").status_code == 403
    assert clerk.get("/api/v1/scans?location=SH-XUHUI").status_code == 200


def test_calling_staff_from_the_kiosk_reaches_the_store_and_the_answer_reaches_the_kiosk(
    app, db, kiosk_screen, store, signed_in
):
    screen, device, _ = kiosk_screen()
    page = socketio.test_client(app, namespace="/live", flask_test_client=screen)
    page.emit("kiosk:subscribe", {}, namespace="/live", callback=True)
    clerk = signed_in("clerk")
    staff_page = socketio.test_client(app, namespace="/live", flask_test_client=clerk)
    staff_page.emit("staff:subscribe", {"location": store.code}, namespace="/live", callback=True)
    csrf = csrf_from(screen.get("/kiosk").text)

    raised = screen.post("/kiosk/help", json={"topic": "Jasmine Pearls"}, headers={"X-CSRFToken": csrf})
    assert raised.status_code == 201 and raised.get_json()["status"] == "open"
    again = screen.post("/kiosk/help", json={}, headers={"X-CSRFToken": csrf})
    assert again.get_json()["id"] == raised.get_json()["id"]  # pressing twice calls once
    assert [e["status"] for e in events(staff_page, "help:updated")] == ["open"]
    desk = clerk.get("/staff/help").text
    assert "Jasmine Pearls" in desk and "kiosk 3" in desk and "On my way" in desk

    request_id = raised.get_json()["id"]
    form = csrf_from(desk)
    clerk.post(f"/staff/help/{request_id}/answer", data={"csrf_token": form})
    answered = [e for e in events(page, "help:updated") if e["status"] == "answered"]
    assert answered and answered[0]["answered_by"]
    # Answering twice is refused with a message, not an error page.
    twice = clerk.post(f"/staff/help/{request_id}/answer", data={"csrf_token": form}, follow_redirects=True)
    assert twice.status_code == 200 and "cannot become answered" in twice.text
    clerk.post(f"/staff/help/{request_id}/close", data={"csrf_token": form})
    assert "Nobody is waiting for help" in clerk.get("/staff/help").text


def test_the_kiosk_screen_cannot_call_staff_once_revoked(app, db, kiosk_screen):
    screen, device, _ = kiosk_screen()
    csrf = csrf_from(screen.get("/kiosk").text)
    services.revoke_device(device.token_prefix)
    db.session.commit()
    assert screen.post("/kiosk/help", json={}, headers={"X-CSRFToken": csrf}).status_code == 401


def test_what_is_scanned_at_the_kiosk_is_in_the_members_basket_after_they_show_their_code(
    app, db, client, kiosk, shelf, make_member
):
    from app.carts import services as carts

    program, page, device, _ = kiosk
    product, label = shelf
    send(program, "b-1", label.code)
    send(program, "b-2", product.barcode, symbology="EAN13")
    anonymous = carts.open_cart_of(kiosk_session_id=services.current_session(device).id)
    assert [(x.product_id, x.quantity) for x in anonymous.lines] == [(product.id, 2)]
    member = make_member(name="Mei Lin")
    send(program, "b-3", codes.codes_ahead(member)[0].code)
    mine = carts.open_cart_of(member_id=member.id)
    assert [(x.product_id, x.quantity) for x in mine.lines] == [(product.id, 2)]
    assert stock.level_of(product, device.location).reserved == 2  # the holds moved, nothing doubled
    # Seven units, two held: a third and more go in one by one until none are left here.
    for n in range(5):
        assert send(program, f"b-more-{n}", label.code)["result"]["basket"]["added"] is True
    last = send(program, "b-none-left", label.code)
    assert last["result"]["basket"]["added"] is False and "available" in last["result"]["basket"]["message"]
