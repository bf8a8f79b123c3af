"""Browser fixtures: the real server, headless Chromium, desktop and phone pages.

The server starts the way a person starts it (``flask db upgrade``, ``flask demo``,
``python -m app``) on a fresh instance folder and a free port. Browser tests skip
with the reason when Chromium or Playwright is missing, and fail instead when
REQUIRE_BROWSER=1 or CI=true.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import requests

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STARTUP_TIMEOUT = 30.0
DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveServer:
    """A running Oneshelf server: where it answers and where its instance folder is."""

    base_url: str
    instance_path: Path
    log_path: Path

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def log(self) -> str:
        """What the server printed so far."""
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
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
        pytest.fail(
            f"{reason} (browser tests are required: REQUIRE_BROWSER=1 or CI=true)"
        )
    pytest.skip(reason)


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _flask(args: list[str], env: dict[str, str]) -> None:
    """Run ``flask --app app <args>``; fail with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        command = " ".join(args)
        output = f"{done.stdout}\n{done.stderr}"
        pytest.fail(f"flask {command} failed ({done.returncode}):\n{output}")


def _wait_healthy(server: LiveServer, process: subprocess.Popen[bytes]) -> None:
    """Wait until GET /healthz answers 200; fail with the server's output otherwise."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{server.log()}")
        try:
            response = requests.get(server.url("/healthz"), timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except requests.RequestException as error:
            last = type(error).__name__
        time.sleep(0.2)
    waited = f"{STARTUP_TIMEOUT:.0f} s"
    pytest.fail(f"the server was not healthy after {waited} ({last}):\n{server.log()}")


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The real server (migrated, demo data) on a free port, for the session."""
    with tempfile.TemporaryDirectory(prefix="oneshelf-live-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "INSTANCE_PATH": str(instance),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PUBLIC_BASE_URL": base_url,
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_APP"):
            env.pop(name, None)
        _flask(["db", "upgrade"], env)
        _flask(["demo"], env)
        server = LiveServer(base_url, instance, Path(tmp) / "server.log")
        with server.log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


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


def _new_page(
    browser: Browser, live_server: LiveServer, **context: Any
) -> Iterator[Page]:
    """A page in a fresh context (own cookies); JavaScript errors fail the test."""
    ctx = browser.new_context(
        base_url=live_server.base_url, accept_downloads=True, **context
    )
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
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
