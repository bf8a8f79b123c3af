"""One basket from the kiosk to the phone: what the kiosk program scans is in the phone's basket
once the phone has scanned the kiosk's pairing QR, and the kiosk shows the member's basket."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser.test_kiosk_pairing import open_kiosk_screen, qr_in_screenshot, register_kiosk, sign_up
from tests.browser.test_kiosk_screen import kiosk_program, scan

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def test_items_scanned_at_the_kiosk_are_in_the_phones_basket_after_pairing(
    page: Page, phone: Page, live_server: LiveServer
):
    token, number = register_kiosk(live_server)
    open_kiosk_screen(page, token, number)
    key = live_server.api_key()
    admin = {"Authorization": f"Bearer {key}"}
    chosen = requests.get(live_server.url("/api/v1/products?limit=100"), headers=admin, timeout=10).json()["items"][
        -4:-2
    ]
    for product in chosen:
        received = requests.post(
            live_server.url("/api/v1/stock/movements"),
            json={"sku": product["sku"], "location": "SH-PUDONG", "reason": "receive", "delta": 3},
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        assert received.status_code == 201, received.text
    program = kiosk_program(live_server, token)
    try:
        # Two products by the barcodes on their old packaging, scanned before anyone is known.
        products = [scan(program, p["barcode"])["result"]["product"] for p in chosen]
    finally:
        program.disconnect()
    names = [p["name"] for p in products]
    expect(page.locator("[data-basket] li")).to_have_count(2)

    # The shopper scans the kiosk's pairing QR with the phone, joins, and says yes.
    pairing_path = urlsplit(qr_in_screenshot(page)).path
    phone.goto(pairing_path)
    phone.get_by_role("link", name="Create an account").click()
    sign_up(phone, "Mei Lin")
    phone.get_by_role("button", name="Yes, connect").click()
    expect(page.locator("[data-greeting]")).to_have_text("Hello, Mei")

    phone.goto("/basket")
    lines = phone.get_by_role("list", name="In your basket").get_by_role("listitem")
    expect(lines).to_have_count(2)
    for name in names:
        expect(phone.get_by_role("list", name="In your basket")).to_contain_text(name)
    # The kiosk now shows the member's basket, the same two lines.
    expect(page.locator("[data-basket] li")).to_have_count(2)
    expect(page.locator("[data-basket]")).to_contain_text(re.compile(re.escape(names[0])))
