"""Locations and products through the JSON API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.catalog.models import Product
from app.labels.models import Label
from tests.conftest import ean13

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)

STORE = {
    "code": "sh-1",
    "name": "Shanghai One",
    "kind": "store",
    "address": "1 Bund",
    "latitude": 31.24,
    "longitude": 121.49,
    "timezone": "Asia/Shanghai",
}
TEA = {
    "sku": "TEA-1",
    "name": "Green Tea",
    "description": "Spring harvest",
    "price": {"amount": 4550, "currency": "CNY"},
    "category": "Tea",
    "barcode": "4006381333931",
}


@both
def test_create_and_read_location(client, admin_headers):
    created = client.post("/api/v1/locations", json=STORE, headers=admin_headers)
    assert created.status_code == 201, created.json
    assert created.json == {**STORE, "code": "SH-1", "currency": "CNY", "opening_hours": None, "help_answer_minutes": 5}
    assert client.get("/api/v1/locations/sh-1", headers=admin_headers).json["name"] == "Shanghai One"
    listed = client.get("/api/v1/locations", headers=admin_headers).json
    assert [loc["code"] for loc in listed["items"]] == ["SH-1"] and listed["next_cursor"] is None


@both
def test_create_product_and_labels_appear(client, admin_headers, make_location, db):
    make_location()
    make_location(kind="warehouse")
    created = client.post("/api/v1/products", json=TEA, headers=admin_headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["price"] == {"amount": 4550, "currency": "CNY"}
    assert body["barcode"] == "4006381333931" and body["active"] is True
    assert client.get("/api/v1/products/TEA-1", headers=admin_headers).json["name"] == "Green Tea"
    assert db.session.scalar(select(func.count()).select_from(Label)) == 2


@both
def test_patch_price_puts_printed_labels_on_reprint_list(client, admin_headers, make_location, make_product, db):
    store = make_location()
    product = make_product()
    pdf = client.post("/api/v1/labels", json={"location": store.code}, headers=admin_headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    listed = client.get(f"/api/v1/labels?sku={product.sku}", headers=admin_headers).json["items"]
    assert listed[0]["needs_reprint"] is False and listed[0]["printed_version"] == 1
    patched = client.patch(f"/api/v1/products/{product.sku}", json={"price": {"amount": 999}}, headers=admin_headers)
    assert patched.status_code == 200 and patched.json["price"] == {"amount": 999, "currency": "CNY"}
    listed = client.get(f"/api/v1/labels?sku={product.sku}", headers=admin_headers).json["items"]
    assert listed[0]["needs_reprint"] is True and listed[0]["version"] == 2
    # A description change does not touch what the label shows.
    client.patch(f"/api/v1/products/{product.sku}", json={"description": "new words"}, headers=admin_headers)
    assert client.get(f"/api/v1/labels?sku={product.sku}", headers=admin_headers).json["items"][0]["version"] == 2


def test_pagination_walks_every_product_once(client, admin_headers, make_product):
    skus = {make_product().sku for _ in range(7)}
    seen, cursor = [], None
    while True:
        url = "/api/v1/products?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=admin_headers).json
        seen += [item["sku"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(skus)


def test_search_by_name_sku_or_barcode(client, admin_headers, make_product):
    make_product(name="Jasmine Pearls")
    other = make_product(name="Wok")
    assert [p["name"] for p in client.get("/api/v1/products?q=jasmine", headers=admin_headers).json["items"]] == [
        "Jasmine Pearls"
    ]
    assert [
        p["sku"] for p in client.get(f"/api/v1/products?q={other.barcode}", headers=admin_headers).json["items"]
    ] == [other.sku]


def test_bad_cursor_is_400(client, admin_headers):
    response = client.get("/api/v1/products?cursor=garbage!!", headers=admin_headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**TEA, "barcode": "4006381333932"}, 422, "invalid_barcode"),
        ({**TEA, "barcode": "12345"}, 422, "invalid_barcode"),
        ({k: v for k, v in TEA.items() if k != "name"}, 422, "validation_error"),
        ({**TEA, "price": {"amount": 12.5}}, 422, "validation_error"),
        ({**TEA, "price": {"amount": "100"}}, 422, "validation_error"),
        ({**TEA, "price": {"amount": -1}}, 422, "validation_error"),
        ({**TEA, "price": {"amount": 100, "currency": "XYZ"}}, 422, "invalid_currency"),
        ({**TEA, "sku": "has space"}, 422, "invalid_sku"),
        ({**TEA, "colour": "red"}, 422, "validation_error"),
        ({**TEA, "active": "yes"}, 422, "validation_error"),
    ],
)
def test_bad_product_input_is_refused_and_nothing_written(client, admin_headers, db, body, status, code):
    response = client.post("/api/v1/products", json=body, headers=admin_headers)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_upc_a_is_stored_as_gtin13(client, admin_headers):
    response = client.post("/api/v1/products", json={**TEA, "barcode": "036000291452"}, headers=admin_headers)
    assert response.status_code == 201
    assert response.json["barcode"] == "0036000291452"


def test_invalid_json_is_400(client, admin_headers):
    response = client.post("/api/v1/products", data="{not json", content_type="application/json", headers=admin_headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_duplicates_are_409(client, admin_headers):
    assert client.post("/api/v1/products", json=TEA, headers=admin_headers).status_code == 201
    again = client.post("/api/v1/products", json=TEA, headers=admin_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "sku_taken"
    same_barcode = client.post("/api/v1/products", json={**TEA, "sku": "TEA-2"}, headers=admin_headers)
    assert same_barcode.status_code == 409 and same_barcode.json["error"]["code"] == "barcode_taken"
    assert client.post("/api/v1/locations", json=STORE, headers=admin_headers).status_code == 201
    location_again = client.post("/api/v1/locations", json=STORE, headers=admin_headers)
    assert location_again.status_code == 409 and location_again.json["error"]["code"] == "location_exists"


def test_unknown_sku_and_location_are_404(client, admin_headers):
    missing = client.get("/api/v1/products/NOPE", headers=admin_headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "product_not_found"
    patch = client.patch("/api/v1/products/NOPE", json={"name": "x"}, headers=admin_headers)
    assert patch.status_code == 404
    assert client.get("/api/v1/locations/NOPE", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**STORE, "kind": "mall"}, "validation_error"),
        ({**STORE, "timezone": "Mars/Olympus"}, "invalid_timezone"),
        ({**STORE, "latitude": 91.0}, "invalid_coordinates"),
        ({**STORE, "longitude": None}, "invalid_coordinates"),
        ({**STORE, "code": "bad code!"}, "invalid_code"),
    ],
)
def test_bad_location_input(client, admin_headers, body, code):
    response = client.post("/api/v1/locations", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == code


def test_barcode_check_digit_helper():
    from app.catalog.services import normalise_barcode
    from app.errors import DomainError

    assert normalise_barcode(ean13(42)) == ean13(42)
    with pytest.raises(DomainError):
        normalise_barcode(ean13(42)[:-1] + str((int(ean13(42)[-1]) + 1) % 10))
