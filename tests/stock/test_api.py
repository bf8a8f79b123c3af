"""Stock through the API: movements, batches, idempotency, transfers, holds, history."""

from __future__ import annotations

import threading

import pytest

from tests.stock.test_ledger import ledger_agrees


@pytest.fixture
def stocked(make_location, make_product, client, clerk_headers):
    product, store, warehouse = make_product(), make_location(code="S1"), make_location(code="W1", kind="warehouse")
    response = client.post(
        "/api/v1/stock/movements",
        headers=clerk_headers,
        json={"sku": product.sku, "location": "S1", "reason": "receive", "delta": 10},
    )
    assert response.status_code == 201, response.json
    return product, store, warehouse


def move(client, headers, **body):
    return client.post("/api/v1/stock/movements", json=body, headers=headers)


def test_movement_answers_id_and_new_level(stocked, client, clerk_headers):
    product, _, _ = stocked
    response = move(client, clerk_headers, sku=product.sku, location="s1", reason="sale", delta=-4, reference="till-7")
    assert response.status_code == 201
    body = response.json
    assert isinstance(body["id"], int) and body["reason"] == "sale" and body["reference"] == "till-7"
    assert body["level"] == {
        "sku": product.sku,
        "location": "S1",
        "on_hand": 6,
        "reserved": 0,
        "available": 6,
        "version": 2,
    }
    levels = client.get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json
    assert levels == {"items": [body["level"]]}


def test_refused_movement_is_409_and_writes_nothing(stocked, client, clerk_headers, db):
    product, _, _ = stocked
    response = move(client, clerk_headers, sku=product.sku, location="S1", reason="sale", delta=-11)
    assert response.status_code == 409 and response.json["error"]["code"] == "insufficient_stock"
    assert response.json["error"]["details"]["available"] == 10
    ledger_agrees(db)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sku": None, "location": "S1", "reason": "receive", "delta": 1}, 422, "validation_error"),
        ({"sku": "NOPE", "location": "S1", "reason": "receive", "delta": 1}, 404, "product_not_found"),
        ({"location": "NOWHERE", "reason": "receive", "delta": 1}, 404, "location_not_found"),
        ({"location": "S1", "reason": "receive", "delta": -1}, 422, "invalid_delta"),
        ({"location": "S1", "reason": "receive", "delta": 1.5}, 422, "validation_error"),
        ({"location": "S1", "reason": "steal", "delta": -1}, 422, "validation_error"),
        ({"location": "S1", "reason": "count"}, 422, "invalid_count"),
    ],
)
def test_bad_movements(stocked, client, clerk_headers, body, status, code):
    product, _, _ = stocked
    payload = {k: v for k, v in {"sku": product.sku, **body}.items() if v is not None}
    response = move(client, clerk_headers, **payload)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code


def test_count_through_the_api(stocked, client, clerk_headers):
    product, _, _ = stocked
    response = move(client, clerk_headers, sku=product.sku, location="S1", reason="count", counted=8)
    assert response.status_code == 201 and response.json["delta"] == -2 and response.json["level"]["on_hand"] == 8


def test_batch_is_all_or_nothing(stocked, client, clerk_headers, db):
    product, _, _ = stocked
    ok = client.post(
        "/api/v1/stock/movements/batch",
        headers=clerk_headers,
        json={
            "movements": [
                {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -2},
                {"sku": product.sku, "location": "W1", "reason": "receive", "delta": 5},
            ]
        },
    )
    assert ok.status_code == 201 and [m["level"]["on_hand"] for m in ok.json["items"]] == [8, 5]
    refused = client.post(
        "/api/v1/stock/movements/batch",
        headers=clerk_headers,
        json={
            "movements": [
                {"sku": product.sku, "location": "W1", "reason": "sale", "delta": -5},
                {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -9},
            ]
        },
    )
    assert refused.status_code == 409
    levels = {
        lv["location"]: lv["on_hand"]
        for lv in client.get(f"/api/v1/stock?sku={product.sku}", headers=clerk_headers).json["items"]
    }
    assert levels == {"S1": 8, "W1": 5}
    ledger_agrees(db)


def test_a_batch_naming_an_unknown_product_or_place_writes_nothing(stocked, client, clerk_headers, db):
    product, _, _ = stocked
    good = {"sku": product.sku, "location": "s1", "reason": "receive", "delta": 1}  # any case
    for bad, code, named in (
        ({"sku": "NOPE-1", "location": "S1", "reason": "receive", "delta": 1}, "product_not_found", "NOPE-1"),
        ({"sku": product.sku, "location": "XX9", "reason": "receive", "delta": 1}, "location_not_found", "XX9"),
    ):
        response = client.post(
            "/api/v1/stock/movements/batch", headers=clerk_headers, json={"movements": [good, bad, good]}
        )
        assert response.status_code == 404
        assert response.json["error"]["code"] == code and named in response.json["error"]["message"]
    level = client.get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]
    assert level["on_hand"] == 10
    done = client.post("/api/v1/stock/movements/batch", headers=clerk_headers, json={"movements": [good, good]})
    assert done.status_code == 201 and [m["level"]["on_hand"] for m in done.json["items"]] == [11, 12]
    ledger_agrees(db)


def test_a_batch_applies_its_movements_in_order_counts_included(stocked, client, clerk_headers, db):
    product, _, _ = stocked
    moves = [
        {"sku": product.sku, "location": "S1", "reason": "receive", "delta": 2},
        {"sku": product.sku, "location": "W1", "reason": "receive", "delta": 3},
        {"sku": product.sku, "location": "S1", "reason": "count", "counted": 5},
        {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1},
    ]
    done = client.post("/api/v1/stock/movements/batch", headers=clerk_headers, json={"movements": moves})
    assert done.status_code == 201
    items = done.json["items"]
    assert [(m["location"], m["delta"], m["level"]["on_hand"]) for m in items] == [
        ("S1", 2, 12),
        ("W1", 3, 3),
        ("S1", -7, 5),
        ("S1", -1, 4),
    ]
    assert [m["id"] for m in items] == sorted(m["id"] for m in items)
    history = client.get(f"/api/v1/stock/movements?sku={product.sku}&location=S1", headers=clerk_headers).json
    assert [m["id"] for m in history["items"][-3:]] == [items[0]["id"], items[2]["id"], items[3]["id"]]
    ledger_agrees(db)


def test_retry_with_the_same_key_returns_the_first_answer(stocked, client, clerk_headers):
    product, _, _ = stocked
    headers = {**clerk_headers, "Idempotency-Key": "sale-0001"}
    body = {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1}
    first = client.post("/api/v1/stock/movements", json=body, headers=headers)
    again = client.post("/api/v1/stock/movements", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert (
        client.get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]["on_hand"]
        == 9
    )
    other = client.post("/api/v1/stock/movements", json={**body, "delta": -2}, headers=headers)
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_the_same_key_at_once_has_one_effect(stocked, app, clerk_headers):
    product, _, _ = stocked
    headers = {**clerk_headers, "Idempotency-Key": "race-1"}
    body = {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1}
    barrier, answers = threading.Barrier(8), []

    def send():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/api/v1/stock/movements", json=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and [a.status_code for a in answers] == [201] * 8
    assert len({a.json["id"] for a in answers}) == 1
    level = (
        app.test_client().get(f"/api/v1/stock?sku={product.sku}&location=S1", headers=clerk_headers).json["items"][0]
    )
    assert level["on_hand"] == 9


def test_keys_of_different_callers_do_not_collide(stocked, client, clerk_headers, admin_headers):
    product, _, _ = stocked
    body = {"sku": product.sku, "location": "S1", "reason": "sale", "delta": -1}
    a = client.post("/api/v1/stock/movements", json=body, headers={**clerk_headers, "Idempotency-Key": "k"})
    b = client.post("/api/v1/stock/movements", json=body, headers={**admin_headers, "Idempotency-Key": "k"})
    assert a.json["id"] != b.json["id"] and b.json["level"]["on_hand"] == 8


def test_transfer_and_history(stocked, client, clerk_headers):
    product, _, _ = stocked
    response = client.post(
        "/api/v1/stock/transfers",
        headers=clerk_headers,
        json={"sku": product.sku, "from": "S1", "to": "W1", "quantity": 3},
    )
    assert response.status_code == 201
    assert [(m["reason"], m["level"]["on_hand"]) for m in response.json["items"]] == [
        ("transfer_out", 7),
        ("transfer_in", 3),
    ]
    too_many = client.post(
        "/api/v1/stock/transfers",
        headers=clerk_headers,
        json={"sku": product.sku, "from": "W1", "to": "S1", "quantity": 4},
    )
    assert too_many.status_code == 409
    page = client.get(f"/api/v1/stock/movements?sku={product.sku}&limit=2", headers=clerk_headers).json
    assert [m["reason"] for m in page["items"]] == ["receive", "transfer_out"] and page["next_cursor"]
    rest = client.get(
        f"/api/v1/stock/movements?sku={product.sku}&cursor={page['next_cursor']}", headers=clerk_headers
    ).json
    assert [m["reason"] for m in rest["items"]] == ["transfer_in"] and rest["next_cursor"] is None


def test_reservations_hold_release_and_sell(stocked, client, clerk_headers, db):
    product, _, _ = stocked
    held = client.post(
        "/api/v1/stock/reservations",
        headers=clerk_headers,
        json={"sku": product.sku, "location": "S1", "quantity": 7, "reference": "cart-9"},
    )
    assert held.status_code == 201 and held.json["status"] == "active"
    assert held.json["level"]["available"] == 3 and held.json["level"]["reserved"] == 7
    refused = client.post(
        "/api/v1/stock/reservations", headers=clerk_headers, json={"sku": product.sku, "location": "S1", "quantity": 4}
    )
    assert refused.status_code == 409
    sold = client.post(f"/api/v1/stock/reservations/{held.json['id']}/sell", headers=clerk_headers)
    assert sold.status_code == 200 and sold.json["status"] == "sold" and sold.json["level"]["on_hand"] == 3
    again = client.delete(f"/api/v1/stock/reservations/{held.json['id']}", headers=clerk_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "reservation_ended"
    second = client.post(
        "/api/v1/stock/reservations", headers=clerk_headers, json={"sku": product.sku, "location": "S1", "quantity": 2}
    ).json
    released = client.delete(f"/api/v1/stock/reservations/{second['id']}", headers=clerk_headers)
    assert released.json["status"] == "released" and released.json["level"]["available"] == 3
    assert client.get("/api/v1/stock/reservations/999999", headers=clerk_headers).status_code == 404
    ledger_agrees(db)


def test_stock_needs_credentials(client):
    assert client.post("/api/v1/stock/movements", json={}).status_code == 401
    assert client.get("/api/v1/stock").status_code == 401
