"""Labels through the API: list, print, QR images, replace."""

from __future__ import annotations

import io
import subprocess
import time

from PIL import Image
from pyzbar.pyzbar import decode

from app.labels.services import ALPHABET, CODE_LENGTH
from tests.conftest import need_tool


def test_every_product_location_pair_has_one_label(client, admin_headers, make_location, make_product):
    store, warehouse = make_location(), make_location(kind="warehouse")
    product = make_product()
    items = client.get(f"/api/v1/labels?sku={product.sku}", headers=admin_headers).json["items"]
    assert sorted(i["location"] for i in items) == sorted([store.code, warehouse.code])
    for item in items:
        assert len(item["code"]) == CODE_LENGTH and set(item["code"]) <= set(ALPHABET)
        assert item["url"] == f"HTTP://SHOP.TEST/Q/{item['code']}"
        assert item["sku"] == product.sku and item["version"] == 1
    only_store = client.get(f"/api/v1/labels?location={store.code.lower()}", headers=admin_headers).json["items"]
    assert [i["location"] for i in only_store] == [store.code]


def test_url_keeps_case_when_base_has_a_path(app):
    from app.labels.services import label_url

    app.config["PUBLIC_BASE_URL"] = "https://example.com/shop"
    assert label_url("ABCD2345") == "https://example.com/shop/q/ABCD2345"
    app.config["PUBLIC_BASE_URL"] = "https://shop.example.com"
    assert label_url("ABCD2345") == "HTTPS://SHOP.EXAMPLE.COM/Q/ABCD2345"


def test_qr_png_decodes_and_is_cached_with_etag(client, admin_headers, make_location, make_product):
    make_location()
    make_product()
    label = client.get("/api/v1/labels", headers=admin_headers).json["items"][0]
    png = client.get(f"/api/v1/labels/{label['code'].lower()}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = decode(Image.open(io.BytesIO(png.data)))
    assert [d.data.decode() for d in decoded] == [label["url"]]
    assert png.headers["ETag"] and "max-age" in png.headers["Cache-Control"]
    again = client.get(f"/api/v1/labels/{label['code']}/qr.png", headers={"If-None-Match": png.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    svg = client.get(f"/api/v1/labels/{label['code']}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/api/v1/labels/ZZZZZZZZ/qr.png").status_code == 404


def test_print_small_job_returns_pdf(client, clerk_headers, make_location, make_product):
    store = make_location()
    products = [make_product() for _ in range(3)]
    response = client.post(
        "/api/v1/labels",
        json={"location": store.code, "skus": [p.sku for p in products[:2]], "format": "thermal-50x30"},
        headers=clerk_headers,
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    info = subprocess.run(
        [need_tool("pdfinfo"), "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Pages:           2" in info  # one thermal label a page
    assert "50 x 30 mm" in info or "141.73 x 85.04 pts" in info or "141.732 x 85.0394 pts" in info


def test_print_errors(client, clerk_headers, make_location, make_product):
    store = make_location()
    make_product()
    unknown_sku = client.post("/api/v1/labels", json={"location": store.code, "skus": ["NOPE"]}, headers=clerk_headers)
    assert unknown_sku.status_code == 404 and unknown_sku.json["error"]["code"] == "product_not_found"
    unknown_location = client.post("/api/v1/labels", json={"location": "NOWHERE"}, headers=clerk_headers)
    assert unknown_location.status_code == 404 and unknown_location.json["error"]["code"] == "location_not_found"
    bad_format = client.post("/api/v1/labels", json={"location": store.code, "format": "a3"}, headers=clerk_headers)
    assert bad_format.status_code == 422
    no_location = client.post("/api/v1/labels", json={}, headers=clerk_headers)
    assert no_location.status_code == 422 and "location" in no_location.json["error"]["message"]


def test_big_print_runs_in_background_with_progress(
    app, jobs_worker, client, clerk_headers, make_location, make_product
):
    app.config["LABELS_SYNC_LIMIT"] = 5
    store = make_location()
    for _ in range(30):
        make_product()
    response = client.post("/api/v1/labels", json={"location": store.code}, headers=clerk_headers)
    assert response.status_code == 202
    assert response.headers["Location"] == response.json["status_url"]
    job = response.json
    # Other requests are answered while the job runs.
    assert client.get("/healthz").status_code == 200
    for _ in range(100):
        job = client.get(job["status_url"], headers=clerk_headers).json
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done" and job["percent"] == 100
    assert job["result"] == {"labels": 30, "pages": 2, "format": "a4"}
    pdf = client.get(job["file_url"], headers=clerk_headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_replaced_label_redirects_to_the_new_one(client, clerk_headers, make_location, make_product):
    make_location()
    make_product()
    old = client.get("/api/v1/labels", headers=clerk_headers).json["items"][0]
    new = client.post(f"/api/v1/labels/{old['code']}/replace", headers=clerk_headers)
    assert new.status_code == 201 and new.json["code"] != old["code"]
    page = client.get(f"/q/{old['code']}")
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/q/{new.json['code']}")
    again = client.post(f"/api/v1/labels/{old['code']}/replace", headers=clerk_headers)
    assert again.status_code == 409
    listed = client.get("/api/v1/labels", headers=clerk_headers).json["items"]
    assert [i["code"] for i in listed] == [new.json["code"]]
