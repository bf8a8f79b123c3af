"""Checkout with a choice per line: carried out now, collected at a store, or delivered to an address."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.fulfilment.models import Fulfilment
from app.orders.models import Order
from app.stock import services as stock
from tests.orders.conftest import (  # noqa: F401  # noqa: F401
    DECLINED_CARD,
    GOOD_CARD,
    fill_cart,
    make_member,
    member_client,
    pay,
    shelf,
    shopper,
    store,
)
from tests.payments.hosted import checkout_by_card

HOME = {"recipient": "Li Lei", "line1": "1 Nanjing Rd", "city": "Shanghai", "latitude": 31.40, "longitude": 121.60}


@pytest.fixture
def elsewhere(db, make_location):
    """A second store, far away, and a warehouse near the shopper's home."""
    other = make_location(code="HZ", name="Hangzhou store", latitude=30.27, longitude=120.15)
    depot = make_location(code="WH", name="Kunshan warehouse", kind="warehouse", latitude=31.38, longitude=121.58)
    return other, depot


def _available(db, product, place) -> int:
    db.session.rollback()
    return stock.level_of(product, place).available


def _receive(db, product, place, units):
    from app.db import begin_write

    begin_write(db.session)
    stock.record_movement(product, place, "receive", units, actor="test")
    db.session.commit()


def _checkout(client, cart_id, fulfilment, *, card=GOOD_CARD, key=None, headers=None):
    """A card checkout paid on the provider's page: the checkout's answer once the provider has spoken."""
    return checkout_by_card(client, cart_id, card, key=key or uuid.uuid4().hex, headers=headers, fulfilment=fulfilment)


def _line_of(client, cart_id, headers=None) -> int:
    return client.get(f"/api/v1/carts/{cart_id}", headers=headers or {}).get_json()["lines"][0]["id"]


def test_delivery_of_what_the_store_lacks_comes_from_the_warehouse(db, client, shelf, store, elsewhere):
    product, label = shelf
    other, depot = elsewhere
    _receive(db, product, depot, 10)
    cart_id = fill_cart(client, label, qty=2)
    line = _line_of(client, cart_id)
    # The store holds 5, but the warehouse is next to the shopper's home: the router sends from there.
    answer = _checkout(client, cart_id, [{"line": line, "mode": "deliver", "address": HOME}])
    assert answer.status_code == 201, answer.text
    order = answer.get_json()
    assert order["status"] == "paid" and order["channel"] == "online"
    assert order["exit_pass"] is None  # nothing leaves the store's shelf now
    [parcel] = order["fulfilments"]
    assert parcel["mode"] == "deliver" and parcel["from"]["code"] == "WH" and parcel["status"] == "open"
    assert parcel["address_text"] == "Li Lei, 1 Nanjing Rd, Shanghai"
    assert parcel["lines"] == [{"line": order["lines"][0]["id"], "product": product.id, "qty": 2, "picked": 0}]
    assert order["lines"][0]["mode"] == "deliver"
    # The store's basket hold went back; the warehouse's units are held for the parcel until it leaves.
    assert _available(db, product, store) == 5
    assert _available(db, product, depot) == 8
    assert stock.level_of(product, depot).on_hand == 10


def test_collection_at_another_store_is_sent_from_where_it_is_cheapest(db, client, shelf, store, elsewhere):
    product, label = shelf
    other, depot = elsewhere
    _receive(db, product, other, 3)
    cart_id = fill_cart(client, label, qty=1)
    line = _line_of(client, cart_id)
    answer = _checkout(client, cart_id, [{"line": line, "mode": "collect", "location": "hz"}])
    assert answer.status_code == 201, answer.text
    [parcel] = answer.get_json()["fulfilments"]
    # Hangzhou has it: collected where it already is, no trip.
    assert parcel["from"]["code"] == "HZ" and parcel["collect_at"]["code"] == "HZ"
    assert parcel["code"].startswith("F") and len(parcel["code"]) == 12
    assert parcel["expected_at"] is not None
    assert _available(db, product, other) == 2 and _available(db, product, store) == 5


def test_carried_out_and_delivered_lines_in_one_basket(db, client, shelf, store, elsewhere, make_product):
    from app.labels import services as labels

    product, label = shelf
    other, depot = elsewhere
    teapot = make_product(name="Yixing teapot", price_amount=32000)
    labels.ensure_labels([teapot], [store])
    _receive(db, teapot, depot, 2)
    cart_id = fill_cart(client, label, qty=1)
    wanted = {"sku": teapot.sku, "location": store.code, "qty": 1}
    added = client.post(f"/api/v1/carts/{cart_id}/lines", json=wanted)
    assert added.status_code == 409  # none at the store: it cannot be carried out of it
    # For an order from anywhere, the line goes in unheld: the warehouse can send it.
    added = client.post(f"/api/v1/carts/{cart_id}/lines", json=wanted | {"online": True})
    assert added.status_code == 201, added.text
    [teapot_line] = [x for x in added.get_json()["lines"] if x["sku"] == teapot.sku]
    assert teapot_line["held"] is False
    too_many = client.post(f"/api/v1/carts/{cart_id}/lines", json=wanted | {"online": True, "qty": 2})
    assert too_many.status_code == 409  # 3 wanted, 2 can be sent from anywhere
    # Carried out, it is refused; delivered, it comes from the warehouse.
    carry = _checkout(client, cart_id, [])
    assert carry.status_code == 409 and carry.get_json()["error"]["code"] == "insufficient_stock"
    teapot_line = teapot_line["id"]
    answer = _checkout(client, cart_id, [{"line": teapot_line, "mode": "deliver", "address": HOME}])
    assert answer.status_code == 201, answer.text
    order = answer.get_json()
    assert order["channel"] == "phone" and order["exit_pass"] is not None  # the tea is carried out
    assert {line["sku"]: line["mode"] for line in order["lines"]} == {product.sku: "carry_out", teapot.sku: "deliver"}
    [parcel] = order["fulfilments"]
    assert parcel["from"]["code"] == "WH"
    assert stock.level_of(product, store).on_hand == 4  # sold from the shelf
    assert _available(db, teapot, store) == 0 and _available(db, teapot, depot) == 1


@pytest.mark.parametrize(
    "choice, status, code",
    [
        ({"mode": "collect"}, 422, "collect_where"),
        ({"mode": "collect", "location": "WH"}, 422, "not_a_store"),
        ({"mode": "collect", "location": "NOWHERE"}, 404, "location_not_found"),
        ({"mode": "deliver"}, 422, "address_required"),
        ({"mode": "deliver", "address": {"recipient": "Li Lei"}}, 422, "invalid_address"),
        ({"mode": "deliver", "address": {"id": 1}}, 401, "sign_in_for_addresses"),
        ({"mode": "teleport"}, 422, "validation_error"),
    ],
)
def test_a_wrong_choice_is_refused_and_writes_nothing(db, client, shelf, store, elsewhere, choice, status, code):
    product, label = shelf
    other, depot = elsewhere
    _receive(db, product, depot, 4)
    cart_id = fill_cart(client, label, qty=1)
    line = _line_of(client, cart_id)
    answer = _checkout(client, cart_id, [{"line": line, **choice}])
    assert answer.status_code == status, answer.text
    assert answer.get_json()["error"]["code"] == code
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(func.count(Fulfilment.id))) == 0
    assert _available(db, product, store) == 4 and _available(db, product, depot) == 4  # the basket still holds 1


def test_a_line_of_another_basket_is_refused(db, client, shelf):
    product, label = shelf
    cart_id = fill_cart(client, label, qty=1)
    answer = _checkout(client, cart_id, [{"line": 999_999, "mode": "collect", "location": "SH-PUDONG"}])
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "unknown_line"


def test_not_enough_anywhere_is_refused_and_the_basket_keeps_its_hold(db, client, shelf, store, elsewhere):
    product, label = shelf
    other, depot = elsewhere
    _receive(db, product, depot, 1)
    cart_id = fill_cart(client, label, qty=3)
    line = _line_of(client, cart_id)
    store.ships_online = False  # this store sells over its counter only
    db.session.commit()
    answer = _checkout(client, cart_id, [{"line": line, "mode": "deliver", "address": HOME}])
    assert answer.status_code == 409, answer.text
    assert db.session.scalar(select(func.count(Order.id))) == 0
    # Nothing moved: the basket still holds its 3 at the store, the warehouse's unit is free.
    assert _available(db, product, store) == 2 and _available(db, product, depot) == 1
    # Carried out instead, it is paid as before.
    assert _checkout(client, cart_id, [{"line": line, "mode": "carry_out"}]).status_code == 201


def test_a_declined_card_gives_the_parcel_units_back(db, client, shelf, store, elsewhere):
    product, label = shelf
    other, depot = elsewhere
    _receive(db, product, depot, 3)
    cart_id = fill_cart(client, label, qty=2)
    line = _line_of(client, cart_id)
    answer = _checkout(client, cart_id, [{"line": line, "mode": "deliver", "address": HOME}], card=DECLINED_CARD)
    assert answer.status_code == 402
    assert _available(db, product, depot) == 3
    parcel = db.session.scalar(select(Fulfilment))
    assert parcel.status == "cancelled"
    # The basket is open again and can be paid another way.
    retry = _checkout(client, cart_id, [{"line": line, "mode": "deliver", "address": HOME}])
    assert retry.status_code == 201, retry.text
    assert _available(db, product, depot) == 1


def test_a_retried_checkout_makes_one_set_of_parcels(db, client, shelf, store, elsewhere):
    product, label = shelf
    other, depot = elsewhere
    _receive(db, product, depot, 3)
    cart_id = fill_cart(client, label, qty=1)
    line = _line_of(client, cart_id)
    choice = [{"line": line, "mode": "deliver", "address": HOME}]
    first = _checkout(client, cart_id, choice, key="same-key")
    again = _checkout(client, cart_id, choice, key="same-key")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json()["fulfilments"] == again.get_json()["fulfilments"]
    assert db.session.scalar(select(func.count(Fulfilment.id))) == 1
    assert _available(db, product, depot) == 2


def test_a_saved_address_is_used_by_its_member_only(db, shopper, shelf, store, elsewhere, make_member):
    phone, member, headers = shopper
    product, label = shelf
    _receive(db, product, elsewhere[1], 2)
    saved = phone.post("/api/v1/members/me/addresses", json=HOME, headers=headers)
    assert saved.status_code == 201, saved.text
    address_id = saved.get_json()["id"]
    assert [a["id"] for a in phone.get("/api/v1/members/me/addresses").get_json()["items"]] == [address_id]
    cart_id = fill_cart(phone, label, qty=1, headers=headers)
    line = _line_of(phone, cart_id, headers)
    answer = _checkout(
        phone, cart_id, [{"line": line, "mode": "deliver", "address": {"id": address_id}}], headers=headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.get_json()["fulfilments"][0]["address"]["recipient"] == "Li Lei"
    # Removing the address later does not move the parcel.
    assert phone.delete(f"/api/v1/members/me/addresses/{address_id}", headers=headers).status_code == 204
    order = phone.get(f"/api/v1/orders/{answer.get_json()['number']}").get_json()
    assert order["fulfilments"][0]["address_text"] == "Li Lei, 1 Nanjing Rd, Shanghai"
