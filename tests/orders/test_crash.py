"""The real server killed between the card gateway's charge and its commit: after a restart the
pending order is settled with the gateway (completed, since the units are still held), and the
shopper's retry with the same Idempotency-Key gets that one order, charged once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import wait_for
from tests.live_server import ROOT, LiveServer, _wait_healthy, free_port, run_flask, server_env
from tests.orders.conftest import GOOD_CARD

pytestmark = pytest.mark.slow


def start(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    _wait_healthy(LiveServer(env["PUBLIC_BASE_URL"], Path(env["INSTANCE_PATH"]), log, env), process)
    return process


def rows(database: Path, sql: str) -> list[tuple]:
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=10) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []  # the table is not there yet


def test_a_server_killed_between_charge_and_commit_settles_the_order(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    port = free_port()
    env = server_env(instance, port, PENDING_SETTLE_SECONDS="1")
    run_flask(["db", "upgrade"], env)
    run_flask(["demo"], env)
    key = run_flask(["keys", "create", "--role", "admin"], env).strip().splitlines()[-1]
    base = env["PUBLIC_BASE_URL"]
    admin = {"Authorization": f"Bearer {key}"}

    # The gateway answers slowly: it takes the money, then the answer takes a while to come back.
    slow = start({**env, "SANDBOX_CARD_LATENCY_MS": "3000"}, tmp_path / "server.log")
    try:
        label = requests.get(f"{base}/api/v1/labels?location=SH-PUDONG&limit=1", headers=admin, timeout=10).json()
        if not label.get("items"):
            pytest.fail("the demo store has no labels")
        received = requests.post(
            f"{base}/api/v1/stock/movements",
            json={"sku": label["items"][0]["sku"], "location": "SH-PUDONG", "reason": "receive", "delta": 5},
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        assert received.status_code == 201, received.text
        cart = requests.post(f"{base}/api/v1/carts", timeout=10).json()["id"]
        added = requests.post(f"{base}/api/v1/carts/{cart}/lines", json={"code": label["items"][0]["code"]}, timeout=10)
        assert added.status_code == 201, added.text
        checkout_key = uuid.uuid4().hex
        body = {"payment": {"method": "card", "card_number": GOOD_CARD}}
        headers = {"Idempotency-Key": checkout_key}
        lost = {}
        thread = threading.Thread(
            target=lambda: lost.setdefault(
                "answer", _post_quietly(f"{base}/api/v1/carts/{cart}/checkout", body, headers)
            )
        )
        thread.start()
        gateway_db = instance / "oneshelf-sandbox-gateway.db"
        charge = wait_for(lambda: rows(gateway_db, "SELECT reference, status FROM sandbox_charges"), 20, "the charge")
        os.kill(slow.pid, signal.SIGKILL)  # after the charge, before our commit
        slow.wait(timeout=10)
        thread.join(timeout=10)
    finally:
        if slow.poll() is None:
            slow.kill()
    assert lost.get("answer") is None, "the shopper got an answer: the server died too late"
    assert charge[0][1] == "captured"
    main_db = instance / "oneshelf.db"
    assert rows(main_db, "SELECT status FROM orders") == [("pending_payment",)]

    again = start(env, tmp_path / "server-again.log")
    try:
        settled = wait_for(
            lambda: [r for r in rows(main_db, "SELECT status, number FROM orders") if r[0] != "pending_payment"],
            30,
            "the sweeper to settle the order",
        )
        assert settled[0][0] == "paid"
        number = settled[0][1]
        assert charge[0][0] == f"order-{number}"
        assert rows(main_db, f"SELECT status FROM payments WHERE reference = 'order-{number}'") == [("captured",)]
        # The shopper's app retries with the same key: the same order, and still one charge.
        retry = requests.post(f"{base}/api/v1/carts/{cart}/checkout", json=body, headers=headers, timeout=30)
        assert retry.status_code == 201, retry.text
        assert retry.json()["number"] == number and retry.json()["status"] == "paid"
        assert len(rows(gateway_db, "SELECT id FROM sandbox_charges")) == 1
        assert retry.json()["exit_pass"]["token"]
    finally:
        again.terminate()
        again.wait(timeout=10)


def _post_quietly(url: str, body: dict, headers: dict):
    try:
        return requests.post(url, json=body, headers=headers, timeout=30).status_code
    except requests.RequestException:
        return None  # the server died mid-request: no answer
