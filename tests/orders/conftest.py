"""Order fixtures: a store with a labelled product in stock, carts, members with money."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from
from tests.kiosks import conftest as kiosk_fixtures
from tests.members import conftest as member_fixtures

store, make_device, kiosk_screen = kiosk_fixtures.store, kiosk_fixtures.make_device, kiosk_fixtures.kiosk_screen
make_member, member_client = member_fixtures.make_member, member_fixtures.member_client

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
NO_FUNDS_CARD = "4000 0000 0000 9995"


@pytest.fixture
def shelf(db, store, make_product):
    """A product (CN¥68.00) with a shelf label at the store and 5 units there."""
    from app.labels import services as labels
    from app.labels.models import Label
    from app.stock import services as stock

    product = make_product(name="Jasmine Pearls", price_amount=6800)
    labels.ensure_labels([product], [store])
    stock.record_movement(product, store, "receive", 5, actor="test")
    db.session.commit()
    label = db.session.scalar(select(Label).filter_by(product_id=product.id, location_id=store.id))
    return product, label


@pytest.fixture
def shopper(member_client):
    """A signed-in phone: (client, member, headers with the CSRF token)."""
    phone, member = member_client()
    headers = {"X-CSRFToken": csrf_from(phone.get("/account/signin").text)}
    return phone, member, headers


def fill_cart(client, label, qty=1, headers=None) -> str:
    cart = client.post("/api/v1/carts", headers=headers or {}).get_json()
    added = client.post(
        f"/api/v1/carts/{cart['id']}/lines", json={"code": label.code, "qty": qty}, headers=headers or {}
    )
    assert added.status_code == 201, added.text
    return cart["id"]


def pay(client, cart_id, payment, *, key=None, headers=None, points=0):
    body = {"payment": payment, **({"points": points} if points else {})}
    return client.post(
        f"/api/v1/carts/{cart_id}/checkout",
        json=body,
        headers={"Idempotency-Key": key or uuid.uuid4().hex, **(headers or {})},
    )
