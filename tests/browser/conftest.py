"""Browser fixtures: the real server, headless Chromium, desktop and phone pages.

The server starts the way a person starts it (``flask db upgrade``, ``flask demo``,
``python -m app``) on a fresh instance folder and a free port. Browser tests skip
with the reason when Chromium or Playwright is missing, and fail instead when
REQUIRE_BROWSER=1 or CI=true.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.live_server import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STARTUP_TIMEOUT = 30.0
DEFAULT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a browser test."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _browser_required() -> bool:
    """True when a missing browser must fail the run instead of skipping."""
    return os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"


def _missing(reason: str) -> NoReturn:
    """Skip with the reason, or fail when browser tests are required."""
    if _browser_required():
        pytest.fail(f"{reason} (browser tests are required: REQUIRE_BROWSER=1 or CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (skips or fails when missing)."""
    if not os.path.exists(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM} (install it or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _missing(f"the playwright package is not installed ({error})")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _new_page(browser: Browser, live_server: LiveServer, **context: Any) -> Iterator[Page]:
    """A page in a fresh context (own cookies); JavaScript errors and CSP violations fail the test."""
    ctx = browser.new_context(base_url=live_server.base_url, accept_downloads=True, **context)
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The Content-Security-Policy refusing a script, style or frame shows as a console error.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None,
    )
    try:
        yield page
    finally:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A desktop-sized page (1280 x 800)."""
    yield from _new_page(browser, live_server, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone-sized touch page (390 x 844 at 2x), like a shopper's."""
    yield from _new_page(
        browser,
        live_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
