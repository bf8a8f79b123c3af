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
from dataclasses import dataclass
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

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def log(self) -> str:
        """What the server printed so far."""
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )


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
