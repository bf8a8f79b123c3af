"""Bad input is a 4xx with our error shape, never a 500, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

HUGE = 2**70


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def shelf(make_location, make_product):
    return make_location(code="S1"), make_product(sku="TEA-1")


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("delta", [HUGE, -HUGE, 10**9, -(10**9)])
def test_a_movement_past_the_quantity_limit_is_refused(client, db, admin_headers, shelf, delta):
    from app.stock.models import StockMovement

    body = {"sku": "TEA-1", "location": "S1", "reason": "adjust", "delta": delta}
    _error(client.post("/api/v1/stock/movements", json=body, headers=admin_headers), 422, "validation_error")
    assert _count(db, StockMovement) == 0


def test_a_count_past_the_limit_is_refused(client, db, admin_headers, shelf):
    from app.stock.models import StockMovement

    body = {"sku": "TEA-1", "location": "S1", "reason": "count", "counted": HUGE}
    _error(client.post("/api/v1/stock/movements", json=body, headers=admin_headers), 422, "validation_error")
    assert _count(db, StockMovement) == 0


@pytest.mark.parametrize("amount", [HUGE, 10**9])
def test_a_price_of_a_billion_minor_units_is_refused(client, db, admin_headers, amount):
    from app.catalog.models import Product

    body = {"sku": "BIG-1", "name": "Big", "price": {"amount": amount, "currency": "CNY"}}
    _error(client.post("/api/v1/products", json=body, headers=admin_headers), 422, "validation_error")
    assert _count(db, Product) == 0


def test_a_price_just_below_the_limit_is_taken(client, admin_headers):
    body = {"sku": "BIG-2", "name": "Big", "price": {"amount": 10**9 - 1, "currency": "CNY"}}
    assert client.post("/api/v1/products", json=body, headers=admin_headers).status_code == 201


def test_a_reservation_of_too_many_units_is_refused(client, db, admin_headers, shelf):
    from app.stock.models import StockMovement

    body = {"sku": "TEA-1", "location": "S1", "quantity": HUGE}
    response = client.post("/api/v1/stock/reservations", json=body, headers=admin_headers)
    _error(response, 422, "validation_error")
    assert _count(db, StockMovement) == 0


@pytest.mark.parametrize("path", [f"/api/v1/stock/reservations/{HUGE}", "/api/v1/stock/reservations/0"])
def test_an_id_past_64_bits_in_a_path_is_not_found(client, admin_headers, path):
    _error(client.get(path, headers=admin_headers), 404, "not_found")


def test_an_id_past_64_bits_in_a_query_filter_is_refused(client, admin_headers):
    _error(client.get(f"/api/v1/orders?member={HUGE}", headers=admin_headers), 422, "validation_error")


def test_json_nested_too_deep_is_refused_before_parsing(client, db, admin_headers):
    from app.catalog.models import Product

    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/products", data=deep, headers={**admin_headers, "Content-Type": "application/json"})
    _error(response, 400, "too_deep")
    assert _count(db, Product) == 0


def test_brackets_inside_strings_do_not_count_as_nesting(client, admin_headers):
    body = {"sku": "DEEP-1", "name": "[" * 100 + "{" * 100, "price": {"amount": 100, "currency": "CNY"}}
    assert client.post("/api/v1/products", json=body, headers=admin_headers).status_code == 201


def test_a_5000_digit_loyalty_points_value_is_a_row_error(db):
    from app.members import loyalty
    from app.members.models import Member

    result = loyalty.import_csv("card_number,name,points\nC-1,Ann," + "9" * 5000 + "\n")
    assert result["written"] is False
    assert [e["field"] for e in result["errors"]] == ["points"]
    assert _count(db, Member) == 0
