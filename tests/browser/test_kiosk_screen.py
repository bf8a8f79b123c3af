"""The kiosk screen with its kiosk program: products appear as they are scanned, live stock,
codes nobody knows, the member's greeting, and a clerk answering "Call staff" from the help page.

The kiosk program's side is a Socket.IO client sending ``kiosk:scan`` with the device token,
exactly as ``python -m kiosk`` does.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import requests
import socketio

from tests.browser.test_kiosk_pairing import STORE, open_kiosk_screen, register_kiosk, sign_up

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def kiosk_program(live_server: LiveServer, token: str) -> socketio.Client:
    """A connected kiosk program."""
    client = socketio.Client(reconnection=False)
    client.connect(live_server.base_url, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
    return client


def scan(program: socketio.Client, code: str) -> dict:
    """Send one scan the way the kiosk program does and return the server's acknowledgement."""
    payload = {"id": uuid.uuid4().hex, "code": code, "seen_at": datetime.now(UTC).isoformat()}
    ack = program.call("kiosk:scan", payload, namespace="/live", timeout=10)
    assert ack["ok"] is True, ack
    return ack


def a_label(live_server: LiveServer, key: str) -> dict:
    labels = requests.get(
        live_server.url(f"/api/v1/labels?location={STORE[0]}&limit=40"),
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    ).json()["items"]
    return labels[-2]  # one no other browser test buys or counts


def sign_in_clerk(page: Page) -> None:
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill("clerk@oneshelf.test")
    page.get_by_label("Password").fill("demo-clerk-pass")
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/staff/login"))


def test_scanned_products_appear_with_live_stock_and_unknown_codes_ask_for_staff(
    page: Page, live_server: LiveServer, tmp_path
):
    token, number = register_kiosk(live_server)
    open_kiosk_screen(page, token, number)
    key = live_server.api_key()
    label = a_label(live_server, key)
    program = kiosk_program(live_server, token)
    try:
        ack = scan(program, label["url"])
        product = ack["result"]["product"]
        shown = page.locator("[data-product]")
        expect(shown).to_be_visible(timeout=3000)
        expect(shown.get_by_role("heading", level=1)).to_have_text(product["name"])
        expect(page.locator("[data-product-price]")).to_have_text(product["price"])
        here = page.locator("[data-stock-here] [data-available]")
        expect(here).to_have_text(str(product["here"]["available"]))
        expect(page.locator("[data-nearby] li")).to_have_count(len(product["nearby"]))
        basket = page.locator("[data-basket] li")
        expect(basket).to_have_count(1)
        expect(basket.first).to_contain_text(f"1 × {product['name']}")
        expect(page.locator("[data-basket-total-text]")).to_have_text(product["price"])
        page.screenshot(path=str(tmp_path / "kiosk-product.png"))
        # Scanned twice: two in the basket, one more held here.
        scan(program, label["url"])
        expect(basket.first).to_contain_text(f"2 × {product['name']}")
        expect(here).to_have_text(str(product["here"]["available"] - 1))
        # "−" takes one out again and gives it back to the shelf.
        page.get_by_role("button", name=f"One less {product['name']}").click()
        expect(basket.first).to_contain_text(f"1 × {product['name']}")
        expect(here).to_have_text(str(product["here"]["available"]))

        # A sale at the till: the number on the kiosk goes down without a reload.
        sold = requests.post(
            live_server.url("/api/v1/stock/movements"),
            json={"sku": product["sku"], "location": STORE[0], "reason": "sale", "delta": -1},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        assert sold.status_code == 201, sold.text
        expect(here).to_have_text(str(product["here"]["available"] - 1))

        # Out again: nothing stays held for other shoppers' tests on this server.
        page.get_by_role("button", name=f"One less {product['name']}").click()
        expect(basket).to_have_count(0)
        expect(here).to_have_text(str(product["here"]["available"]))

        scan(program, "HTTP://SOMEWHERE.EXAMPLE/Q/NOTACODE")
        expect(page.locator("[data-notice]")).to_contain_text("ask a member of staff")
        expect(page.locator("[data-product]")).to_be_hidden()
        assert page.evaluate("window.sameDocument") is True
    finally:
        program.disconnect()


def test_member_code_scanned_by_the_program_greets_and_call_staff_reaches_a_clerk(
    page: Page, phone: Page, browser, live_server: LiveServer
):
    token, number = register_kiosk(live_server)
    open_kiosk_screen(page, token, number)
    phone.goto("/account/signup")
    sign_up(phone, "Mei Lin")
    phone.goto("/account/code")
    code = phone.locator("figure.code:not([hidden])").get_attribute("data-code")

    program = kiosk_program(live_server, token)
    try:
        assert scan(program, code)["result"]["kind"] == "member"
    finally:
        program.disconnect()
    expect(page.locator("[data-greeting]")).to_have_text("Hello, Mei")

    clerk_context = browser.new_context(base_url=live_server.base_url)
    clerk = clerk_context.new_page()
    try:
        sign_in_clerk(clerk)
        clerk.goto("/staff/help")
        expect(clerk.locator("[data-live-state]")).to_have_text("Live")

        page.get_by_role("button", name="Call staff").click()
        expect(page.locator("[data-help-state]")).to_contain_text("has been called")
        row = clerk.locator("[data-help-requests] tr", has_text=f"kiosk {number}")
        expect(row).to_be_visible()  # appeared without a reload
        row.get_by_role("button", name="On my way").click()
        expect(page.locator("[data-help-state]")).to_contain_text("is on the way")
        expect(page.get_by_role("button", name="Call staff")).to_be_hidden()
    finally:
        clerk_context.close()
