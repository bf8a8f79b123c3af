"""The web shop's pages: / (choose a store, browse, search) and the product page, in the same basket."""

from __future__ import annotations

import json
import re

import pytest

from app.stock import services as stock
from tests.conftest import ean13

HOURS = {"mon": [["09:00", "21:00"]], "tue": [["09:00", "21:00"]], "sun": []}


@pytest.fixture
def shop(db, make_location, make_product):
    pudong = make_location(
        code="PUDONG", name="Oneshelf Pudong", latitude=31.23, longitude=121.54, opening_hours=json.dumps(HOURS)
    )
    jingan = make_location(code="JINGAN", name="Oneshelf Jing'an", latitude=31.22, longitude=121.45)
    make_location(code="DEPOT", name="Minhang Warehouse", kind="warehouse", latitude=31.02, longitude=121.41)
    tea = make_product(sku="TEA-001", name="Longjing Green Tea 龙井绿茶", price_amount=4550, barcode=ean13(90009))
    make_product(sku="SNK-001", name="Dried Mango 芒果干", category="Snacks")
    make_product(sku="OLD-001", name="Retired Green Tea", active=False)
    stock.record_movement(tea, pudong, "receive", 6, actor="test")
    stock.record_movement(tea, jingan, "receive", 2, actor="test")
    db.session.commit()
    return pudong


def cards(html: str) -> list[str]:
    return re.findall(r'data-result data-sku="([^"]+)"', html)


def test_the_home_page_is_the_shop_and_asks_for_a_store(client, shop):
    page = client.get("/")
    assert page.status_code == 200
    assert "Choose your store" in page.text and "Use my location" in page.text
    assert "Oneshelf Pudong" in page.text and "Oneshelf Jing&#39;an" in page.text
    assert "Minhang Warehouse" not in page.text  # no one shops at a warehouse
    assert cards(page.text) == ["TEA-001", "SNK-001"]  # what is still sold
    assert 'href="/staff/"' in page.text  # staff sign in from the footer
    assert "oneshelf_store" not in page.headers.get("Set-Cookie", "")


def test_a_chosen_store_is_remembered(client, shop):
    chosen = client.get("/?store=pudong")
    assert "oneshelf_store=PUDONG" in chosen.headers["Set-Cookie"]
    assert "Shopping at <strong>Oneshelf Pudong</strong>" in chosen.text
    later = client.get("/?q=tea")
    assert "Shopping at <strong>Oneshelf Pudong</strong>" in later.text
    assert "6 in stock here" in later.text
    assert "Change store" in later.text


def test_the_nearest_store_to_the_browser_is_chosen(client, shop):
    near_jingan = client.get("/?lat=31.221&lng=121.451")
    assert "oneshelf_store=JINGAN" in near_jingan.headers["Set-Cookie"]
    assert "Shopping at <strong>Oneshelf Jing&#39;an</strong>" in near_jingan.text
    nonsense = client.get("/?lat=nan&lng=121")
    assert nonsense.status_code == 200 and "Shopping at <strong>Oneshelf Jing&#39;an</strong>" in nonsense.text


def test_a_warehouse_or_unknown_code_is_no_store(client, shop):
    for code in ("DEPOT", "NOPE", "x" * 500):
        page = client.get(f"/?store={code}")
        assert page.status_code == 200 and "Choose your store" in page.text


def test_search_by_chinese_name_sku_and_barcode_and_browse_a_category(client, shop):
    client.get("/?store=PUDONG")
    assert cards(client.get("/?q=绿茶").text) == ["TEA-001"]
    assert cards(client.get("/?q=snk-0").text) == ["SNK-001"]
    assert cards(client.get(f"/?q={ean13(90009)}").text) == ["TEA-001"]
    snacks = client.get("/?category=Snacks")
    assert cards(snacks.text) == ["SNK-001"] and 'aria-current="page">Snacks<' in snacks.text
    assert "Sold out here" in snacks.text
    nothing = client.get("/?q=coffee")
    assert cards(nothing.text) == [] and "Nothing found for “coffee”." in nothing.text


def test_more_results_follow_the_cursor(client, shop, make_product):
    for n in range(30):
        make_product(sku=f"OOL-{n:03d}", name=f"Oolong {n}")
    first = client.get("/?q=oolong")
    assert len(cards(first.text)) == 24
    more = re.search(r'href="([^"]+)" data-more', first.text).group(1).replace("&amp;", "&")
    second = client.get(more)
    assert len(cards(second.text)) == 6 and "data-more" not in second.text
    assert client.get("/?cursor=bogus").status_code == 400


def test_the_product_page_shows_price_stock_nearby_and_hours_and_adds_to_the_same_basket(client, shop):
    page = client.get("/shop/p/TEA-001?store=PUDONG")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for text in ("Longjing Green Tea 龙井绿茶", "CN¥45.50", "Oneshelf Jing&#39;an", "Minhang Warehouse", "09:00–21:00"):
        assert text in page.text, text
    assert re.search(r'data-location="PUDONG"[^>]*>\s*<span class="count" data-available>6</span>', page.text)
    form = re.search(r"<form class=\"add-to-basket\"[^>]*>", page.text).group(0)
    assert 'data-basket-sku="TEA-001"' in form and 'data-location="PUDONG"' in form and 'data-code=""' in form

    cart = client.post("/api/v1/carts").json
    added = client.post(f"/api/v1/carts/{cart['id']}/lines", json={"sku": "TEA-001", "location": "PUDONG", "qty": 2})
    assert added.status_code == 201
    basket = client.get(f"/api/v1/carts/{cart['id']}").json
    assert [(line["sku"], line["qty"], line["location"]) for line in basket["lines"]] == [("TEA-001", 2, "PUDONG")]


def test_the_product_page_without_a_store_asks_for_one(client, shop):
    page = client.get("/shop/p/TEA-001")
    assert page.status_code == 200
    assert "Choose your store" in page.text and "data-add-to-basket" not in page.text
    assert 'href="/shop/p/TEA-001?store=PUDONG"' in page.text


def test_an_unknown_or_retired_product(client, shop):
    missing = client.get("/shop/p/NOPE-1")
    assert missing.status_code == 404 and "We don't sell that" in missing.text
    retired = client.get("/shop/p/OLD-001?store=PUDONG")
    assert "no longer sold" in retired.text and "data-add-to-basket" not in retired.text
