"""The production server, started as `make serve` starts it: gunicorn with a gevent-websocket
worker serving ``app.wsgi:app``, on a fresh instance folder and a free port.

The gunicorn command is read from the Makefile (``make -n serve``), so these tests follow
what `make serve` really runs; it is run with this interpreter (``python -m gunicorn``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import need_redis

ROOT = Path(__file__).resolve().parents[1]
SKU, LOCATION = "TEA-001", "SH-PUDONG"
# Every request closes its connection: gunicorn's graceful stop waits for open keep-alive ones.
CLOSE = {"Connection": "close"}
# What the Makefile's serve target runs, for a machine without `make`.
FALLBACK = (
    "SOCKETIO_ASYNC_MODE=gevent exec .venv/bin/gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
    ' -w 1 --worker-connections 10000 --no-control-socket -b "${HOST:-127.0.0.1}:${PORT:-5000}" app.wsgi:app'
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(instance: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_APP")}
    env.pop("SOCKETIO_ASYNC_MODE", None)
    instance.mkdir(parents=True, exist_ok=True)
    env.update(
        INSTANCE_PATH=str(instance),
        HOST="127.0.0.1",
        PORT=str(port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def _flask(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        pytest.fail(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def serve_command(env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The gunicorn argv and environment `make serve` would use with ``env``; run with sys.executable."""
    recipe = FALLBACK
    if shutil.which("make"):
        quiet = {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}  # under `make test`
        shown = subprocess.run(
            ["make", "-n", "-s", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=quiet,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.replace("\\\n", " ").splitlines()
        recipe = next((line for line in lines if " gunicorn " in f" {line} " or "/gunicorn " in line), "")
        assert recipe, f"`make -n serve` shows no gunicorn command:\n{shown.stdout}"
    match = re.match(r"\s*((?:\w+=\S+\s+)*)(?:exec\s+)?(\S*gunicorn)\s+(.*)$", recipe)
    assert match, recipe
    assignments = dict(item.split("=", 1) for item in match.group(1).split())
    # Let the shell expand ${HOST:-...} and split words exactly as make's shell would.
    words = subprocess.run(
        ["bash", "-c", f'set -- {match.group(3)}; printf "%s\\0" "$@"'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")[:-1]
    return [sys.executable, "-m", "gunicorn", *words], {**env, **assignments}


class Server:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path = env, log_path
        self.base_url = f"http://127.0.0.1:{env['PORT']}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def production_server(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """gunicorn as `make serve` runs it; waits for /healthz; stopped (SIGTERM) afterwards."""
    command, full_env = serve_command(env)
    server = Server(full_env, log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log()}")
            try:
                health = requests.get(server.base_url + "/healthz", headers=CLOSE, timeout=2)
                if health.status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz within 30 s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class Listener:
    """A real python-socketio client over a websocket, subscribed to one product level."""

    def __init__(self, base_url: str) -> None:
        self.events: list[dict] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("stock:changed", self._changed, namespace="/live")
        self.client.connect(base_url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
        assert self.client.transport() == "websocket"
        ack = self.client.call("subscribe", {"sku": SKU, "location": LOCATION}, namespace="/live", timeout=10)
        assert ack["ok"], ack
        self.level = ack["levels"][0]

    def _changed(self, data: dict) -> None:
        with self.arrived:
            self.events.append(data)
            self.arrived.notify_all()

    def wait_for(self, version: int, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for event in self.events:
                    if event["version"] == version:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no stock:changed with version {version} in {timeout} s; got {self.events}")
                self.arrived.wait(left)


def _move(base_url: str, key: str, delta: int) -> requests.Response:
    return requests.post(
        f"{base_url}/api/v1/stock/movements",
        json={"sku": SKU, "location": LOCATION, "reason": "receive", "delta": delta},
        headers={"Authorization": f"Bearer {key}", **CLOSE},
        timeout=30,
    )


def test_make_serve_pushes_a_movement_to_a_websocket_client(tmp_path):
    env = _env(tmp_path / "instance", _free_port())
    _flask(["db", "upgrade"], env)
    _flask(["demo"], env)
    key = _flask(["keys", "create", "--role", "admin"], env).strip().splitlines()[-1]
    with production_server(env, tmp_path / "gunicorn.log") as server:
        health = requests.get(server.base_url + "/healthz", headers=CLOSE, timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        listener = Listener(server.base_url)
        try:
            response = _move(server.base_url, key, 5)
            assert response.status_code == 201, response.text
            level = response.json()["level"]
            assert level["on_hand"] == listener.level["on_hand"] + 5
            event = listener.wait_for(level["version"])
            assert event["on_hand"] == level["on_hand"] and event["sku"] == SKU and event["location"] == LOCATION
        finally:
            listener.client.disconnect()
        log = server.log()
    assert "Socket.IO async mode gevent" in log, log  # app.wsgi runs in the mode of the worker


def _wait_for_lock_wait(watch, holder_pid: int, timeout: float = 15) -> None:
    """Until a backend waits for a lock held by ``holder_pid`` (the movement's UPDATE)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = watch.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (holder_pid,)
        ).fetchone()[0]
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the movement never waited for the row lock")


@pytest.mark.postgres
@pytest.mark.redis
def test_two_production_processes_on_postgres_and_redis_wait_for_the_database_cooperatively(pg_schema_url, tmp_path):
    """A movement waiting for a row lock in PostgreSQL must not stop its process (psycopg under
    gevent); once it commits, a client of the other process has the event (Redis)."""
    import psycopg

    shared = {
        "DATABASE_URL": pg_schema_url,
        "REDIS_URL": need_redis(),
        "SOCKETIO_CHANNEL": f"test-serve-{uuid.uuid4().hex}",
        "SECRET_KEY": "shared-secret",
    }
    env_a = _env(tmp_path / "a", _free_port(), **shared)
    env_b = _env(tmp_path / "b", _free_port(), **shared)
    _flask(["db", "upgrade"], env_a)
    _flask(["demo"], env_a)
    key = _flask(["keys", "create", "--role", "admin"], env_a).strip().splitlines()[-1]
    with (
        production_server(env_a, tmp_path / "a.log") as a,
        production_server(env_b, tmp_path / "b.log") as b,
    ):
        first = _move(a.base_url, key, 1)  # the level row exists from here on
        assert first.status_code == 201, first.text
        listener = Listener(b.base_url)
        try:
            with psycopg.connect(pg_schema_url) as lock, psycopg.connect(pg_schema_url, autocommit=True) as watch:
                lock.execute(
                    "SELECT 1 FROM stock_levels l JOIN products p ON p.id = l.product_id "
                    "JOIN locations c ON c.id = l.location_id WHERE p.sku = %s AND c.code = %s FOR UPDATE OF l",
                    (SKU, LOCATION),
                )
                answers: list[requests.Response] = []
                blocked = threading.Thread(target=lambda: answers.append(_move(a.base_url, key, 2)))
                blocked.start()
                _wait_for_lock_wait(watch, lock.info.backend_pid)
                # Process A has a request parked in psycopg; under gevent it still answers others.
                try:
                    health = requests.get(a.base_url + "/healthz", headers=CLOSE, timeout=10)
                except requests.Timeout:
                    pytest.fail("process A stopped answering while one request waited for PostgreSQL")
                assert health.status_code == 200 and health.json()["database"]["backend"] == "postgresql"
                assert not answers, "the movement did not wait for the row lock"
            blocked.join(20)  # the lock is released with its connection's commit
            assert answers and answers[0].status_code == 201, answers and answers[0].text
            level = answers[0].json()["level"]
            assert level["on_hand"] == first.json()["level"]["on_hand"] + 2
            assert listener.wait_for(level["version"])["on_hand"] == level["on_hand"]
        finally:
            listener.client.disconnect()
