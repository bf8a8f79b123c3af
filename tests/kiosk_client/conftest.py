"""The kiosk program against the real server: a demo store that can be stopped and started again."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.live_server import ROOT, LiveServer, free_port, run_flask, running_server, server_env


@dataclass
class Store:
    """The demo store's server (restartable on the same port and instance folder) and its shelf."""

    env: dict[str, str]
    log_path: Path
    key: str = ""
    # The kiosk the tests scan with (its token and the token's prefix), and a revoked one.
    token: str = ""
    prefix: str = ""
    revoked: tuple[str, str] = ("", "")
    labels: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    server: LiveServer | None = None
    _stack: ExitStack | None = None

    @property
    def url(self) -> str:
        return self.env["PUBLIC_BASE_URL"]

    def start(self) -> LiveServer:
        """Start the server unless it runs."""
        if self.server is None:
            self._stack = ExitStack()
            self.server = self._stack.enter_context(running_server(self.env, self.log_path))
        return self.server

    def stop(self) -> None:
        """Stop the server (SIGTERM, as a person or a service manager would)."""
        if self._stack is not None:
            self._stack.close()
        self.server, self._stack = None, None

    def kill(self) -> None:
        """Kill the server at once (SIGKILL: a power cut or the kernel's OOM killer), nothing flushed."""
        if self.server is not None and self.server.process is not None:
            self.server.process.kill()
            self.server.process.wait(timeout=10)
        self.stop()

    def get(self, path: str, **params: object) -> dict:
        response = requests.get(
            self.url + path, params=params, headers={"Authorization": f"Bearer {self.key}"}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def new_device(self, name: str) -> tuple[str, str]:
        """A new kiosk at SH-PUDONG: its token and its token prefix (which the scans API filters by)."""
        token = run_flask(["devices", "create", "--location", "SH-PUDONG", "--name", name], self.env)
        token = token.strip().splitlines()[-1]
        return token, token.split("_")[1]

    def revoked_device(self, name: str) -> tuple[str, str]:
        """A kiosk registered and then revoked."""
        token, prefix = self.new_device(name)
        run_flask(["devices", "revoke", prefix], self.env)
        return token, prefix

    def recorded(self, since: str, prefix: str | None = None) -> list[dict]:
        """The scans recorded from a kiosk (the tests' one by default) since a time, in the order recorded."""
        items: list[dict] = []
        query = {"channel": "kiosk", "device": prefix or self.prefix, "since": since, "limit": 200}
        while True:
            page = self.get("/api/v1/scans", **query)
            items += page["items"]
            if not page.get("next_cursor"):
                return items
            query["cursor"] = page["next_cursor"]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Iterator[Store]:
    """A migrated demo store on a free port, served for the module (tests may stop and restart it)."""
    tmp = tmp_path_factory.mktemp("kiosk-store")
    instance = tmp / "instance"
    instance.mkdir()
    env = server_env(instance, free_port())
    run_flask(["db", "upgrade"], env)
    run_flask(["demo"], env)
    shop = Store(env, tmp / "server.log")
    # One kiosk for all the tests (each looks at the scans since it began) and a revoked one. One
    # command after the other: SQLite refuses a second writer that read before it wrote.
    shop.key = run_flask(["keys", "create", "--role", "admin"], env).strip().splitlines()[-1]
    shop.token, shop.prefix = shop.new_device("Kiosk 1")
    shop.revoked = shop.revoked_device("Kiosk 2")
    shop.start()
    shop.labels = shop.get("/api/v1/labels", location="SH-PUDONG", limit=200)["items"]
    shop.products = shop.get("/api/v1/products", limit=200)["items"]
    try:
        yield shop
    finally:
        shop.stop()


@pytest.fixture
def live_store(demo_store: Store) -> Store:
    """The demo store with its server running (a test before may have left it stopped)."""
    demo_store.start()
    return demo_store


@pytest.fixture
def since() -> str:
    """Now, as the scans API's ``since`` wants it: the scans of this test are recorded after it."""
    return datetime.now(UTC).isoformat()


def kiosk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", *args]


def run_kiosk(*args: str, timeout: float = 60, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kiosk`` to the end."""
    return subprocess.run(kiosk_command(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=stdin)


def wait_for(
    condition: Callable[[], bool], timeout: float = 30, what: str = "the condition", log: Path | None = None
) -> None:
    """Poll until ``condition()`` holds; the kiosk's ``log`` goes into the failure message."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}" + (f":\n{log.read_text()}" if log else ""))
        time.sleep(0.02)
