"""Return fixtures: two stores and a warehouse, a product in stock, members with paid orders."""

from __future__ import annotations

import uuid

import pytest

from tests.members import conftest as member_fixtures
from tests.orders.conftest import GOOD_CARD

make_member, member_client = member_fixtures.make_member, member_fixtures.member_client


@pytest.fixture
def places(make_location):
    """(the store it was bought at, another store, the returns warehouse)."""
    bought = make_location(code="SH-PUDONG", name="Oneshelf Pudong")
    other = make_location(code="SH-JINGAN", name="Oneshelf Jing'an")
    warehouse = make_location(
        code="WH-EAST", name="East warehouse", kind="warehouse", address="88 Dock Road, Shanghai 200120"
    )
    return bought, other, warehouse


@pytest.fixture
def tea(db, places, make_product):
    """A product (CN¥68.00) with 10 units at the store it is bought at."""
    from app.stock import services as stock

    product = make_product(name="Jasmine Pearls", price_amount=6800)
    stock.record_movement(product, places[0], "receive", 10, actor="test")
    db.session.commit()
    return product


@pytest.fixture
def cup(db, places, make_product):
    """A second product (CN¥32.00) with 10 units at the store."""
    from app.stock import services as stock

    product = make_product(name="Tea cup", price_amount=3200)
    stock.record_movement(product, places[0], "receive", 10, actor="test")
    db.session.commit()
    return product


def top_up(db, member, amount=100_000):
    from tests.payments.hosted import top_up_by_card

    top_up_by_card(member, amount, GOOD_CARD, f"test-topup-{member.id}-{uuid.uuid4().hex[:8]}")


def give_points(db, member, points):
    from app.members import services as members

    members.add_points(member.id, points)
    db.session.commit()


def paid_order(db, member, store, items, method="wallet", points=0):
    """A paid order of ``items`` [(product, qty)] at ``store``, through checkout."""
    from app.carts import services as carts
    from app.db import begin_write
    from app.orders import services as orders

    begin_write(db.session)
    cart = carts.open_cart(member_id=member.id)
    for product, qty in items:
        carts.add_line(cart, sku=product.sku, qty=qty, location=store.code)
    payment = {"method": method}
    order, _ = orders.checkout(cart, key=uuid.uuid4().hex, request_hash="h", payment=payment, points=points)
    db.session.commit()
    if method == "card":
        from tests.payments.hosted import pay_order_by_card

        order = pay_order_by_card(order, GOOD_CARD)
    elif method == "counter":
        begin_write(db.session)
        orders.confirm_at_counter(order, "cash", "Carla Clerk")
        db.session.commit()
    assert order.status == "paid", order.status
    return order


def points_of(db, member) -> int:
    from app.members.models import Member

    db.session.expire_all()
    return db.session.get(Member, member.id).points


def wallet_of(db, member) -> int:
    from app.payments import wallet

    db.session.expire_all()
    return wallet.wallet_balance(member.id)


def level(db, product, place):
    from app.stock import services as stock

    db.session.expire_all()
    return stock.level_of(product, place)


@pytest.fixture
def staff_client(app, db):
    """A client signed in through the form as a new staff user: (role, location) -> (client, csrf headers)."""
    from app.staff import services
    from tests.conftest import csrf_from

    counter = iter(range(1, 100))

    def sign_in(role="clerk", location=None, name=None):
        n = next(counter)
        user = services.create_staff(
            f"{role}{n}@example.com",
            name or f"{role.title()} {n}",
            "correct-horse",
            role,
            location.id if location else None,
        )
        db.session.commit()
        client = app.test_client()
        form = client.get("/staff/login")
        signed = client.post(
            "/staff/login",
            data={"email": user.email, "password": "correct-horse", "csrf_token": csrf_from(form.text)},
        )
        assert signed.status_code == 302, signed.text
        return client, {"X-CSRFToken": csrf_from(client.get("/staff/returns").text)}

    return sign_in


@pytest.fixture
def shopper(member_client):
    """A signed-in phone: (client, member, headers with the CSRF token)."""
    from tests.conftest import csrf_from

    phone, member = member_client()
    return phone, member, {"X-CSRFToken": csrf_from(phone.get("/account/signin").text)}
