"""Help from a phone: "Need help?" on a product page reaches the store's help page live; the
clerk claims it and the phone says who is on the way, then that it was answered, without a reload.
"""

from __future__ import annotations

import re
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


def _label(live_server: LiveServer, index: int) -> dict:
    admin = {"Authorization": f"Bearer {live_server.api_key()}"}
    query = f"/api/v1/labels?location={STORE}&limit=200"
    return requests.get(live_server.url(query), headers=admin, timeout=10).json()["items"][index]


def test_a_phone_asks_for_help_and_hears_who_is_on_the_way(phone: Page, page: Page, live_server: LiveServer):
    label = _label(live_server, 2)
    clerk = f"help.{uuid.uuid4().hex[:8]}@example.com"
    live_server.flask(
        "staff", "create", "--email", clerk, "--name", "Ada", "--location", STORE, "--password", "help-pass-1"
    )

    # The clerk's help page, live (its clock is the test's, to see the service standard pass).
    page.clock.install()
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(clerk)
    page.get_by_label("Password").fill("help-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/help")
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    expect(page.locator("[data-help-standards]")).to_contain_text("answers within 5 min")
    page.evaluate("window.sameDocument = true")

    # The shopper scanned a shelf label and asks for help there.
    phone.goto(f"/q/{label['code']}")
    name = phone.get_by_role("heading", level=1).inner_text()
    box = phone.locator("[data-need-help]")
    expect(box).to_contain_text(f"comes to you about {name}")
    phone.evaluate("window.sameDocument = true")
    box.scroll_into_view_if_needed()
    screenshot(phone, "help-phone-button.png")
    box.get_by_role("button", name="Need help?").click()
    expect(box.locator("[data-need-help-state]")).to_contain_text("have been called")
    expect(box.get_by_role("button", name="Need help?")).to_be_hidden()
    screenshot(phone, "help-phone-called.png")

    # It appears on the clerk's page without a reload.
    row = page.locator("[data-help-requests] tr", has_text=name)
    expect(row).to_be_visible()
    expect(row).to_contain_text("phone")
    expect(row).to_contain_text("Waiting")
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "help-desk-waiting.png")

    # Six minutes on, still nobody: the page marks it late by itself.
    expect(row).not_to_have_class(re.compile("help-late"))
    page.clock.fast_forward("06:00")
    late = page.locator("[data-help-requests] tr.help-late", has_text=name)
    expect(late).to_be_visible()
    expect(late).to_contain_text("Over the 5 min standard")
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "help-desk-late.png")

    # The clerk is on the way: the phone says so, still the same page.
    row.get_by_role("button", name="On my way").click()
    expect(page.locator("[data-help-requests] tr", has_text=name)).to_contain_text("Ada is on the way")
    expect(box.locator("[data-need-help-state]")).to_have_text("Ada is on the way.")
    assert phone.evaluate("window.sameDocument") is True
    screenshot(phone, "help-phone-claimed.png")
    screenshot(page, "help-desk-claimed.png")

    # The store's dashboard counts the request and how fast it was reached.
    dashboard = page.context.new_page()
    dashboard.goto("/staff/")
    help_card = dashboard.locator(".dash-card", has_text="Help")
    expect(help_card.locator("[data-dash=help-waiting]")).to_have_text("1 waiting")
    expect(help_card).to_contain_text("Today: median")
    expect(help_card).to_contain_text("within the 5 min standard")
    screenshot(dashboard, "help-dashboard.png")
    dashboard.close()

    # The store's feedback page is open in another tab, live.
    feedback = page.context.new_page()
    feedback.goto("/staff/feedback")
    expect(feedback.locator("[data-live-state]")).to_have_text("Live")
    feedback.evaluate("window.sameDocument = true")

    # Answered, then done.
    page.locator("[data-help-requests] tr", has_text=name).get_by_role("button", name="Answered").click()
    expect(box.locator("[data-need-help-state]")).to_contain_text("Answered: thank you.")
    expect(box.get_by_role("button", name="Need more help?")).to_be_visible()
    assert phone.evaluate("window.sameDocument") is True
    screenshot(phone, "help-phone-answered.png")
    page.locator("[data-help-requests] tr", has_text=name).get_by_role("button", name="Done").click()
    expect(page.locator("[data-help-requests] tr", has_text=name)).to_have_count(0)

    # The shopper rates the help: a low rating reaches the feedback page at once, credited to Ada.
    box.get_by_role("link", name="How did we do? Rate it").click()
    expect(phone.get_by_role("heading", name="How did we do?")).to_be_visible()
    phone.get_by_label("2 · Poor").check()
    phone.get_by_label("Anything to tell us? (optional)").fill("Took a while to come")
    screenshot(phone, "feedback-phone-form.png")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("[data-feedback-given]")).to_contain_text("you rated this 2 out of 5")
    phone.get_by_role("link", name="← Back").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    row = feedback.locator("[data-feedback-row].feedback-low", has_text="Took a while to come")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Ada")
    expect(row).to_contain_text("2/5")
    expect(feedback.locator("[data-live-state]")).to_contain_text("New low rating: 2/5")
    assert feedback.evaluate("window.sameDocument") is True
    screenshot(feedback, "feedback-staff-live.png")
