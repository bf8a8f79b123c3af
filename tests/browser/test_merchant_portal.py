"""A concession merchant in the browser: signs in to the portal, sees today's sales, and a new sale arrives live."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest
import requests

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE = "SH-PUDONG"
SKU = "TEA-PORTAL-1"
EMAIL, PASSWORD = "shop@longjing.example.com", "portal-password"


class Counter:
    """The live server's API: an admin who sets the merchant up, and guests who buy at the counter."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.admin = requests.Session()
        self.admin.headers["Authorization"] = f"Bearer {server.api_key()}"

    def call(self, method: str, path: str, body: dict | None = None, status: int = 200) -> dict:
        answer = self.admin.request(
            method, self.server.url(path), json=body, headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30
        )
        assert answer.status_code == status, answer.text
        return answer.json()

    def sale(self, qty: int) -> dict:
        """A guest scans the product's shelf label, pays at the counter, and the clerk takes the cash."""
        self.call(
            "POST", "/api/v1/stock/movements", {"sku": SKU, "location": STORE, "reason": "receive", "delta": qty}, 201
        )
        code = self.call("GET", f"/api/v1/labels?location={STORE}&sku={SKU}")["items"][0]["code"]
        guest = requests.Session()
        cart = guest.post(self.server.url("/api/v1/carts"), timeout=10).json()
        added = guest.post(
            self.server.url(f"/api/v1/carts/{cart['id']}/lines"), json={"code": code, "qty": qty}, timeout=10
        )
        assert added.status_code == 201, added.text
        order = guest.post(
            self.server.url(f"/api/v1/carts/{cart['id']}/checkout"),
            json={"payment": {"method": "counter"}},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        assert order.status_code == 201, order.text
        return self.call("POST", f"/api/v1/orders/{order.json()['number']}/counter-payment", {"how": "cash"})


@pytest.fixture(scope="module")
def counter(live_server: LiveServer) -> Counter:
    """A merchant (made with the CLI) selling one product, with a portal user."""
    shop = Counter(live_server)
    live_server.flask("merchants", "create", "--code", "LONGJING", "--name", "龙井茶行 Longjing", "--rate", "1000")
    live_server.flask("merchants", "create-user", "--merchant", "LONGJING", "--email", EMAIL, "--password", PASSWORD)
    product = {"sku": SKU, "name": "Longjing tea 50 g", "price": {"amount": 6800}, "category": "Tea"}
    shop.call("POST", "/api/v1/products", product, 201)
    merchant = next(m for m in shop.call("GET", "/api/v1/merchants")["items"] if m["code"] == "LONGJING")
    shop.call("PUT", f"/api/v1/merchants/{merchant['id']}/products", {"skus": [SKU]})
    return shop


def test_a_merchant_sees_todays_sales_and_a_new_one_arrives_live(page: Page, counter: Counter) -> None:
    earlier = counter.sale(1)
    page.goto("/merchant/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/merchant/$"))
    expect(page.locator("header")).to_contain_text("龙井茶行 Longjing")
    expect(page.locator("[data-today-lines]")).to_contain_text(earlier["number"])
    expect(page.locator("[data-today-sold]")).to_have_text("CN¥68.00")
    expect(page.locator("[data-live-state]")).to_have_text("Live")

    page.evaluate("window.__notReloaded = true")
    later = counter.sale(2)
    row = page.locator(f'[data-today-lines] tr[data-order="{later["number"]}"]')
    expect(row).to_contain_text(SKU)
    expect(row).to_contain_text("CN¥136.00")
    expect(page.locator("[data-today-sold]")).to_have_text("CN¥204.00")
    assert page.evaluate("window.__notReloaded") is True  # it came without a reload

    # The portal is all a merchant user may open: the staff pages refuse it.
    assert page.request.get("/staff/products").status == 403
