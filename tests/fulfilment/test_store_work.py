"""A location's work on the parcels of online orders: pick by scanning, pack, send, ready, collect, expire."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import begin_write, utcnow
from app.fulfilment.models import Fulfilment
from app.members.models import OutboxMessage
from app.orders.models import Order
from app.stock import services as stock
from tests.conftest import csrf_from
from tests.fulfilment.test_checkout import HOME, _checkout, _line_of, _receive
from tests.orders.conftest import fill_cart, make_member, member_client, shelf, store  # noqa: F401


@pytest.fixture
def places(db, make_location):
    other = make_location(code="HZ", name="Hangzhou store", latitude=30.27, longitude=120.15)
    depot = make_location(code="WH", name="Kunshan warehouse", kind="warehouse", latitude=31.38, longitude=121.58)
    return other, depot


@pytest.fixture
def shopper(member_client):
    phone, member = member_client(login="+8613800138000", name="Mei Lin")
    return phone, member, {"X-CSRFToken": csrf_from(phone.get("/account/signin").text)}


def _order(db, shopper, label, choice) -> dict:
    phone, member, headers = shopper
    cart_id = fill_cart(phone, label, qty=2, headers=headers)
    line = _line_of(phone, cart_id, headers)
    answer = _checkout(phone, cart_id, [{"line": line, **choice}], headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.get_json()


def _post(client, path, headers, body=None, key=None):
    return client.post(path, json=body or {}, headers={"Idempotency-Key": key or uuid.uuid4().hex, **headers})


def _clerk_of(db, client, place):
    """A clerk of one store, signed in with the staff form (a cookie, so CSRF)."""
    from app.staff import services

    begin_write(db.session)
    services.create_staff(f"clerk-{place.code.lower()}@example.com", "Ada", "correct-horse", "clerk", place.id)
    db.session.commit()
    page = client.get("/staff/login")
    signed = client.post(
        "/staff/login",
        data={"email": f"clerk-{place.code.lower()}@example.com", "password": "correct-horse", "csrf_token": csrf_from(page.text)},
    )
    assert signed.status_code == 302
    return {"X-CSRFToken": csrf_from(client.get("/staff/").text)}


def _messages_to(db, recipient) -> list[str]:
    db.session.rollback()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient))
    return [row.body for row in rows]


def test_a_collection_here_is_picked_by_scanning_packed_marked_ready_and_collected(
    app, db, shopper, shelf, store, places
):
    product, label = shelf
    order = _order(db, shopper, label, {"mode": "collect", "location": store.code})
    [parcel] = order["fulfilments"]
    assert parcel["from"]["code"] == store.code and parcel["collect_at"]["code"] == store.code
    clerk = app.test_client()
    headers = _clerk_of(db, clerk, store)
    queue = clerk.get("/api/v1/fulfilments").get_json()["items"]
    assert [(p["order"], p["next"], p["member_name"]) for p in queue] == [(order["number"], ["pick"], "Mei Lin")]
    base = f"/api/v1/fulfilments/{parcel['id']}"

    from tests.conftest import make_product  # noqa: F401 - the fixture's module

    # A product that is not in the parcel is refused on the spot.
    wrong = _post(clerk, f"{base}/pick", headers, {"code": "NO-SUCH-THING"})
    assert wrong.status_code == 404
    first = _post(clerk, f"{base}/pick", headers, {"code": label.code}, key="pick-1")
    again = _post(clerk, f"{base}/pick", headers, {"code": label.code}, key="pick-1")  # a retried scan
    assert first.status_code == again.status_code == 200
    assert first.get_json()["lines"][0]["picked"] == 1 == again.get_json()["lines"][0]["picked"]
    early = _post(clerk, f"{base}/pack", headers)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_all_picked"
    second = _post(clerk, f"{base}/pick", headers, {"code": product.sku})
    assert second.get_json()["next"] == ["pack"]
    over = _post(clerk, f"{base}/pick", headers, {"code": label.code})
    assert over.status_code == 409
    assert _post(clerk, f"{base}/pack", headers).get_json()["next"] == ["ready"]
    shipped = _post(clerk, f"{base}/ship", headers)
    assert shipped.status_code == 409 and shipped.get_json()["error"]["code"] == "collected_here"
    ready = _post(clerk, f"{base}/ready", headers)
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    # The shopper is told, and the phone shows it.
    assert any(order["number"] in body and "ready" in body for body in _messages_to(db, "+8613800138000"))
    phone = shopper[0]
    assert phone.get(f"/api/v1/orders/{order['number']}").get_json()["fulfilments"][0]["status"] == "ready"
    # Still held, not yet sold: the units are on the shelf until handed over.
    db.session.rollback()
    assert stock.level_of(product, store).on_hand == 5
    # The clerk scans the parcel's QR: handed over, sold.
    handed = _post(clerk, "/api/v1/fulfilments/collect", headers, {"code": parcel["code"]})
    assert handed.status_code == 200, handed.text
    assert [p["status"] for p in handed.get_json()["items"]] == ["collected"]
    db.session.rollback()
    level = stock.level_of(product, store)
    assert (level.on_hand, level.reserved) == (3, 0)
    assert _post(clerk, "/api/v1/fulfilments/collect", headers, {"code": parcel["code"]}).status_code == 404


def test_a_delivery_leaves_with_the_courier_and_is_sold_then(app, db, shopper, shelf, store, places, clerk_headers):
    product, label = shelf
    other, depot = places
    _receive(db, product, depot, 4)
    order = _order(db, shopper, label, {"mode": "deliver", "address": HOME})
    [parcel] = order["fulfilments"]
    assert parcel["from"]["code"] == "WH"
    client, base = app.test_client(), f"/api/v1/fulfilments/{parcel['id']}"
    listed = client.get("/api/v1/fulfilments?location=WH&status=open", headers=clerk_headers).get_json()["items"]
    assert [p["id"] for p in listed] == [parcel["id"]]
    for _ in range(2):
        assert _post(client, f"{base}/pick", clerk_headers, {"code": product.sku}).status_code == 200
    assert _post(client, f"{base}/pack", clerk_headers).get_json()["next"] == ["ship"]
    assert _post(client, f"{base}/ready", clerk_headers).status_code == 409  # delivered, not collected
    db.session.rollback()
    assert stock.level_of(product, depot).on_hand == 4
    shipped = _post(client, f"{base}/ship", clerk_headers)
    assert shipped.get_json()["status"] == "shipped" and shipped.get_json()["next"] == ["delivered"]
    db.session.rollback()
    level = stock.level_of(product, depot)
    assert (level.on_hand, level.reserved) == (2, 0)
    assert any("on its way" in b or order["number"] in b for b in _messages_to(db, "+8613800138000"))
    assert _post(client, f"{base}/delivered", clerk_headers).get_json()["status"] == "delivered"
    assert _post(client, f"{base}/delivered", clerk_headers).status_code == 409


def test_a_collection_elsewhere_travels_first_and_is_collected_by_member_code(app, db, shopper, shelf, store, places):
    from app.members import codes

    product, label = shelf
    other, depot = places
    order = _order(db, shopper, label, {"mode": "collect", "location": "HZ"})
    [parcel] = order["fulfilments"]
    assert parcel["from"]["code"] == store.code  # Hangzhou has none: sent from Pudong
    sender, receiver = app.test_client(), app.test_client()
    at_source, at_store = _clerk_of(db, sender, store), _clerk_of(db, receiver, other)
    base = f"/api/v1/fulfilments/{parcel['id']}"
    # The Hangzhou clerk sees it coming but cannot pick it; Pudong's clerk does.
    assert _post(receiver, f"{base}/pick", at_store, {"code": label.code}).status_code == 409
    for _ in range(2):
        assert _post(sender, f"{base}/pick", at_source, {"code": label.code}).status_code == 200
    _post(sender, f"{base}/pack", at_source)
    assert _post(receiver, f"{base}/ready", at_store).get_json()["error"]["code"] == "not_arrived"
    assert _post(sender, f"{base}/ship", at_source).get_json()["next"] == ["ready"]
    assert _post(sender, f"{base}/ready", at_source).status_code == 409  # only at Hangzhou
    assert _post(receiver, f"{base}/ready", at_store).get_json()["status"] == "ready"
    db.session.rollback()
    member = db.session.get(type(shopper[1]), shopper[1].id)
    code = codes.codes_ahead(member, 1)[0].code
    handed = _post(receiver, "/api/v1/fulfilments/collect", at_store, {"code": code})
    assert handed.status_code == 200, handed.text
    assert handed.get_json()["items"][0]["status"] == "collected"
    # Sold when it left Pudong; nothing was ever in Hangzhou's ledger.
    db.session.rollback()
    assert stock.level_of(product, store).on_hand == 3
    assert stock.level_of(product, other).on_hand == 0


def test_a_clerk_of_another_store_sees_nothing_of_a_parcel(app, db, shopper, shelf, store, places):
    product, label = shelf
    other, depot = places
    order = _order(db, shopper, label, {"mode": "collect", "location": store.code})
    client = app.test_client()
    headers = _clerk_of(db, client, other)
    assert client.get("/api/v1/fulfilments").get_json()["items"] == []
    assert client.get(f"/api/v1/fulfilments/{order['fulfilments'][0]['id']}").status_code == 404
    assert client.get(f"/api/v1/fulfilments?location={store.code}").status_code == 403
    assert _post(client, f"/api/v1/fulfilments/{order['fulfilments'][0]['id']}/pick", headers, {"code": label.code}).status_code == 404


def test_an_uncollected_parcel_expires_its_units_go_back_and_it_is_refunded(app, db, shopper, shelf, store, places):
    from app.orders.tasks import expire_uncollected_parcels

    product, label = shelf
    order = _order(db, shopper, label, {"mode": "collect", "location": store.code})
    parcel_id = order["fulfilments"][0]["id"]
    client = app.test_client()
    headers = _clerk_of(db, client, store)
    for _ in range(2):
        _post(client, f"/api/v1/fulfilments/{parcel_id}/pick", headers, {"code": label.code})
    _post(client, f"/api/v1/fulfilments/{parcel_id}/pack", headers)
    _post(client, f"/api/v1/fulfilments/{parcel_id}/ready", headers)
    db.session.rollback()
    assert stock.level_of(product, store).available == 3
    begin_write(db.session)
    parcel = db.session.get(Fulfilment, parcel_id)
    parcel.ready_at = utcnow() - timedelta(days=app.config["COLLECT_DAYS"], minutes=1)
    db.session.commit()
    assert expire_uncollected_parcels.call_local() == 1
    assert expire_uncollected_parcels.call_local() == 0  # once
    db.session.rollback()
    assert db.session.get(Fulfilment, parcel_id).status == "expired"
    level = stock.level_of(product, store)
    assert (level.on_hand, level.available) == (5, 5)
    paid = db.session.scalar(select(Order).filter_by(number=order["number"]))
    assert paid.status == "refunded" and paid.refunded_amount == paid.total == 2 * 6800
    from app.payments import services as payments

    assert payments.get_payment(paid.payment_id).refunded_amount == 2 * 6800
