"""The web shop on a phone: choose a store, search, open a product, add it to the basket, see it there."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import requests

from tests.browser.conftest import _new_page

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def receive(live_server: LiveServer, sku: str, store: str, units: int) -> None:
    """Units arrive at a store, as staff would book them."""
    admin = {"Authorization": f"Bearer {live_server.api_key()}", "Idempotency-Key": uuid.uuid4().hex}
    body = {"sku": sku, "location": store, "reason": "receive", "delta": units}
    answer = requests.post(live_server.url("/api/v1/stock/movements"), json=body, headers=admin, timeout=10)
    assert answer.status_code == 201, answer.text


def test_choose_a_store_search_and_add_to_the_basket(phone: Page, live_server: LiveServer):
    receive(live_server, "TEA-001", "SH-PUDONG", 5)
    phone.goto("/")
    stores = phone.locator("#stores")
    expect(stores.get_by_text("Choose your store")).to_be_visible()
    stores.get_by_role("link", name=re.compile("Oneshelf Pudong")).click()
    expect(phone.locator(".web-here")).to_contain_text("Shopping at Oneshelf Pudong")

    phone.get_by_role("searchbox", name="Search products").fill("绿茶")
    phone.get_by_role("button", name="Search").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Results for “绿茶”")
    results = phone.locator("[data-result]")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Longjing Green Tea 龙井绿茶")
    expect(results.first.locator("[data-here]")).to_have_text(re.compile(r"^\d+ (in stock|left) here$"))
    results.first.get_by_role("link").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Longjing Green Tea 龙井绿茶")
    expect(phone.get_by_label("Price")).to_have_text(re.compile(r"^CN¥\d+\.\d\d$"))
    expect(phone.locator(".nearby")).to_contain_text("Oneshelf Jing'an")
    expect(phone.locator("[data-live-state]")).to_have_text("Live")
    phone.get_by_role("button", name="Add to basket").click()
    expect(phone.locator("[data-add-result]")).to_have_text(
        re.compile(r"Added\. 1 in your basket · held for you until \d\d:\d\d\.")
    )
    phone.get_by_role("link", name="View basket (1)").click()
    line = phone.locator(".basket-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Longjing Green Tea 龙井绿茶")

    # Back in the shop the store is remembered, and a category narrows what is shown.
    phone.goto("/")
    expect(phone.locator(".web-here")).to_contain_text("Shopping at Oneshelf Pudong")
    phone.locator(".web-categories").get_by_role("link", name="Snacks").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Snacks")
    expect(phone.locator("[data-result]")).to_have_count(8)


@pytest.fixture
def phone_in_jingan(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone standing on West Nanjing Road that lets the shop know where it is."""
    yield from _new_page(
        browser,
        live_server,
        **PHONE,
        geolocation={"latitude": 31.2245, "longitude": 121.4470},
        permissions=["geolocation"],
    )


def test_the_nearest_store_is_chosen_when_the_phone_tells_where_it_is(phone_in_jingan: Page):
    phone_in_jingan.goto("/")
    expect(phone_in_jingan.locator(".web-here")).to_contain_text("Shopping at Oneshelf Jing'an")
    expect(phone_in_jingan).to_have_url(re.compile(r"/$"))  # the position does not stay in the address
    phone_in_jingan.locator("#stores summary").click()
    expect(phone_in_jingan.locator(".web-store-card.current")).to_contain_text("Your store")
