"""Click & collect at another store, on a phone and the store's parcel desk.

The shopper fills a basket at one store and chooses to collect it at another; the clerk there
picks by scanning (a wrong product is refused), packs and marks it ready; the shopper's receipt
says "ready" without being reloaded; the clerk scans the collection QR off the phone.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest
import requests

from tests.browser.test_phone_checkout import qr_of
from tests.browser.test_staff_orders import scan_like_a_hand_scanner, screenshot
from tests.payments.hosted import pay_in_browser

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

SHOP, PICKUP = "SH-PUDONG", "SH-JINGAN"


def _admin(live_server: LiveServer) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {live_server.api_key()}"
    return session


def _label(admin: requests.Session, live_server: LiveServer, location: str, index: int | None = None, sku=None):
    query = f"/api/v1/labels?location={location}&limit=200" + (f"&sku={sku}" if sku else "")
    items = admin.get(live_server.url(query), timeout=10).json()["items"]
    return items[index or 0]


def _receive(admin, live_server, sku: str, location: str, units: int) -> None:
    answer = admin.post(
        live_server.url("/api/v1/stock/movements"),
        json={"sku": sku, "location": location, "reason": "receive", "delta": units},
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def test_collect_at_another_store_follows_the_clerk_live(phone: Page, page: Page, live_server: LiveServer):
    admin = _admin(live_server)
    label = _label(admin, live_server, SHOP, 36)
    wrong = _label(admin, live_server, PICKUP, 37)
    _receive(admin, live_server, label["sku"], SHOP, 2)
    _receive(admin, live_server, label["sku"], PICKUP, 2)
    there = _label(admin, live_server, PICKUP, sku=label["sku"])
    clerk = f"clerk.{uuid.uuid4().hex[:8]}@example.com"
    live_server.flask(
        "staff", "create", "--email", clerk, "--name", "Jun", "--location", PICKUP, "--password", "pick-pass-1"
    )

    # The shopper adds it at Pudong and chooses to collect it at Jing'an.
    phone.goto(f"/q/{label['code']}")
    name = phone.get_by_role("heading", level=1).inner_text()
    phone.get_by_role("button", name="Add to basket").click()
    expect(phone.locator("[data-add-result]")).to_contain_text("Added.")
    phone.goto("/basket")
    phone.get_by_label(f"How you get {name}").select_option("collect")
    phone.locator("[data-collect-store]").select_option(PICKUP)
    phone.get_by_role("radio", name="Card Any bank card").check()
    total = phone.locator("[data-to-pay]").inner_text()
    phone.get_by_role("button", name=f"Pay {total}").click()
    pay_in_browser(phone, "4242 4242 4242 4242")  # the card is typed on the provider's page
    expect(phone).to_have_url(re.compile(r"/orders/[A-Z0-9]{8}$"))
    number = phone.url.rsplit("/", 1)[-1]
    parcel = phone.locator("[data-parcel]")
    expect(parcel).to_have_count(1)
    expect(parcel.locator("[data-parcel-status]")).to_have_text("Ordered: Oneshelf Jing'an will pick it")
    expect(parcel).to_contain_text("Collect at Oneshelf Jing'an")
    expect(phone.get_by_text("Show this at the exit")).to_have_count(0)  # nothing leaves Pudong's shelf
    phone.evaluate("window.sameDocument = true")
    screenshot(phone, "collect-receipt-ordered.png")

    # The clerk at Jing'an.
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(clerk)
    page.get_by_label("Password").fill("pick-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/parcels")
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    card = page.locator("[data-parcel]").filter(has_text=f"Order {number}")
    expect(card).to_be_visible()
    card.get_by_role("button", name="Pick items").click()
    field = page.locator("[data-scan-input]")
    expect(page.locator("[data-scan-label]")).to_have_text(f"Scan each item of order {number}")
    scan_like_a_hand_scanner(page, field, wrong["code"])
    expect(page.locator("[data-scan-answer]")).to_contain_text("is not in this parcel")
    scan_like_a_hand_scanner(page, field, there["code"])
    expect(page.locator("[data-scan-answer]")).to_contain_text(f"All picked for order {number}")
    expect(phone.locator("[data-parcel-status]")).to_have_text("Being picked at Oneshelf Jing'an")
    card.get_by_role("button", name="Packed").click()
    expect(card.get_by_role("button", name="Ready for collection")).to_be_visible()
    screenshot(page, "collect-desk.png")
    card.get_by_role("button", name="Ready for collection").click()

    # The phone says so without a reload, and opens the collection QR.
    expect(phone.locator("[data-parcel-status]")).to_have_text("Ready for collection at Oneshelf Jing'an")
    assert phone.evaluate("window.sameDocument") is True
    code = qr_of(phone, "[data-parcel-qr]")
    screenshot(phone, "collect-receipt-ready.png")

    # At the counter: the clerk scans the QR on the phone.
    expect(page.locator("[data-scan-label]")).to_contain_text("hand over")
    scan_like_a_hand_scanner(page, field, code)
    expect(page.locator("[data-scan-answer]")).to_have_text(f"Hand over order {number}: 1 × {name}.")
    expect(phone.locator("[data-parcel-status]")).to_have_text("Collected")
    order = admin.get(live_server.url(f"/api/v1/orders/{number}"), timeout=10).json()
    assert [p["status"] for p in order["fulfilments"]] == ["collected"]
    # A second scan of the same QR hands over nothing.
    scan_like_a_hand_scanner(page, field, code)
    expect(page.locator("[data-scan-answer]")).to_have_text("Nothing is ready for collection here for this code.")
