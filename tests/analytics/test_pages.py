"""Scan analytics as staff read them: a real phone scan of an empty shelf, per store, as a page, CSV and API."""

from __future__ import annotations

import csv
import io

from app.analytics.tasks import roll_up_recent_scans


def counted() -> None:
    """What the job runner does every minute: count the stores' recent days again."""
    roll_up_recent_scans.call_local()


def test_a_phone_scan_of_an_empty_shelf_is_counted_out_of_stock(app, db, stores, phone, clerk_of, admin_headers):
    from app.stock import services as stock

    a, b, product = stores
    phone("SH-A")  # nothing on the shelf at A
    stock.record_movement(product, b, "receive", 3, actor="test")
    db.session.commit()
    phone("SH-B"), phone("SH-B")
    counted()
    api = app.test_client()
    out = api.get("/api/v1/analytics/scans?report=out_of_stock", headers=admin_headers)
    assert out.status_code == 200, out.text
    assert [(r["sku"], r["store"], r["scans"]) for r in out.json["rows"]] == [("TEA-1", "SH-A", 1)]
    by_store = api.get("/api/v1/analytics/scans?report=stores", headers=admin_headers).json["rows"]
    assert {(r["store"], r["scans"], r["phone"]) for r in by_store} == {("SH-A", 1, 1), ("SH-B", 2, 2)}
    # Three guests who scanned and bought nothing.
    missed = api.get("/api/v1/analytics/scans?report=not_bought", headers=admin_headers).json["rows"]
    assert sorted((r["store"], r["scanned"], r["not_bought"]) for r in missed) == [("SH-A", 1, 1), ("SH-B", 2, 2)]


def test_a_clerk_reads_their_own_store_only(app, db, stores, phone, clerk_of):
    a, b, _ = stores
    phone("SH-A"), phone("SH-B")
    counted()
    clerk = clerk_of(b, "Bo Chen")
    rows = clerk.get("/api/v1/analytics/scans?report=stores").json["rows"]
    assert [r["store"] for r in rows] == ["SH-B"]
    refused = clerk.get("/api/v1/analytics/scans?report=stores&location=SH-A")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "other_store"
    page = clerk.get("/staff/analytics/scans")
    assert page.status_code == 200 and "Xuhui store" in page.text and "Pudong store" not in page.text


def test_each_report_downloads_as_csv(app, db, stores, phone, clerk_of):
    a, _, _ = stores
    phone("SH-A"), phone("SH-A")
    counted()
    clerk = clerk_of(a)
    download = clerk.get("/staff/analytics/scans?report=products&format=csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment; filename=scans-products-" in download.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(download.text)))
    assert table == [["SKU", "Product", "Scans", "Shopper-days"], ["TEA-1", "Jasmine Pearls", "2", "2"]]
    assert clerk.get("/staff/analytics/scans?report=nonsense&format=csv").status_code == 404


def test_bad_arguments_are_refused(app, admin_headers, stores):
    api = app.test_client()
    for query in ("report=nonsense", "", "report=stores&from=yesterday", "report=stores&location=NOPE"):
        answer = api.get(f"/api/v1/analytics/scans?{query}", headers=admin_headers)
        assert answer.status_code in (404, 422), (query, answer.status_code)
        assert "error" in answer.json
    assert api.get("/api/v1/analytics/scans?report=stores").status_code == 401


def test_the_api_gives_each_report_as_csv_too(app, db, stores, phone, admin_headers):
    phone("SH-A")
    counted()
    download = app.test_client().get("/api/v1/analytics/scans.csv?report=stores", headers=admin_headers)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(download.text)))[1][:3] == ["SH-A", "Pudong store", "1"]
