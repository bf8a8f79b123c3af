"""The staff home page's "today" follows a sale paid at the kiosk without a reload."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.browser.test_kiosk_pairing import STORE, open_kiosk_screen, register_kiosk
from tests.browser.test_kiosk_screen import a_label
from tests.browser.test_staff_orders import screenshot
from tests.payments.hosted import pay_in_browser

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

CHECKOUT_ON_THE_SCREEN = """async ([code]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const headers = {"X-CSRFToken": csrf, "Content-Type": "application/json", Accept: "application/json"};
  const cart = await (await fetch("/api/v1/carts", {method: "POST", headers})).json();
  await fetch(`/api/v1/carts/${cart.id}/lines`, {method: "POST", headers, body: JSON.stringify({code})});
  const answer = await fetch(`/api/v1/carts/${cart.id}/checkout`, {
    method: "POST",
    headers: {...headers, "Idempotency-Key": crypto.randomUUID()},
    body: JSON.stringify({payment: {method: "card"}}),
  });
  return {status: answer.status, body: await answer.json()};
}"""


def _figure(page: Page, name: str) -> str:
    return page.locator(f"[data-dash={name}]").first.inner_text()


def test_the_dashboard_counts_a_kiosk_sale_when_it_is_paid(page: Page, phone: Page, live_server: LiveServer):
    manager = f"manager.{uuid.uuid4().hex[:8]}@example.com"
    live_server.flask(
        "staff", "create", "--email", manager, "--name", "Mina", "--location", STORE[0], "--password", "dash-pass-1"
    )
    staff = page.context.browser.new_page(base_url=live_server.url(""))
    staff.goto("/staff/login")
    staff.get_by_label("E-mail").fill(manager)
    staff.get_by_label("Password").fill("dash-pass-1")
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_role("heading", name="Sales today")).to_be_visible()
    expect(staff.locator("[data-live-state]")).to_have_text("Live")
    expect(staff.locator("[data-dash-chart]")).to_be_visible()
    staff.evaluate("window.sameDocument = true")
    kiosk_row = staff.locator("[data-channel=kiosk] [data-dash=channel-orders]")
    before = int(kiosk_row.inner_text()) if kiosk_row.count() else 0

    # A shopper pays by card at the kiosk: the kiosk screen starts the checkout, the phone pays
    # on the provider's page (what the kiosk's QR opens).
    token, number = register_kiosk(live_server)
    open_kiosk_screen(page, token, number)
    label = a_label(live_server, live_server.api_key())
    answer = page.evaluate(CHECKOUT_ON_THE_SCREEN, [label["code"]])
    assert answer["status"] == 201, answer
    assert answer["body"]["status"] == "pending_payment"
    phone.goto(answer["body"]["next_action"]["redirect_url"])
    pay_in_browser(phone, "4242 4242 4242 4242")
    expect(phone).not_to_have_url(re.compile(r"/sandbox-pay/"))  # paid, and back from the provider

    # The dashboard counts it by itself.
    expect(staff.locator("[data-channel=kiosk] [data-dash=channel-orders]")).to_have_text(str(before + 1))
    assert staff.evaluate("window.sameDocument") is True
    screenshot(staff, "dashboard-today.png")
