"""Two server processes on one PostgreSQL database and one Redis: a change made through one
reaches a client of the other; with Redis down, stock still commits and pushes resume after."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_client
import requests
import socketio

from tests.conftest import need_postgres, need_redis
from tests.live_server import free_port, run_flask, running_server, server_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Listener:
    """A Socket.IO client subscribed to one product at one location, collecting stock:changed."""

    def __init__(self, base_url: str, sku: str, location: str) -> None:
        self.events: list[dict] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2)
        self.client.on("stock:changed", self._on_change, namespace="/live")
        self.client.connect(base_url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
        ack = self.client.call("subscribe", {"sku": sku, "location": location}, namespace="/live", timeout=10)
        assert ack["ok"], ack
        self.first = ack["levels"][0]

    def _on_change(self, data: dict) -> None:
        with self.arrived:
            self.events.append(data)
            self.arrived.notify_all()

    def wait_for(self, on_hand: int, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while time.monotonic() < deadline:
                for event in self.events:
                    if event["on_hand"] == on_hand:
                        return event
                self.arrived.wait(0.2)
        raise AssertionError(f"no stock:changed with on_hand={on_hand}; got {self.events}")


def _move(base_url: str, key: str, delta: int) -> requests.Response:
    body = {"sku": "TEA-001", "location": "SH-PUDONG", "reason": "receive" if delta > 0 else "sale", "delta": delta}
    return requests.post(
        f"{base_url}/api/v1/stock/movements", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )


def _start_redis(port: int, folder: Path) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (sudo apt-get install -y redis-server)")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis_client.Redis(port=port, socket_timeout=0.5)
    for _ in range(50):
        try:
            if client.ping():
                return process
        except redis_client.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"redis-server did not start on port {port}")


@pytest.fixture
def two_servers(pg_schema_url, tmp_path):
    """Servers A and B sharing a PostgreSQL schema and a Redis of their own (so it can be stopped)."""
    need_postgres()
    need_redis()
    redis_port = free_port()
    redis = _start_redis(redis_port, tmp_path)
    shared = {
        "DATABASE_URL": pg_schema_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "shared-secret",
        "SOCKETIO_CHANNEL": f"test-{uuid.uuid4().hex}",
    }
    env_a = server_env(tmp_path / "a", free_port(), **shared)
    env_b = server_env(tmp_path / "b", free_port(), **shared)
    run_flask(["db", "upgrade"], env_a)
    run_flask(["demo"], env_a)
    key = run_flask(["keys", "create", "--role", "clerk"], env_a).strip().splitlines()[-1]
    state = {"redis": redis, "redis_port": redis_port, "folder": tmp_path}
    try:
        with running_server(env_a, tmp_path / "a.log") as a, running_server(env_b, tmp_path / "b.log") as b:
            yield a, b, key, state
    finally:
        state["redis"].terminate()
        state["redis"].wait(timeout=10)


def test_change_through_one_process_reaches_a_client_of_the_other(two_servers):
    a, b, key, _ = two_servers
    listener = Listener(b.base_url, "TEA-001", "SH-PUDONG")
    try:
        response = _move(a.base_url, key, 7)
        assert response.status_code == 201, response.text
        event = listener.wait_for(listener.first["on_hand"] + 7)
        assert event["version"] == response.json()["level"]["version"]
    finally:
        listener.client.disconnect()


def test_redis_down_stock_still_commits_and_pushes_resume(two_servers):
    a, b, key, state = two_servers
    listener = Listener(b.base_url, "TEA-001", "SH-PUDONG")
    try:
        start = listener.first["on_hand"]
        state["redis"].terminate()
        state["redis"].wait(timeout=10)
        during = _move(a.base_url, key, 3)
        assert during.status_code == 201, during.text
        level = requests.get(
            f"{b.base_url}/api/v1/stock?sku=TEA-001&location=SH-PUDONG",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        ).json()["items"][0]
        assert level["on_hand"] == start + 3  # committed, and visible through the other process
        state["redis"] = _start_redis(state["redis_port"], state["folder"])
        deadline = time.monotonic() + 20
        while True:  # the listeners reconnect to Redis with back-off; keep moving stock until one arrives
            after = _move(a.base_url, key, 1)
            assert after.status_code == 201
            try:
                listener.wait_for(after.json()["level"]["on_hand"], timeout=1)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
    finally:
        listener.client.disconnect()
