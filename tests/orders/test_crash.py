"""The real server killed after the card provider's charge, before its notification was sent: after
a restart the pending order is settled by asking the provider (completed, since the units are
still held), and the shopper's retry with the same Idempotency-Key gets that one order, charged
once. On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from app.config import normalise_db_url
from tests.conftest import csrf_from, wait_for
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


class Database:
    """Reads what the server wrote, from outside it: its SQLite file, or its PostgreSQL schema."""

    def __init__(self, url: str, file: Path | None = None) -> None:
        self.file = file
        options = {"connect_args": {"timeout": 10}} if file is not None else {}
        self.engine = create_engine(normalise_db_url(url), poolclass=NullPool, **options)

    def rows(self, sql: str) -> list[tuple]:
        if self.file is not None and not self.file.exists():
            return []
        try:
            with self.engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        except (OperationalError, ProgrammingError):
            return []  # the table is not there yet


def databases(backend: str, instance: Path, request) -> tuple[dict[str, str], Database, Database]:
    """The server's DATABASE_URL setting, and readers of its database and of the sandbox gateway's."""
    if backend == "postgres":
        url = request.getfixturevalue("pg_schema_url")
        return {"DATABASE_URL": url}, Database(url), Database(url)  # the gateway keeps its table there too
    main, gateway = instance / "oneshelf.db", instance / "oneshelf-sandbox-gateway.db"
    return {}, Database(f"sqlite:///{main}", main), Database(f"sqlite:///{gateway}", gateway)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_server_killed_between_charge_and_commit_settles_the_order(tmp_path, backend, request):
    instance = tmp_path / "instance"
    instance.mkdir()
    port = free_port()
    database, main_db, gateway_db = databases(backend, instance, request)
    env = server_env(instance, port, PENDING_SETTLE_SECONDS="1", **database)
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
        body = {"payment": {"method": "card"}}
        headers = {"Idempotency-Key": checkout_key}
        started = requests.post(f"{base}/api/v1/carts/{cart}/checkout", json=body, headers=headers, timeout=30)
        assert started.status_code == 201 and started.json()["status"] == "pending_payment", started.text
        page_url = started.json()["next_action"]["redirect_url"]
        shopper = requests.Session()
        page = shopper.get(page_url, timeout=30)
        form = {"card_number": GOOD_CARD, "csrf_token": csrf_from(page.text)}
        lost = {}
        thread = threading.Thread(target=lambda: lost.setdefault("answer", _post_quietly(shopper, page_url, form)))
        thread.start()
        charge = wait_for(lambda: gateway_db.rows("SELECT reference, status FROM sandbox_charges"), 20, "the charge")
        os.kill(slow.pid, signal.SIGKILL)  # after the charge, before the notification was queued
        slow.wait(timeout=10)
        thread.join(timeout=10)
    finally:
        if slow.poll() is None:
            slow.kill()
    assert lost.get("answer") is None, "the shopper got an answer: the server died too late"
    assert charge[0][1] == "captured"
    assert main_db.rows("SELECT status FROM orders") == [("pending_payment",)]

    again = start(env, tmp_path / "server-again.log")
    try:
        settled = wait_for(
            lambda: [r for r in main_db.rows("SELECT status, number FROM orders") if r[0] != "pending_payment"],
            30,
            "the sweeper to settle the order",
        )
        assert settled[0][0] == "paid"
        number = settled[0][1]
        assert charge[0][0] == f"order-{number}"
        assert main_db.rows(f"SELECT status FROM payments WHERE reference = 'order-{number}'") == [("captured",)]
        # The shopper's app retries with the same key: the same order, and still one charge.
        retry = requests.post(f"{base}/api/v1/carts/{cart}/checkout", json=body, headers=headers, timeout=30)
        assert retry.status_code == 201, retry.text
        assert retry.json()["number"] == number and retry.json()["status"] == "paid"
        assert len(gateway_db.rows("SELECT id FROM sandbox_charges")) == 1
        assert retry.json()["exit_pass"]["token"]
    finally:
        again.terminate()
        again.wait(timeout=10)


def _post_quietly(session: requests.Session, url: str, form: dict):
    try:
        return session.post(url, data=form, timeout=30, allow_redirects=False).status_code
    except requests.RequestException:
        return None  # the server died mid-request: no answer
