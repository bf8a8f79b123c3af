"""Batches that touch the same levels in other orders, on PostgreSQL: they never deadlock, and a
deadlock the database does find (with a program outside ours) answers 503 with nothing written."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.stock.test_concurrency import _race
from tests.stock.test_ledger import ledger_agrees

on_postgres = pytest.mark.parametrize("app", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
BATCHES = 24


def _receive(skus: list[str], location: str = "S1") -> dict:
    return {"movements": [{"sku": sku, "location": location, "reason": "receive", "delta": 1} for sku in skus]}


def _on_hand(client, headers, sku: str) -> int:
    return client.get(f"/api/v1/stock?sku={sku}&location=S1", headers=headers).json["items"][0]["on_hand"]


@on_postgres
def test_batches_in_opposite_orders_all_go_through(app, client, clerk_headers, make_location, make_product, db):
    skus = [make_product().sku for _ in range(6)]
    make_location(code="S1")
    forward, backward = _receive(skus), _receive(list(reversed(skus)))
    url = "/api/v1/stock/movements/batch"
    answers = _race(app, [("POST", url, forward if i % 2 else backward, clerk_headers) for i in range(BATCHES)])
    assert [a.status_code for a in answers] == [201] * BATCHES, [a.json for a in answers if a.status_code != 201][:2]
    assert [_on_hand(client, clerk_headers, sku) for sku in skus] == [BATCHES] * len(skus)
    ledger_agrees(db)


def _waiting_for_a_lock(conn: psycopg.Connection, timeout: float = 10.0) -> None:
    """Wait until some transaction waits for a row of this schema's stock_levels.

    A backend waiting for a row holds that table's tuple lock while it waits (``conn`` is on the
    test's schema, so the table name resolves to this test's table alone).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'tuple' AND relation = 'stock_levels'::regclass"
        ).fetchone()[0]
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the batch never waited for the row lock")


@on_postgres
def test_a_deadlock_answers_503_retry_and_writes_nothing(
    app, client, clerk_headers, make_location, make_product, db, pg_schema_url
):
    first, second = make_product(), make_product()  # the batch takes first's level, then second's
    make_location(code="S1")
    (first_sku, first_id), (second_sku, second_id) = (first.sku, first.id), (second.sku, second.id)
    opened = client.post("/api/v1/stock/movements/batch", headers=clerk_headers, json=_receive([first_sku, second_sku]))
    assert opened.status_code == 201
    plain = pg_schema_url.replace("postgresql+psycopg://", "postgresql://")
    other = psycopg.connect(plain, autocommit=True)  # another program on the same database
    watcher = psycopg.connect(plain, autocommit=True)
    try:
        other.execute("SET deadlock_timeout = '20s'")  # so that PostgreSQL picks our request to abort
        other.execute("BEGIN")
        other.execute(text_update(second_id))
        answer = {}
        batch = threading.Thread(
            target=lambda: answer.update(
                response=app.test_client().post(
                    "/api/v1/stock/movements/batch",
                    headers=clerk_headers,
                    json=_receive([second_sku, first_sku]),  # the order given does not matter
                )
            )
        )
        batch.start()
        _waiting_for_a_lock(watcher)  # the batch holds first's level and waits for second's
        other.execute(text_update(first_id))  # now each waits for the other
        batch.join(30)
        other.execute("ROLLBACK")
    finally:
        other.close()
        watcher.close()
    assert "response" in answer, "the batch was still waiting for the other program"
    response = answer["response"]
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json["error"]["code"] == "busy"
    assert [_on_hand(client, clerk_headers, sku) for sku in (first_sku, second_sku)] == [1, 1]
    ledger_agrees(db)


def text_update(product_id: int) -> str:
    return f"UPDATE stock_levels SET version = version WHERE product_id = {int(product_id)}"
