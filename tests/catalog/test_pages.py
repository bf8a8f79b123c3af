"""Staff catalog pages through the test client: forms, errors, no partial writes."""

from __future__ import annotations

import io
import time

from sqlalchemy import func, select

from app.catalog.models import Location, Product
from tests.conftest import csrf_from, ean13


def test_admin_adds_a_location_and_sees_it(signed_in, db):
    client = signed_in("admin")
    page = client.get("/staff/locations")
    form = {
        "code": "sh-xh",
        "name": "Xuhui",
        "kind": "store",
        "address": "1 Road",
        "latitude": "31.19",
        "longitude": "121.43",
        "timezone": "Asia/Shanghai",
        "csrf_token": csrf_from(page.text),
    }
    response = client.post("/staff/locations", data=form, follow_redirects=True)
    assert "Xuhui added" in response.text and "SH-XH" in response.text
    bad = client.post("/staff/locations", data={**form, "code": "sh-2", "timezone": "Nowhere/City"})
    assert bad.status_code == 422 and "Unknown time zone" in bad.text
    assert db.session.scalar(select(func.count()).select_from(Location)) == 1


def test_admin_adds_and_edits_a_product(signed_in, db, make_location):
    make_location()
    client = signed_in("admin")
    page = client.get("/staff/products/new")
    form = {
        "sku": "TEA-7",
        "name": "Oolong",
        "price": "38.00",
        "currency": "CNY",
        "barcode": ean13(7),
        "category": "Tea",
        "description": "Roasted",
        "image": "",
        "active": "y",
        "csrf_token": csrf_from(page.text),
    }
    wrong = client.post(
        "/staff/products/new",
        data={**form, "barcode": ean13(7)[:-1] + "0" if ean13(7)[-1] != "0" else ean13(7)[:-1] + "1"},
    )
    assert wrong.status_code == 422 and "wrong check digit" in wrong.text
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    created = client.post("/staff/products/new", data=form, follow_redirects=True)
    assert "Oolong added" in created.text and "/api/v1/labels/" in created.text
    edit = client.post(
        "/staff/products/TEA-7",
        data={**form, "price": "40.50", "csrf_token": csrf_from(created.text)},
        follow_redirects=True,
    )
    assert "Saved." in edit.text
    assert db.session.scalar(select(Product.price_amount).filter_by(sku="TEA-7")) == 4050
    listing = client.get("/staff/products?q=oolong")
    assert "Oolong" in listing.text and "CN¥40.50" in listing.text


def test_clerk_sees_products_but_cannot_change_them(signed_in, make_product, db):
    product = make_product(name="Wok")
    client = signed_in("clerk")
    page = client.get(f"/staff/products/{product.sku}")
    assert page.status_code == 200 and "Wok" in page.text and "Add product" not in page.text
    attempt = client.post(
        f"/staff/products/{product.sku}",
        data={
            "sku": product.sku,
            "name": "Hacked",
            "price": "1",
            "currency": "CNY",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert attempt.status_code == 403
    db.session.refresh(product)
    assert product.name == "Wok"


def test_import_page_reports_bad_lines_and_writes_nothing(signed_in, db, jobs_worker):
    client = signed_in("admin")
    page = client.get("/staff/products/import")
    csv_text = "sku,name,price\nA-1,Apple,1.00\nB-1,Bad,-3\n"
    response = client.post(
        "/staff/products/import",
        data={
            "file": (io.BytesIO(csv_text.encode()), "products.csv"),
            "mode": "all",
            "csrf_token": csrf_from(page.text),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "/staff/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"])
    assert "Importing products" in job_page.text
    status_url = job_page.text.split('data-status-url="')[1].split('"')[0]
    for _ in range(50):
        job = client.get(status_url).json
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["result"]["written"] is False and job["result"]["errors"][0]["line"] == 3
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_export_page_downloads_csv(signed_in, make_product):
    make_product(name="Fan")
    client = signed_in("clerk")
    response = client.get("/staff/products/export.csv")
    assert response.mimetype == "text/csv" and "Fan" in response.text
