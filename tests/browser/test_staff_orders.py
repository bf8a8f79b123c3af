"""A clerk in the browser: the exit-pass check at the door, and taking money at the counter."""

from __future__ import annotations

import base64
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from app.demo import CLERK
from app.labels.qr import qr_png
from tests.payments.hosted import pay_with_requests

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE = "SH-PUDONG"
SKU = "STA-037"  # a demo product no other browser test buys
GOOD_CARD = "4242 4242 4242 4242"
RED = "rgb(179, 38, 30)"  # --danger in app.css


class Shop:
    """The live server's API: an admin key for stock, and guests who buy through it."""

    def __init__(self, server: LiveServer, key: str) -> None:
        self.server = server
        self.admin = requests.Session()
        self.admin.headers["Authorization"] = f"Bearer {key}"

    def receive(self, sku: str, delta: int) -> None:
        body = {"sku": sku, "location": STORE, "reason": "receive", "delta": delta}
        answer = self.admin.post(
            self.server.url("/api/v1/stock/movements"),
            json=body,
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text

    def label_code(self, sku: str) -> str:
        answer = self.admin.get(self.server.url(f"/api/v1/labels?location={STORE}&sku={sku}"), timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"][0]["code"]

    def guest_order(self, payment: dict, qty: int = 1) -> dict:
        """A guest (no sign-in) scans the demo label and pays; the order the API answers."""
        self.receive(SKU, qty)
        guest = requests.Session()
        cart = guest.post(self.server.url("/api/v1/carts"), timeout=10).json()
        added = guest.post(
            self.server.url(f"/api/v1/carts/{cart['id']}/lines"),
            json={"code": self.label_code(SKU), "qty": qty},
            timeout=10,
        )
        assert added.status_code == 201, added.text
        checkout = self.server.url(f"/api/v1/carts/{cart['id']}/checkout")
        key = {"Idempotency-Key": uuid.uuid4().hex}
        paid = guest.post(checkout, json={"payment": payment}, headers=key, timeout=30)
        assert paid.status_code == 201, paid.text
        if payment["method"] == "card":  # paid on the provider's page; the checkout asked again answers paid
            pay_with_requests(guest, paid.json()["next_action"]["redirect_url"], GOOD_CARD)
            paid = guest.post(checkout, json={"payment": payment}, headers=key, timeout=30)
        return paid.json()


@pytest.fixture(scope="module")
def shop(live_server: LiveServer) -> Shop:
    return Shop(live_server, live_server.api_key())


def sign_in(page: Page, who: tuple[str, str, str]) -> None:
    email, _, password = who
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot when SCREENSHOT_DIR says where (to look at the pages)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def scan_like_a_hand_scanner(page: Page, field, code: str) -> None:
    """A USB / Bluetooth scanner types the code key by key, then Enter."""
    field.press_sequentially(code, delay=5)
    field.press("Enter")


def test_the_clerk_lets_an_order_out_once(page: Page, shop: Shop) -> None:
    order = shop.guest_order({"method": "card"}, qty=2)
    token, name = order["exit_pass"]["token"], order["lines"][0]["name"]

    sign_in(page, CLERK)
    page.get_by_role("link", name="Exit", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/exit$"))
    field = page.get_by_label("Exit pass")
    expect(field).to_be_focused()
    expect(page.locator("[data-exit-result]")).to_have_text("Ready for the next exit pass.")
    page.evaluate("window.sameDesk = true")  # gone if the page reloads

    scan_like_a_hand_scanner(page, field, token)
    verdict = page.locator("[data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "ok")
    expect(verdict.locator(".verdict")).to_have_text("OK — let them out")
    line = verdict.locator("table.exit-lines tbody tr")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(name)
    expect(line.locator("td.qty")).to_have_text("2")
    expect(verdict).to_contain_text(order["number"])
    # Ready for the next shopper: the same page, an empty field with the cursor in it.
    expect(field).to_have_value("")
    expect(field).to_be_focused()
    assert page.evaluate("window.sameDesk === true")
    screenshot(page, "staff-exit-ok.png")

    scan_like_a_hand_scanner(page, field, token)
    expect(verdict).to_have_attribute("data-verdict", "used")
    headline = verdict.locator(".verdict")
    expect(headline).to_have_text(re.compile(rf"^Already used at \d\d:\d\d by {CLERK[1]}$"))
    assert headline.evaluate("el => getComputedStyle(el).color") == RED
    expect(verdict).not_to_contain_text("let them out")
    screenshot(page, "staff-exit-used.png")

    scan_like_a_hand_scanner(page, field, "EX-NOTOURS2345")
    expect(verdict).to_have_attribute("data-verdict", "unknown")
    expect(verdict.locator(".verdict")).to_have_text("Not an exit pass of ours")
    assert page.evaluate("window.sameDesk === true")


# The camera path: scanner.js decodes a frame (here the QR as an image) and fills the field.
SCAN_INTO = """async ([src, id]) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  return await OneshelfScanner.scanSource(img, document.getElementById(id), { native: false });
}"""


def test_a_camera_scan_checks_the_pass_without_a_key_pressed(page: Page, shop: Shop) -> None:
    order = shop.guest_order({"method": "card"})
    token = order["exit_pass"]["token"]
    qr = "data:image/png;base64," + base64.b64encode(qr_png(token)).decode()

    sign_in(page, CLERK)
    page.goto("/staff/exit")
    assert page.evaluate(SCAN_INTO, [qr, "exit-code"]) == token
    verdict = page.locator("[data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "ok")
    expect(verdict).to_contain_text(order["lines"][0]["name"])
    expect(page.get_by_label("Exit pass")).to_have_value("")


def test_the_clerk_takes_cash_at_the_counter(page: Page, shop: Shop) -> None:
    order = shop.guest_order({"method": "counter"})
    number = order["number"]
    assert order["status"] == "awaiting_counter"

    sign_in(page, CLERK)
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/orders$"))
    expect(page.locator(f'tr[data-number="{number}"]')).to_contain_text("awaiting counter")
    screenshot(page, "staff-orders.png")

    scan_like_a_hand_scanner(page, page.get_by_role("textbox", name=re.compile("^Counter")), number.lower())
    expect(page).to_have_url(re.compile(rf"/staff/orders/{number}$"))
    expect(page.get_by_role("heading", level=2, name=re.compile("at the counter"))).to_have_text(
        f"Take {order['total_text']} at the counter"
    )
    screenshot(page, "staff-order-counter.png")

    page.get_by_role("button", name="Took cash").click()
    expect(page).to_have_url(re.compile(rf"/staff/orders/{number}$"))
    expect(page.locator(".flash.info")).to_contain_text(f"Paid: {order['total_text']} by cash.")
    expect(page.get_by_role("heading", level=1).locator("[data-status]")).to_have_text("paid")
    expect(page.get_by_role("button", name="Took cash")).to_have_count(0)
    expect(page.locator("dl.payment")).to_contain_text(f"cash, by {CLERK[1]}")
    expect(page.locator("dl.exit-pass")).to_contain_text("not yet")
    screenshot(page, "staff-order-paid.png")
