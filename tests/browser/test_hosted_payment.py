"""A phone pays its basket by card on the provider's hosted page: our server never sees the card.

Every request the page makes is watched: the card number goes only to the provider's page
(``/sandbox-pay/``); no request to our own routes carries it, nor a ``card_number`` field.
The shopper comes back to our return page and on to the receipt, which shows the order paid.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_phone_checkout import add_to_basket, stocked_label
from tests.payments.hosted import pay_in_browser

try:
    from playwright.sync_api import Page, Request, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

pytestmark = pytest.mark.browser

CARD = "4242 4242 4242 4242"
CARD_FORMS = ("4242424242424242", "4242 4242 4242 4242", "4242+4242+4242+4242", "4242%204242", "card_number")


def _carries_card(request: Request) -> bool:
    text = request.url + (request.post_data or "")
    return any(form in text for form in CARD_FORMS)


def test_a_phone_pays_on_the_providers_page_and_no_request_to_us_carries_the_card(phone: Page, live_server):
    seen: list[Request] = []
    phone.on("request", lambda request: seen.append(request))
    label = stocked_label(live_server, 30)
    name = add_to_basket(phone, label)
    phone.goto("/basket")
    expect(phone.locator(".basket-line")).to_contain_text(name)
    expect(phone.locator('input[name="card_number"]')).to_have_count(0)  # no card field on our page
    phone.get_by_role("radio", name="Card Any bank card").check()
    total = phone.locator("[data-to-pay]").inner_text()
    phone.get_by_role("button", name=f"Pay {total}").click()

    # The provider's own page: the amount, the test cards (sandbox), the card form.
    expect(phone).to_have_url(re.compile(r"/sandbox-pay/pay/sbx_pay_"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Pay {total}")
    expect(phone.locator("[data-test-cards]")).to_contain_text("4242 4242 4242 4242")
    pay_in_browser(phone, CARD)

    expect(phone).to_have_url(re.compile(r"/orders/[A-Z0-9]{8}$"))
    number = phone.url.rsplit("/", 1)[-1]
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    expect(phone.get_by_text("Show this at the exit")).to_be_visible()
    expect(phone.locator(".receipt-sums")).to_contain_text("4242")
    order = phone.request.get(f"/orders/{number}/status").json()
    assert order["status"] == "paid"

    to_provider = [r for r in seen if "/sandbox-pay/" in r.url]
    to_us = [r for r in seen if "/sandbox-pay/" not in r.url]
    assert any(r.method == "POST" and _carries_card(r) for r in to_provider), (
        "the card was typed on the provider's page"
    )
    assert any("/checkout" in r.url and r.method == "POST" for r in to_us)
    carrying = [f"{r.method} {r.url}" for r in to_us if _carries_card(r)]
    assert carrying == [], f"requests to our routes carried the card: {carrying}"
