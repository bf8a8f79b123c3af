"""Scan analytics in the browser: a shopper scans shelf labels; the clerk's scans page counts them, and downloads CSV."""

from __future__ import annotations

import csv
import io
import uuid
from typing import TYPE_CHECKING

import pytest
import requests

from tests.browser.test_staff_orders import screenshot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE = "SH-PUDONG"


def test_the_clerk_sees_what_shoppers_scanned_and_downloads_it(phone: Page, page: Page, live_server: LiveServer):
    admin = {"Authorization": f"Bearer {live_server.api_key()}"}
    labels = requests.get(live_server.url(f"/api/v1/labels?location={STORE}&limit=200"), headers=admin, timeout=10)
    label = labels.json()["items"][5]
    for _ in range(3):
        phone.goto(f"/q/{label['code']}")
    name = phone.get_by_role("heading", level=1).inner_text()
    live_server.flask("analytics", "rebuild", "--days", "2")  # what the job runner does every minute

    clerk = f"scans.{uuid.uuid4().hex[:8]}@example.com"
    live_server.flask(
        "staff", "create", "--email", clerk, "--name", "Ada", "--location", STORE, "--password", "scan-pass-1"
    )
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(clerk)
    page.get_by_label("Password").fill("scan-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Scans", exact=True).click()
    products = page.locator("[data-report=products]")
    row = products.locator("tr", has_text=name)
    expect(row).to_be_visible()
    scans = int(row.locator("td").nth(2).inner_text())
    assert scans >= 3
    expect(page.locator("[data-report=stores]")).to_contain_text("Oneshelf Pudong")
    screenshot(page, "scan-analytics.png")

    with page.expect_download() as download:
        products.get_by_role("link", name="CSV").click()
    table = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert table[0] == ["SKU", "Product", "Scans", "Shopper-days"]
    assert [name, str(scans)] in [[r[1], r[2]] for r in table[1:]]
