"""Many buyers at once, through the API, on SQLite and PostgreSQL: never an oversell."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.stock.test_ledger import ledger_agrees

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
BUYERS, UNITS = 200, 100


def _race(app, requests):
    """Send every request from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(requests))

    def send(request):
        method, url, body, headers = request
        client = app.test_client()
        barrier.wait()
        return client.open(url, method=method, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _stocked(client, headers, make_location, make_product, units):
    """A product with ``units`` received at store S1."""
    product, _ = make_product(), make_location(code="S1")
    body = {"sku": product.sku, "location": "S1", "reason": "receive", "delta": units}
    assert client.post("/api/v1/stock/movements", headers=headers, json=body).status_code == 201
    return product


@both
def test_200_buyers_for_100_units(app, client, clerk_headers, make_location, make_product, db):
    product = _stocked(client, clerk_headers, make_location, make_product, UNITS)
    sale = {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1}
    answers = _race(app, [("POST", "/api/v1/stock/movements", sale, clerk_headers)] * BUYERS)
    codes = [a.status_code for a in answers]
    assert codes.count(201) == UNITS and codes.count(409) == BUYERS - UNITS, sorted(set(codes))
    assert all(a.json["error"]["code"] == "insufficient_stock" for a in answers if a.status_code == 409)
    level = client.get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]
    assert level["available"] == 0 and level["on_hand"] == 0 and level["version"] == UNITS + 1
    ledger_agrees(db)


@both
def test_200_holds_for_100_units(app, client, clerk_headers, make_location, make_product, db):
    product = _stocked(client, clerk_headers, make_location, make_product, UNITS)
    hold = {"sku": product.sku, "location": "S1", "quantity": 1}
    answers = _race(app, [("POST", "/api/v1/stock/reservations", hold, clerk_headers)] * BUYERS)
    codes = [a.status_code for a in answers]
    assert codes.count(201) == UNITS and codes.count(409) == BUYERS - UNITS, sorted(set(codes))
    level = client.get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]
    assert (level["on_hand"], level["reserved"], level["available"]) == (UNITS, UNITS, 0)
    ledger_agrees(db)


@both
def test_one_key_sent_by_many_at_once_has_one_effect(app, client, clerk_headers, make_location, make_product, db):
    product = _stocked(client, clerk_headers, make_location, make_product, 5)
    sale = {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1}
    headers = {**clerk_headers, "Idempotency-Key": "till-42-receipt-7"}
    answers = _race(app, [("POST", "/api/v1/stock/movements", sale, headers)] * 20)
    assert {a.status_code for a in answers} == {201}
    assert len({a.json["id"] for a in answers}) == 1
    level = client.get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]
    assert level["on_hand"] == 4
    ledger_agrees(db)
