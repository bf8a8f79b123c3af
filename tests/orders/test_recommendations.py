"""Often bought together on the phone's product pages; "For you" on a member's own account page only."""

from __future__ import annotations

from sqlalchemy import select

from app.labels.models import Label
from tests.conftest import csrf_from
from tests.orders.conftest import fill_cart, pay


def _label(db, product, store):
    from app.labels import services as labels

    labels.ensure_labels([product], [store])
    db.session.commit()
    return db.session.scalar(select(Label).filter_by(product_id=product.id, location_id=store.id))


def _buy(db, client, headers, labels):
    cart_id = fill_cart(client, labels[0], headers=headers)
    for label in labels[1:]:
        added = client.post(f"/api/v1/carts/{cart_id}/lines", json={"code": label.code, "qty": 1}, headers=headers)
        assert added.status_code == 201, added.text
    assert pay(client, cart_id, {"method": "wallet"}, headers=headers).status_code == 201


def _member(db, member_client, login, name):
    from app.payments import wallet

    client, member = member_client(login, name)
    wallet.credit(member.id, 100000, "CNY", "topup", None)
    db.session.commit()
    return client, member, {"X-CSRFToken": csrf_from(client.get("/account/signin").text)}


def test_bought_together_shows_on_the_phone_and_for_you_is_each_members_own(
    app, db, store, make_product, member_client
):
    from app.stock import services as stock

    tea, cup, pot, honey, kettle = (
        make_product(sku=sku, name=name, price_amount=1000)
        for sku, name in (
            ("TEA", "Green tea"),
            ("CUP", "Tea cup"),
            ("POT", "Tea pot"),
            ("HNY", "Honey"),
            ("KTL", "Kettle"),
        )
    )
    labels = {}
    for product in (tea, cup, pot, honey, kettle):
        stock.record_movement(product, store, "receive", 10, actor="test")
        labels[product.sku] = _label(db, product, store)
    db.session.commit()
    ada, ada_member, ada_headers = _member(db, member_client, "ada@example.com", "Ada Li")
    bo, bo_member, bo_headers = _member(db, member_client, "bo@example.com", "Bo Chen")
    _buy(db, ada, ada_headers, [labels["TEA"], labels["CUP"]])
    _buy(db, bo, bo_headers, [labels["TEA"], labels["POT"]])
    ada.get(f"/q/{labels['KTL'].code}")  # Ada looked at a kettle and did not buy it

    page = bo.get(f"/q/{labels['TEA'].code}").text
    assert "Often bought together" in page and "Tea cup" in page and "Tea pot" in page
    assert "Often bought together" in bo.get("/shop/p/TEA").text

    mine = ada.get("/account").text
    assert 'data-for-you-sku="POT"' in mine  # goes with the tea Ada bought
    assert 'data-for-you-sku="KTL"' in mine  # Ada looked at it
    assert 'data-for-you-sku="CUP"' not in mine and 'data-for-you-sku="TEA"' not in mine  # bought already
    theirs = bo.get("/account").text
    assert 'data-for-you-sku="CUP"' in theirs
    assert "KTL" not in theirs  # what Ada looked at is Ada's alone
    assert "For you" not in app.test_client().get("/account", follow_redirects=True).text
