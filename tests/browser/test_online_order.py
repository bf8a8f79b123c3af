"""A shopper at home orders from the web shop: one item delivered that the nearest store lacks, one collected elsewhere.

The phone is the shopper's; stock arrives through the API as staff would book it. The store the
shopper chose has neither product on its shelf: the delivery is routed to the warehouse (the
receipt says so) and the collection comes from the store it is collected at.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest
import requests

from tests.browser.test_staff_orders import screenshot
from tests.browser.test_web_shop import receive
from tests.payments.hosted import pay_in_browser

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def _sku_of(live_server: LiveServer, index: int) -> tuple[str, str]:
    admin = {"Authorization": f"Bearer {live_server.api_key()}"}
    items = requests.get(live_server.url("/api/v1/labels?location=SH-PUDONG&limit=200"), headers=admin, timeout=10)
    sku = items.json()["items"][index]["sku"]
    product = requests.get(live_server.url(f"/api/v1/products/{sku}"), headers=admin, timeout=10).json()
    return sku, product["name"]


def count_zero(live_server: LiveServer, sku: str, place: str) -> None:
    """A count finds none of it on the shelf there."""
    admin = {"Authorization": f"Bearer {live_server.api_key()}", "Idempotency-Key": uuid.uuid4().hex}
    body = {"sku": sku, "location": place, "reason": "count", "counted": 0}
    answer = requests.post(live_server.url("/api/v1/stock/movements"), json=body, headers=admin, timeout=10)
    assert answer.status_code == 201, answer.text


def _add_from_the_shop(phone: Page, name: str) -> None:
    phone.goto("/?store=SH-PUDONG")
    phone.get_by_role("searchbox", name="Search products").fill(name.split()[0])
    phone.get_by_role("button", name="Search").click()
    phone.locator("[data-result]").filter(has_text=name).first.get_by_role("link").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    expect(phone.locator("[data-stock-text]")).to_have_text("sold out here")
    phone.get_by_role("button", name="Add to basket").click()
    expect(phone.locator("[data-add-result]")).to_have_text(
        "Added. 1 in your basket · not on this store's shelf: at checkout, have it delivered or collect it."
    )


def test_delivered_from_the_warehouse_and_collected_at_another_store(phone: Page, live_server: LiveServer):
    delivered_sku, delivered = _sku_of(live_server, 33)
    collected_sku, collected = _sku_of(live_server, 34)
    for sku in (delivered_sku, collected_sku):
        for place in ("SH-PUDONG", "SH-JINGAN", "SH-WH1"):
            count_zero(live_server, sku, place)
    receive(live_server, delivered_sku, "SH-WH1", 4)  # only the warehouse has it
    receive(live_server, collected_sku, "SH-JINGAN", 2)  # only Jing'an has it

    _add_from_the_shop(phone, delivered)
    _add_from_the_shop(phone, collected)
    phone.goto("/basket")
    lines = phone.locator(".basket-line")
    expect(lines).to_have_count(2)
    expect(lines.first.locator(".held")).to_have_text("Not on this store's shelf: collect it or have it delivered")
    expect(phone.get_by_label(f"How you get {delivered}")).to_have_value("deliver")
    phone.get_by_label(f"How you get {collected}").select_option("collect")
    phone.locator("[data-collect-store]").select_option("SH-JINGAN")
    phone.get_by_label("Recipient").fill("Li Lei")
    phone.get_by_label("Street and number").fill("1 Nanjing Road")
    phone.get_by_label("City").fill("Shanghai")
    phone.get_by_role("radio", name="Card Any bank card").check()
    total = phone.locator("[data-to-pay]").inner_text()
    screenshot(phone, "online-basket.png")
    phone.get_by_role("button", name=f"Pay {total}").click()
    pay_in_browser(phone, "4242 4242 4242 4242")  # the card is typed on the provider's page

    expect(phone).to_have_url(re.compile(r"/orders/[A-Z0-9]{8}$"))
    parcels = phone.locator("[data-parcel]")
    expect(parcels).to_have_count(2)
    by_warehouse = parcels.filter(has_text=delivered)
    expect(by_warehouse.locator(".parcel-route")).to_contain_text(
        "From Minhang Warehouse to Li Lei, 1 Nanjing Road, Shanghai"
    )
    expect(by_warehouse.locator("[data-parcel-status]")).to_have_text("Ordered: Minhang Warehouse will pick it")
    at_jingan = parcels.filter(has_text=collected)
    expect(at_jingan.locator(".parcel-route")).to_contain_text("Collect at Oneshelf Jing'an")
    expect(at_jingan.locator("[data-parcel-qr]")).to_be_visible()
    expect(phone.get_by_text("Show this at the exit")).to_have_count(0)
    screenshot(phone, "online-receipt.png")
    number = phone.url.rsplit("/", 1)[-1]
    admin = {"Authorization": f"Bearer {live_server.api_key()}"}
    order = requests.get(live_server.url(f"/api/v1/orders/{number}"), headers=admin, timeout=10).json()
    assert order["channel"] == "online" and order["status"] == "paid"
    assert sorted((p["mode"], p["from"]["code"]) for p in order["fulfilments"]) == [
        ("collect", "SH-JINGAN"),
        ("deliver", "SH-WH1"),
    ]
