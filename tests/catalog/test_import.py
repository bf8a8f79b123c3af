"""CSV import and export: per-line errors, nothing written on a bad row, progress for big files."""

from __future__ import annotations

import csv
import io
import time

from sqlalchemy import func, select

from app.catalog.models import Product
from app.labels.models import Label
from tests.conftest import ean13

HEADER = "sku,name,price,currency,barcode,category,description,image,active\n"


def _post(client, headers, text, mode="all"):
    return client.post(
        f"/api/v1/products/import?mode={mode}", data=text.encode(), content_type="text/csv", headers=headers
    )


def _count(db):
    return db.session.scalar(select(func.count()).select_from(Product))


def test_good_file_imports_everything_with_labels(client, admin_headers, db, make_location):
    make_location()
    text = HEADER + f"A-1,Apple,3.50,CNY,{ean13(1)},Fruit,Red,,true\nB-2,Bun,12,,,,,,\n"
    response = _post(client, admin_headers, text)
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2 and response.json["errors"] == [] and response.json["written"] is True
    apple = client.get("/api/v1/products/A-1", headers=admin_headers).json
    assert apple["price"] == {"amount": 350, "currency": "CNY"} and apple["barcode"] == ean13(1)
    assert db.session.scalar(select(func.count()).select_from(Label)) == 2


def test_bad_rows_give_line_numbers_and_write_nothing(client, admin_headers, db):
    text = HEADER + (
        f"OK-1,Fine,1.00,CNY,{ean13(5)},,,,\n"
        "BAD-1,Bad barcode,1.00,CNY,4006381333932,,,,\n"
        "BAD-2,,1.00,CNY,,,,,\n"
        "BAD-3,Bad price,1.005,CNY,,,,,\n"
        "BAD-4,Bad currency,1,ZZZ,,,,,\n"
        "OK-1,Duplicate,2.00,CNY,,,,,\n"
        "BAD-5,Too many,1,CNY,,,,,,extra\n"
    )
    response = _post(client, admin_headers, text)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_rows"
    details = response.json["error"]["details"]
    errors = {(e["line"], e["field"]) for e in details["errors"]}
    assert errors == {(3, "barcode"), (4, "name"), (5, "price"), (6, "currency"), (7, "sku"), (8, None)}
    assert details["written"] is False
    assert _count(db) == 0


def test_valid_only_mode_imports_the_good_rows(client, admin_headers, db):
    text = HEADER + "OK-1,Fine,1.00,CNY,,,,,\nBAD-1,Bad,abc,CNY,,,,,\n"
    response = _post(client, admin_headers, text, mode="valid_only")
    assert response.status_code == 200
    assert response.json["created"] == 1 and [e["line"] for e in response.json["errors"]] == [3]
    assert _count(db) == 1


def test_existing_skus_are_updated(client, admin_headers, make_product, db):
    product = make_product(sku="KEEP-1", name="Old name", price_amount=100)
    response = _post(client, admin_headers, HEADER + "KEEP-1,New name,2.00,CNY,,,,,\n")
    assert response.json["updated"] == 1 and response.json["created"] == 0
    db.session.refresh(product)
    assert (product.name, product.price_amount) == ("New name", 200)


def test_missing_header_and_bad_encoding(client, admin_headers):
    no_header = _post(client, admin_headers, "A-1,Apple,3.50\n")
    assert no_header.status_code == 422 and no_header.json["error"]["code"] == "invalid_header"
    latin1 = client.post(
        "/api/v1/products/import",
        data=(HEADER + "A,Caf\xe9,1,,,,,,\n").encode("latin-1"),
        content_type="text/csv",
        headers=admin_headers,
    )
    assert latin1.status_code == 400 and latin1.json["error"]["code"] == "invalid_encoding"
    empty = client.post("/api/v1/products/import", data=b"", content_type="text/csv", headers=admin_headers)
    assert empty.status_code == 400


def test_export_round_trips(client, admin_headers, make_product, db):
    make_product(name='Comma, "quoted" name', price_amount=1234)
    make_product(barcode=None, active=False)
    exported = client.get("/api/v1/products/export.csv", headers=admin_headers)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[0]["name"] == 'Comma, "quoted" name' and rows[0]["price"] == "12.34"
    assert rows[1]["active"] == "false"
    reimport = _post(client, admin_headers, exported.text)
    assert reimport.status_code == 200 and reimport.json["unchanged"] == 2


def test_big_file_runs_as_a_job_with_progress(app, jobs_worker, client, admin_headers, db):
    app.config["IMPORT_SYNC_LIMIT"] = 50
    text = HEADER + "".join(f"BULK-{n},Item {n},{n}.99,CNY,{ean13(1000 + n)},Bulk,,,\n" for n in range(400))
    response = _post(client, admin_headers, text)
    assert response.status_code == 202
    job = response.json
    assert job["total"] == 400 and job["status"] in ("queued", "running", "done")
    for _ in range(100):
        job = client.get(job["status_url"], headers=admin_headers).json
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    assert job["percent"] == 100 and job["result"]["created"] == 400
    db.session.expire_all()
    assert _count(db) == 400


def test_big_bad_file_job_writes_nothing(app, jobs_worker, client, admin_headers, db):
    app.config["IMPORT_SYNC_LIMIT"] = 10
    text = HEADER + "".join(f"BULK-{n},Item {n},1,CNY,,,,,\n" for n in range(30)) + "BAD,,1,CNY,,,,,\n"
    job = _post(client, admin_headers, text).json
    for _ in range(100):
        job = client.get(job["status_url"], headers=admin_headers).json
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done" and job["result"]["written"] is False
    assert job["result"]["errors"][0]["line"] == 32
    assert _count(db) == 0
