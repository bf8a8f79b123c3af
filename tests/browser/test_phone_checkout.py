"""A shopper's phone from the shelf to the exit: add to the basket, sign in, top up, pay, show the pass.

The shopper is a phone-sized page; staff and the clerk's scanner are API calls with keys made
by ``flask keys create``, as a store would make them. On the SQLite server the other browser tests
share, and on a server of its own on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from tests.browser.test_kiosk_pairing import sign_up
from tests.live_server import free_port, run_flask, running_server, server_env
from tests.payments.hosted import pay_in_browser

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE = "SH-PUDONG"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live_server(request, tmp_path: Path) -> Iterator[LiveServer]:
    """The shared server on SQLite, or a server of its own on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield request.getfixturevalue("live_server")  # the session's server (tests/live_server.py)
        return
    instance = tmp_path / "instance"
    instance.mkdir()
    env = server_env(
        instance, free_port(), DATABASE_URL=request.getfixturevalue("pg_schema_url"), SIGNIN_RATE_LIMIT="600 per minute"
    )
    run_flask(["db", "upgrade"], env)
    run_flask(["demo"], env)
    with running_server(env, tmp_path / "server.log") as server:
        assert requests.get(server.url("/healthz"), timeout=10).json()["database"]["backend"] == "postgresql"
        yield server


def stocked_label(live_server: LiveServer, index: int) -> dict:
    """A demo label at the store whose product has 5 more units there (received like staff do)."""
    admin = {"Authorization": f"Bearer {live_server.api_key()}"}
    labels = requests.get(
        live_server.url(f"/api/v1/labels?location={STORE}&limit=200"), headers=admin, timeout=10
    ).json()["items"]
    label = labels[index]
    received = requests.post(
        live_server.url("/api/v1/stock/movements"),
        json={"sku": label["sku"], "location": STORE, "reason": "receive", "delta": 5},
        headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert received.status_code == 201, received.text
    return label


def qr_of(page: Page, selector: str) -> str:
    """What the QR on the phone says, read from the pixels as the clerk's scanner would."""
    png = page.locator(f"{selector} svg").screenshot()
    found = zbar_decode(Image.open(io.BytesIO(png)), symbols=[ZBarSymbol.QRCODE])
    assert len(found) == 1, f"the QR in {selector} does not decode"
    return found[0].data.decode()


def add_to_basket(phone: Page, label: dict) -> str:
    """Open the shelf label's page, add one, and return the product's name."""
    phone.goto(f"/q/{label['code']}")
    name = phone.get_by_role("heading", level=1).inner_text()
    phone.get_by_role("button", name="Add to basket").click()
    expect(phone.locator("[data-add-result]")).to_have_text(
        re.compile(r"Added\. 1 in your basket · held for you until \d\d:\d\d\.")
    )
    return name


def use_exit_pass(live_server: LiveServer, clerk_key: str, token: str) -> requests.Response:
    return requests.post(
        live_server.url("/api/v1/exit-passes/use"),
        json={"code": token},
        headers={"Authorization": f"Bearer {clerk_key}"},
        timeout=10,
    )


def test_shelf_to_exit_with_the_wallet(phone: Page, live_server: LiveServer):
    label = stocked_label(live_server, 20)
    name = add_to_basket(phone, label)
    phone.get_by_role("link", name="View basket (1)").click()
    basket_line = phone.locator(".basket-line")
    expect(basket_line).to_have_count(1)
    expect(basket_line).to_contain_text(name)
    expect(basket_line.locator(".held")).to_have_text(re.compile(r"Held for you until \d\d:\d\d"))
    expect(phone.locator("[data-live-state]")).to_have_text("Live")

    # Signing up from the basket keeps what was put in it as a guest.
    phone.locator(".pay-method").filter(has_text="Wallet").get_by_role("link", name="Sign in").click()
    phone.get_by_role("link", name="Create an account").click()
    sign_up(phone, "Mei Lin")
    expect(phone).to_have_url(re.compile(r"/basket$"))
    expect(phone.locator("[data-adopted]")).to_have_text(
        f"What you put in your basket before signing in is in it now: {name}."
    )
    expect(basket_line).to_have_count(1)
    expect(basket_line).to_contain_text(name)

    # Top up on the card provider's page: a declined card says so and adds nothing; the sandbox card works.
    phone.locator(".pay-method").filter(has_text="Wallet").get_by_role("link", name="Top up").click()
    expect(phone.locator("[data-balance]")).to_have_text("CN¥0.00")
    phone.get_by_role("button", name="CN¥200").click()
    phone.get_by_role("button", name="Top up by card").click()
    pay_in_browser(phone, "4000 0000 0000 0002")
    expect(phone.locator("[data-pay-outcome]")).to_contain_text("The card was declined; try another card.")
    phone.get_by_role("link", name="Back to the shop").click()
    expect(phone.locator("[data-declined]")).to_contain_text("Nothing was taken.")
    phone.get_by_role("link", name="Back to your wallet").click()
    expect(phone.locator("[data-balance]")).to_have_text("CN¥0.00")
    phone.get_by_label("Amount (CN¥)").fill("500")
    phone.get_by_role("button", name="Top up by card").click()
    pay_in_browser(phone, "4242 4242 4242 4242")
    expect(phone).to_have_url(re.compile(r"/account/wallet$"))
    expect(phone.locator("[data-balance]")).to_have_text("CN¥500.00")
    expect(phone.locator("[data-entries] li")).to_have_count(1)

    phone.goto("/basket")
    expect(phone.locator("[data-wallet-balance]")).to_have_text("CN¥500.00")
    phone.get_by_label("Wallet").check()
    total = phone.locator("[data-to-pay]").inner_text()
    phone.get_by_role("button", name=f"Pay {total}").click()

    expect(phone).to_have_url(re.compile(r"/orders/[A-Z0-9]{8}$"))
    number = phone.url.rsplit("/", 1)[-1]
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    expect(phone.get_by_text("Show this at the exit")).to_be_visible()
    expect(phone.locator(".receipt-sums")).to_contain_text("Wallet")
    order = phone.request.get(f"/api/v1/orders/{number}").json()
    assert order["status"] == "paid" and order["payment"]["method"] == "wallet"
    token = order["exit_pass"]["token"]
    assert qr_of(phone, "[data-exit-pass]") == token

    # The clerk scans the pass at the exit: once.
    clerk = live_server.api_key("clerk")
    first = use_exit_pass(live_server, clerk, token)
    assert first.status_code == 200, first.text
    assert first.json()["order"]["number"] == number
    second = use_exit_pass(live_server, clerk, token)
    assert second.status_code == 409 and second.json()["error"]["code"] == "exit_pass_used"
    # The receipt notices by itself (it asks while a pass is on screen).
    expect(phone.get_by_text(re.compile(r"^Used at the exit at \d\d:\d\d$"))).to_be_visible(timeout=15_000)
    expect(phone.locator("[data-exit-pass]")).to_have_count(0)

    phone.get_by_role("link", name="My orders").first.click()
    expect(phone.locator(".order-list li")).to_have_count(1)
    expect(phone.locator(".order-list li")).to_contain_text(f"Order {number}")


def test_pay_at_the_counter_then_the_pass_appears_live(phone: Page, live_server: LiveServer):
    label = stocked_label(live_server, 21)
    # More than the shelf has: refused, with what is left here.
    phone.goto(f"/q/{label['code']}")
    phone.get_by_role("spinbutton", name="Quantity").fill("99")
    phone.get_by_role("button", name="Add to basket").click()
    expect(phone.locator("[data-add-result]")).to_have_text(re.compile(r"^Only \d+ left here\.$"))
    add_to_basket(phone, label)
    phone.goto("/basket")
    phone.get_by_label("Pay at the counter").check()
    total = phone.locator("[data-to-pay]").inner_text()
    phone.get_by_role("button", name=f"Pay {total} at the counter").click()

    expect(phone).to_have_url(re.compile(r"/orders/[A-Z0-9]{8}$"))
    number = phone.url.rsplit("/", 1)[-1]
    expect(phone.get_by_text("Show this at the counter")).to_be_visible()
    assert qr_of(phone, "[data-counter-code]") == number
    phone.evaluate("window.sameDocument = true")

    clerk = live_server.api_key("clerk")
    paid = requests.post(
        live_server.url(f"/api/v1/orders/{number}/counter-payment"),
        json={"how": "cash"},
        headers={"Authorization": f"Bearer {clerk}"},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    # order:updated shows the receipt again, now with the exit pass.
    expect(phone.get_by_text("Show this at the exit")).to_be_visible()
    assert phone.evaluate("window.sameDocument") is None  # it was shown again, not edited in place
    token = qr_of(phone, "[data-exit-pass]")
    assert token.startswith("EX-")
    assert use_exit_pass(live_server, clerk, token).status_code == 200

    # A guest's receipt stays with this phone, and only this phone.
    assert phone.goto(f"/orders/{number}").status == 200
    assert requests.get(live_server.url(f"/orders/{number}"), timeout=10).status_code == 404
