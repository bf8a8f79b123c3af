"""The real server in a subprocess, started the way a person starts it.

``flask db upgrade``, ``flask demo`` and ``python -m app`` on a fresh instance folder and a
free port; used by the browser tests and the live Socket.IO tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class LiveServer:
    """A running Oneshelf server: where it answers and where its instance folder is."""

    base_url: str
    instance_path: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def flask(self, *args: str) -> str:
        """Run a ``flask`` command against this server's database; returns its output."""
        return run_flask(list(args), self.env)

    def api_key(self, role: str = "admin") -> str:
        """A new API key for this server."""
        return self.flask("keys", "create", "--role", role).strip().splitlines()[-1]

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def server_env(instance: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a server on ``port`` keeping its files in ``instance``."""
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_APP"):
        env.pop(name, None)
    env.update(extra)
    return env


def run_flask(args: list[str], env: dict[str, str]) -> str:
    """Run ``flask --app app <args>`` and return what it printed; fail with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        pytest.fail(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def running_server(env: dict[str, str], log_path: Path, command: list[str] | None = None) -> Iterator[LiveServer]:
    """Start ``python -m app`` (or ``command``) with ``env``; stop it afterwards."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command or [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = LiveServer(env["PUBLIC_BASE_URL"], Path(env["INSTANCE_PATH"]), log_path, env, process)
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
def live_server() -> Iterator[LiveServer]:
    """The real server (migrated, demo data) on a free port, for the session."""
    with tempfile.TemporaryDirectory(prefix="oneshelf-live-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        # Every browser test signs in from this one address within minutes: the sign-in limit
        # (tested on its own elsewhere) is raised so that they are not taken for an attack.
        env = server_env(instance, free_port(), SIGNIN_RATE_LIMIT="600 per minute")
        run_flask(["db", "upgrade"], env)
        run_flask(["demo"], env)
        with running_server(env, Path(tmp) / "server.log") as server:
            yield server
