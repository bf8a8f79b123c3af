"""GET /api/v1/shop/products: the web shop's search, open to anyone, in cursor pages."""

from __future__ import annotations

import pytest

from app.stock import services as stock
from tests.conftest import ean13

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture
def store(db, make_location, make_product):
    """Two stores; green tea is on Pudong's shelf and Jing'an's."""
    pudong = make_location(code="PUDONG", name="Pudong", latitude=31.23, longitude=121.54)
    jingan = make_location(code="JINGAN", name="Jing'an", latitude=31.22, longitude=121.45)
    tea = make_product(sku="TEA-001", name="Longjing Green Tea 龙井绿茶", price_amount=4550, barcode=ean13(7))
    make_product(sku="TEA-002", name="Keemun Black Tea 祁门红茶", category="Tea")
    make_product(sku="SNK-001", name="Dried Mango 芒果干", category="Snacks")
    stock.record_movement(tea, pudong, "receive", 6, actor="test")
    stock.record_movement(tea, jingan, "receive", 2, actor="test")
    db.session.commit()
    return pudong


@both
def test_anyone_can_search_and_sees_price_and_stock(client, store):
    answer = client.get("/api/v1/shop/products?q=绿茶&location=pudong")
    assert answer.status_code == 200, answer.json
    [item] = answer.json["items"]
    assert item["sku"] == "TEA-001" and item["name"] == "Longjing Green Tea 龙井绿茶"
    assert item["price"] == {"amount": 4550, "currency": "CNY", "text": "CN¥45.50"}
    assert item["available_here"] == 6
    assert [(e["location"], e["available"]) for e in item["elsewhere"]] == [("JINGAN", 2)]
    assert item["elsewhere"][0]["km"] == pytest.approx(8.6, abs=0.2)
    assert item["url"] == "/shop/p/TEA-001?store=PUDONG"
    assert answer.json["next_cursor"] is None


@both
def test_search_by_sku_barcode_and_category(client, store):
    def skus(query):
        return [i["sku"] for i in client.get(f"/api/v1/shop/products?{query}").json["items"]]

    assert skus("q=tea-00") == ["TEA-001", "TEA-002"]
    assert skus(f"q={ean13(7)}") == ["TEA-001"]
    assert skus("category=Snacks") == ["SNK-001"]
    assert skus("q=mango&category=Tea") == []
    assert skus("") == ["TEA-001", "TEA-002", "SNK-001"]
    no_store = client.get("/api/v1/shop/products?q=TEA-001").json["items"][0]
    assert no_store["available_here"] is None and len(no_store["elsewhere"]) == 2


def test_pages_follow_next_cursor(client, store):
    first = client.get("/api/v1/shop/products?q=tea&limit=1").json
    second = client.get(f"/api/v1/shop/products?q=tea&limit=1&cursor={first['next_cursor']}").json
    assert [i["sku"] for i in first["items"] + second["items"]] == ["TEA-001", "TEA-002"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("location=NOPE", 404, "location_not_found"),
        ("limit=0", 422, "validation_error"),
        ("limit=100000", 422, "validation_error"),
        ("limit=ten", 422, "validation_error"),
        ("cursor=not-ours", 400, "invalid_cursor"),
        (f"q={'x' * 1000}", 422, "validation_error"),
    ],
)
def test_bad_input_is_a_clear_error(client, store, query, status, code):
    answer = client.get(f"/api/v1/shop/products?{query}")
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code


def test_the_search_is_documented_as_public(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/shop/products"]["get"]
    assert operation["security"] == []
    assert {p["name"] for p in operation["parameters"]} >= {"q", "category", "location", "cursor", "limit"}
