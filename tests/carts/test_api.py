"""Carts through the API: lines held at the store, quantities, access, and one basket from kiosk to phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.stock import services as stock
from tests.conftest import csrf_from


@pytest.fixture
def shelf(db, store, make_product):
    """A product with a shelf label at the store and 3 units there."""
    from app.labels import services as labels
    from app.labels.models import Label

    product = make_product(name="Jasmine Pearls", price_amount=6800)
    labels.ensure_labels([product], [store])
    stock.record_movement(product, store, "receive", 3, actor="test")
    db.session.commit()
    label = db.session.scalar(select(Label).filter_by(product_id=product.id, location_id=store.id))
    return product, label


def available(db, product, store) -> int:
    db.session.expire_all()
    return stock.level_of(product, store).available


def new_cart(client, **kwargs) -> dict:
    response = client.post("/api/v1/carts", **kwargs)
    assert response.status_code == 201, response.text
    return response.get_json()


def test_a_guest_adds_by_scanning_and_the_units_are_held(db, client, shelf, store):
    product, label = shelf
    cart = new_cart(client)
    added = client.post(
        f"/api/v1/carts/{cart['id']}/lines", json={"code": f"HTTP://SHOP.TEST/Q/{label.code}", "qty": 2}
    )
    assert added.status_code == 201, added.text
    body = added.get_json()
    line = body["lines"][0]
    assert (line["sku"], line["location"], line["qty"], line["held"]) == (product.sku, store.code, 2, True)
    assert (body["total"], body["total_text"], body["items"]) == (13600, "CN¥136.00", 2)
    assert available(db, product, store) == 1

    more = client.post(f"/api/v1/carts/{cart['id']}/lines", json={"sku": product.sku, "location": store.code})
    assert more.get_json()["lines"][0]["qty"] == 3 and available(db, product, store) == 0
    # Nothing left: a fourth is refused and the cart keeps its three.
    refused = client.post(f"/api/v1/carts/{cart['id']}/lines", json={"sku": product.sku, "location": store.code})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "insufficient_stock"
    assert client.get(f"/api/v1/carts/{cart['id']}").get_json()["lines"][0]["qty"] == 3


def test_changing_and_removing_lines_moves_the_hold(db, client, shelf, store):
    product, label = shelf
    cart = new_cart(client)
    line = client.post(f"/api/v1/carts/{cart['id']}/lines", json={"code": label.code, "qty": 3}).get_json()["lines"][0]
    down = client.patch(f"/api/v1/carts/{cart['id']}/lines/{line['id']}", json={"qty": 1})
    assert down.status_code == 200 and available(db, product, store) == 2
    too_many = client.patch(f"/api/v1/carts/{cart['id']}/lines/{line['id']}", json={"qty": 4})
    assert too_many.status_code == 409 and available(db, product, store) == 2  # the old hold stayed
    gone = client.delete(f"/api/v1/carts/{cart['id']}/lines/{line['id']}")
    assert gone.status_code == 200 and gone.get_json()["lines"] == [] and available(db, product, store) == 3


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "code_or_sku"),
        ({"code": "X", "sku": "Y"}, "code_or_sku"),
        ({"sku": "SKU-0001"}, "missing_location"),
        ({"code": "NOPE1234"}, "unknown_code"),
        ({"code": "{label}", "qty": 0}, "invalid_quantity"),
        ({"code": "{label}", "qty": 100}, "invalid_quantity"),
        ({"code": "{label}", "qty": "2"}, "validation_error"),
        ({"code": "{label}", "colour": "red"}, "validation_error"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_held(db, client, shelf, store, body, code):
    product, label = shelf
    cart = new_cart(client)
    body = {k: (label.code if v == "{label}" else v) for k, v in body.items()}
    response = client.post(f"/api/v1/carts/{cart['id']}/lines", json=body)
    assert response.status_code in (404, 422) and response.get_json()["error"]["code"] == code
    assert available(db, product, store) == 3


def test_a_members_cart_is_theirs_alone(app, db, member_client, shelf):
    _, label = shelf
    phone, member = member_client()
    csrf = {"X-CSRFToken": csrf_from(phone.get("/account/signin").text)}
    cart = new_cart(phone, headers=csrf)
    assert cart["member"] == member.id
    assert new_cart(phone, headers=csrf)["id"] == cart["id"]  # one open cart per member
    no_csrf = phone.post(f"/api/v1/carts/{cart['id']}/lines", json={"code": label.code})
    assert no_csrf.status_code == 400
    other, _ = member_client(login="li@example.com", name="Li Wei")
    assert other.get(f"/api/v1/carts/{cart['id']}").status_code == 403
    assert app.test_client().get(f"/api/v1/carts/{cart['id']}").status_code == 403
    assert app.test_client().get("/api/v1/carts/not-a-cart").status_code == 404


def test_items_scanned_at_a_kiosk_join_the_members_basket_on_identification(app, db, make_device, make_member, shelf):
    from app.kiosks import services as kiosks
    from app.members import codes

    product, label = shelf
    device, token = make_device()
    kiosk = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    cart = new_cart(kiosk, headers=bearer)
    assert cart["member"] is None
    kiosk.post(f"/api/v1/carts/{cart['id']}/lines", json={"code": label.code, "qty": 2}, headers=bearer)

    member = make_member(name="Mei Lin")
    # The member shows their code at the kiosk: the kiosk's basket becomes theirs.
    identified = kiosk.post("/api/v1/kiosk/identify", json={"code": codes.codes_ahead(member)[0].code}, headers=bearer)
    assert identified.status_code == 200
    mine = new_cart(kiosk, headers=bearer)
    assert mine["member"] == member.id and [(x["sku"], x["qty"]) for x in mine["lines"]] == [(product.sku, 2)]
    assert kiosk.get(f"/api/v1/carts/{cart['id']}", headers=bearer).get_json()["status"] == "merged"
    assert available(db, product, store_of(device)) == 1  # the hold moved with the line, nothing doubled
    assert kiosks.current_session(device).member_id == member.id


def store_of(device):
    return device.location


def test_an_add_retried_with_its_key_holds_once(db, client, shelf, store):
    product, label = shelf
    cart = new_cart(client)
    url, key = f"/api/v1/carts/{cart['id']}/lines", {"Idempotency-Key": "add-jasmine-1"}
    first = client.post(url, json={"code": label.code}, headers=key)
    again = client.post(url, json={"code": label.code}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["lines"][0]["qty"] == 1 and available(db, product, store) == 2
    # The same key on another cart is that cart's own.
    other = new_cart(client)
    assert client.post(f"/api/v1/carts/{other['id']}/lines", json={"code": label.code}, headers=key).status_code == 201
    assert available(db, product, store) == 1
