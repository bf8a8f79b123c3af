"""What others bought with a product, as the kiosk shows it."""

from __future__ import annotations

from app.kiosks.scanning import product_view
from app.stock import services as stock
from tests.orders.conftest import GOOD_CARD
from tests.payments.hosted import checkout_by_card


def test_the_kiosk_shows_what_was_bought_together_once_there_are_orders(db, client, shelf, store, make_product):
    product, label = shelf
    tea_cups, kettle = make_product(name="Tea cups"), make_product(name="Kettle")
    for other in (tea_cups, kettle):
        stock.record_movement(other, store, "receive", 5, actor="test")
    db.session.commit()
    assert product_view(product, store)["together_title"] == "Others also looked at"

    def order(*skus):
        cart = client.post("/api/v1/carts").get_json()["id"]
        client.post(f"/api/v1/carts/{cart}/lines", json={"code": label.code})
        for sku in skus:
            client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "location": store.code})
        assert checkout_by_card(client, cart, GOOD_CARD).status_code == 201

    order(tea_cups.sku, kettle.sku)
    order(tea_cups.sku)
    view = product_view(product, store)
    assert view["together_title"] == "Often bought together"
    assert [item["name"] for item in view["together"]] == ["Tea cups", "Kettle"]
