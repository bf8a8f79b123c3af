"""After a phone checkout the receipt shows the tax per rate, and the shopper asks for an invoice that staff see.

A server of its own where snacks are taxed at 9% (TAX_RATES) and tea at the default 13%; the
shopper is a phone-sized page, the clerk a desktop page signed in through the staff form.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from app.tax import tax_included
from tests.browser.test_staff_orders import screenshot
from tests.live_server import free_port, run_flask, running_server, server_env

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE = "SH-PUDONG"
TAX_ID = "91310115MA1K4QWX2B"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A demo server where snacks have a 9% rate and everything else the default 13%."""
    instance = tmp_path / "instance"
    instance.mkdir()
    env = server_env(instance, free_port(), SIGNIN_RATE_LIMIT="600 per minute", TAX_RATES="snacks=900")
    run_flask(["db", "upgrade"], env)
    run_flask(["demo"], env)
    with running_server(env, tmp_path / "server.log") as server:
        yield server


def stocked(live_server: LiveServer, prefix: str) -> dict:
    """A demo label at the store for a product whose SKU starts with ``prefix``, with 5 more units there."""
    admin = {"Authorization": f"Bearer {live_server.api_key()}"}
    labels = requests.get(
        live_server.url(f"/api/v1/labels?location={STORE}&limit=200"), headers=admin, timeout=10
    ).json()["items"]
    label = next(item for item in labels if item["sku"].startswith(prefix))
    received = requests.post(
        live_server.url("/api/v1/stock/movements"),
        json={"sku": label["sku"], "location": STORE, "reason": "receive", "delta": 5},
        headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert received.status_code == 201, received.text
    return label


def add(phone: Page, label: dict) -> None:
    phone.goto(f"/q/{label['code']}")
    phone.get_by_role("button", name="Add to basket").click()
    expect(phone.locator("[data-add-result]")).to_have_text(re.compile(r"^Added\."))


def test_the_receipt_shows_tax_per_rate_and_the_invoice_request_reaches_staff(
    phone: Page, page: Page, live_server: LiveServer
):
    tea, snack = stocked(live_server, "TEA-"), stocked(live_server, "SNA-")
    add(phone, tea)
    add(phone, snack)
    phone.goto("/basket")
    expect(phone.locator(".basket-line")).to_have_count(2)
    phone.get_by_label("Pay at the counter").check()
    total = phone.locator("[data-to-pay]").inner_text()
    phone.get_by_role("button", name=f"Pay {total} at the counter").click()
    expect(phone).to_have_url(re.compile(r"/orders/[A-Z0-9]{8}$"))
    number = phone.url.rsplit("/", 1)[-1]

    clerk_key = live_server.api_key("clerk")
    paid = requests.post(
        live_server.url(f"/api/v1/orders/{number}/counter-payment"),
        json={"how": "cash"},
        headers={"Authorization": f"Bearer {clerk_key}"},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    expect(phone.get_by_text("Show this at the exit")).to_be_visible()

    # Each rate's tax, from the prices the order was sold at; they add up to the total tax.
    lines = {line["sku"]: line["line_total"] for line in paid.json()["lines"]}
    tea_tax, snack_tax = tax_included(lines[tea["sku"]], 1300), tax_included(lines[snack["sku"]], 900)
    box = phone.locator(".receipt-tax")
    expect(box).to_be_visible()
    expect(box.locator('[data-tax-rate="1300"]')).to_contain_text("13%")
    expect(box.locator('[data-tax-rate="1300"] td').last).to_have_text(f"CN¥{tea_tax / 100:,.2f}")
    expect(box.locator('[data-tax-rate="900"]')).to_contain_text("9%")
    expect(box.locator('[data-tax-rate="900"] td').last).to_have_text(f"CN¥{snack_tax / 100:,.2f}")
    expect(box.locator("[data-tax-sum]")).to_have_text(f"CN¥{(tea_tax + snack_tax) / 100:,.2f}")
    screenshot(phone, "receipt-tax.png")

    # The invoice form works as a plain form.
    form = phone.locator("[data-invoice-form]")
    form.get_by_label("Title: a company's name, or yours").fill("Shanghai Leaf Trading Co., Ltd.")
    form.get_by_label("Tax id (unified social credit code)").fill(TAX_ID)
    form.get_by_role("button", name="Request an invoice").click()
    expect(phone.get_by_text("Invoice requested.")).to_be_visible()
    expect(phone.locator('[data-invoice-status="requested"]')).to_contain_text("Shanghai Leaf Trading Co., Ltd.")

    # A clerk of the store sees it waiting, with the amount and the tax per rate, and issues it.
    clerk = f"invoices.{uuid.uuid4().hex[:8]}@example.com"
    live_server.flask(
        "staff", "create", "--email", clerk, "--name", "Li", "--location", STORE, "--password", "fapiao-pass-1"
    )
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(clerk)
    page.get_by_label("Password").fill("fapiao-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/invoices")
    row = page.locator(f'tr[data-order="{number}"]')
    expect(row).to_be_visible()
    expect(row.locator("[data-title]")).to_have_text("Shanghai Leaf Trading Co., Ltd.")
    expect(row.locator("[data-tax-id]")).to_have_text(TAX_ID)
    expect(row).to_contain_text(total)
    expect(row.locator('[data-tax-rate="900"]')).to_have_text(f"9%: CN¥{snack_tax / 100:,.2f}")
    screenshot(page, "staff-invoices.png")
    row.get_by_placeholder("Invoice number").fill("24312000000000000042")
    row.get_by_role("button", name="Issued").click()
    expect(page.get_by_text("Invoice 24312000000000000042 issued.")).to_be_visible()
    expect(page.locator(f'tr[data-order="{number}"]')).to_have_count(0)

    phone.reload()
    expect(phone.locator('[data-invoice-status="issued"]')).to_contain_text("24312000000000000042")
    screenshot(phone, "receipt-invoice-issued.png")
