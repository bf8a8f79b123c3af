"""A member meets a kiosk: by showing the member code, or by scanning the kiosk's pairing QR.

The kiosk is registered with ``flask devices create`` like staff do; the kiosk screen is a
desktop page, the shopper a phone-sized page; the kiosk greets without a reload.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE = ("SH-PUDONG", "Oneshelf Pudong")


def register_kiosk(live_server: LiveServer) -> tuple[str, int]:
    """``flask devices create`` as staff run it: the token (last line) and the kiosk's number."""
    output = live_server.flask("devices", "create", "--location", STORE[0], "--name", "Kiosk 3")
    number = re.search(r"Created kiosk (\d+)", output)
    assert number, output
    return output.strip().splitlines()[-1], int(number.group(1))


def open_kiosk_screen(page: Page, token: str, number: int) -> None:
    """Sign the screen in once with the token; wait until it follows its session live."""
    page.goto(f"/kiosk?token={token}")
    expect(page).to_have_url(re.compile(r"/kiosk$"))  # the token left the address bar
    expect(page.locator(".kiosk-where")).to_have_text(f"Kiosk {number} · {STORE[1]}")
    expect(page.locator("[data-greeting]")).to_have_text("Welcome")
    expect(page.get_by_role("button", name="Done · sign out")).to_be_hidden()  # nobody to sign out yet
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads


def sign_up(phone: Page, name: str) -> None:
    """Fill the real sign-up form (the phone is wherever the flow brought it)."""
    phone.get_by_label("Your name").fill(name)
    phone.get_by_label("E-mail or mobile number").fill(f"mei.{uuid.uuid4().hex[:10]}@example.com")
    phone.get_by_label("Password (8 characters or more)").fill("long-password")
    phone.get_by_role("button", name="Create my account").click()


def qr_in_screenshot(page: Page) -> str:
    """What the QR on the kiosk screen says, read from pixels like a phone camera would."""
    png = page.locator("[data-pairing-qr] svg").screenshot()
    found = zbar_decode(Image.open(io.BytesIO(png)), symbols=[ZBarSymbol.QRCODE])
    assert len(found) == 1, "the pairing QR does not decode"
    return found[0].data.decode()


def test_member_code_redeemed_by_the_kiosk_greets_the_member(page: Page, phone: Page, live_server: LiveServer):
    token, number = register_kiosk(live_server)
    open_kiosk_screen(page, token, number)

    phone.goto("/account/signup")
    sign_up(phone, "Mei Lin")
    phone.goto("/account/code")
    code = phone.locator("figure.code:not([hidden])").get_attribute("data-code")
    assert code and code.startswith("MC-")

    # The kiosk's scanner read the code off the phone; the kiosk program sends it with its token.
    response = requests.post(
        live_server.url("/api/v1/kiosk/identify"),
        json={"code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["member"]["first_name"] == "Mei"

    expect(page.locator("[data-greeting]")).to_have_text("Hello, Mei")
    expect(page.locator("[data-pair-panel]")).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True

    # Done: the next shopper gets an anonymous session and a fresh pairing QR.
    page.get_by_role("button", name="Done · sign out").click()
    expect(page.locator("[data-greeting]")).to_have_text("Welcome")
    expect(page.locator("[data-pair-panel]")).to_be_visible()
    expect(page.get_by_role("button", name="Done · sign out")).to_be_hidden()


def test_phone_scans_the_pairing_qr_confirms_and_the_kiosk_greets(page: Page, phone: Page, live_server: LiveServer):
    token, number = register_kiosk(live_server)
    page.clock.install()
    open_kiosk_screen(page, token, number)

    qr = page.locator("[data-pairing-qr]")
    first_url = qr.get_attribute("data-pairing-url")
    assert qr_in_screenshot(page) == first_url
    assert first_url.startswith(live_server.url("/pair/"))
    # The screen asks for the next code before this one expires, without a reload.
    page.clock.fast_forward(61_000)
    expect(qr).not_to_have_attribute("data-pairing-url", first_url)
    pairing_url = qr.get_attribute("data-pairing-url")
    assert qr_in_screenshot(page) == pairing_url
    assert page.evaluate("window.sameDocument") is True

    # A new shopper: the code sends them to sign in; they create an account and come back.
    pairing_path = urlsplit(pairing_url).path
    phone.goto(pairing_path)
    expect(phone).to_have_url(re.compile(r"/account/signin\?next="))
    phone.get_by_role("link", name="Create an account").click()
    sign_up(phone, "Mei Lin")
    expect(phone).to_have_url(re.compile(re.escape(pairing_path) + "$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Connect to kiosk {number} at {STORE[1]}?")

    phone.get_by_role("button", name="Yes, connect").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Connected to kiosk {number} at {STORE[1]}")
    expect(page.locator("[data-greeting]")).to_have_text("Hello, Mei")
    assert page.evaluate("window.sameDocument") is True

    # The code worked once: opening it again explains, and the kiosk stays Mei's.
    replay = phone.goto(pairing_path)
    assert replay is not None and replay.status == 409
    expect(phone.get_by_role("heading", level=1)).to_have_text("Code already used")
    expect(page.locator("[data-greeting]")).to_have_text("Hello, Mei")
