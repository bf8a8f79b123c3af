"""At the kiosk, a member identified by their code pays by card here, or with the wallet from their own phone."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
import requests

from tests.browser.test_kiosk_pairing import open_kiosk_screen, register_kiosk, sign_up
from tests.browser.test_kiosk_screen import a_label

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

PAY_FROM_THE_SCREEN = """async ([code]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const headers = {"X-CSRFToken": csrf, "Content-Type": "application/json", Accept: "application/json"};
  const cart = await (await fetch("/api/v1/carts", {method: "POST", headers})).json();
  await fetch(`/api/v1/carts/${cart.id}/lines`, {method: "POST", headers, body: JSON.stringify({code})});
  const paid = await fetch(`/api/v1/carts/${cart.id}/checkout`, {
    method: "POST",
    headers: {...headers, "Idempotency-Key": crypto.randomUUID()},
    body: JSON.stringify({payment: {method: "wallet"}}),
  });
  return {status: paid.status, body: await paid.json(), member: cart.member};
}"""


def test_an_identified_member_is_not_offered_the_wallet_and_the_screen_is_refused_it(
    page: Page, phone: Page, live_server: LiveServer
):
    token, number = register_kiosk(live_server)
    open_kiosk_screen(page, token, number)
    phone.goto("/account/signup")
    sign_up(phone, "Mei Lin")
    phone.goto("/account/code")
    code = phone.locator("figure.code:not([hidden])").get_attribute("data-code")
    identified = requests.post(
        live_server.url("/api/v1/kiosk/identify"),
        json={"code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert identified.status_code == 200, identified.text
    expect(page.locator("[data-greeting]")).to_have_text("Hello, Mei")

    # Nothing on the kiosk screen offers to spend the member's wallet or points.
    expect(page.get_by_text(re.compile(r"wallet|points", re.IGNORECASE))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("wallet", re.IGNORECASE))).to_have_count(0)

    # And the screen's own session, asking anyway, is refused with the reason.
    label = a_label(live_server, live_server.api_key())
    answer = page.evaluate(PAY_FROM_THE_SCREEN, [label["code"]])
    assert answer["member"] is not None
    assert answer["status"] == 403
    assert answer["body"]["error"] == {
        "code": "wallet_needs_phone",
        "message": "Pay with your wallet or points from your phone, or pay by card here.",
    }
