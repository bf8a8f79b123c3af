"""Counts from outside systems: the drift report, applying it, alerts, pages and big counts as jobs."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, insert, select

from app.catalog.models import Product
from app.db import begin_write, utcnow
from app.extensions import socketio
from app.outbox.models import OutboxEvent
from app.stock import services
from app.stock.models import StockLevel, StockMovement
from app.stock.snapshot_models import StockSnapshot
from tests.conftest import csrf_from
from tests.jobs.conftest import ended, wait_job

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def _products(db, n: int, prefix: str = "RC") -> list[str]:
    """``n`` products in one statement (a catalog of thousands without a request each)."""
    skus = [f"{prefix}-{i:05d}" for i in range(n)]
    now = utcnow()
    begin_write(db.session)
    db.session.execute(
        insert(Product),
        [
            {
                "sku": s,
                "name": f"Item {s}",
                "price_amount": 100,
                "currency": "CNY",
                "created_at": now,
                "updated_at": now,
            }
            for s in skus
        ],
    )
    db.session.commit()
    return skus


def _move(db, location, moves: list[tuple[str, str, int]]) -> None:
    """Record (sku, reason, delta) movements at the location, in one batch."""
    begin_write(db.session)
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_({m[0] for m in moves})))}
    services.record_movements([services.Move(products[sku], location, reason, delta) for sku, reason, delta in moves])
    db.session.commit()


def _on_hand(db, location, skus) -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(
        select(Product.sku, StockLevel.on_hand)
        .join(StockLevel, StockLevel.product_id == Product.id)
        .where(StockLevel.location_id == location.id, Product.sku.in_(list(skus)))
    )
    return dict(rows.all())


def _taken_at():
    """A count's time, with the ledger's next movement surely after it."""
    at = utcnow()
    time.sleep(0.01)
    return at.isoformat()


def _all_lines(client, headers, snapshot_id, kind="drift") -> list[dict]:
    items, cursor = [], None
    while True:
        query = {"kind": kind, "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/stock/snapshots/{snapshot_id}", headers=headers, query_string=query).json
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


@both
def test_ten_thousand_skus_report_exactly_the_drifts_and_apply_once(
    app, db, client, clerk_headers, make_location, make_product
):
    app.config["STOCK_SNAPSHOT_SYNC_LIMIT"] = 20_000
    store = make_location(code="A")
    skus = _products(db, 10_000)
    _move(db, store, [(s, "receive", 10) for s in skus])
    # Before the count: sales the ERP's count already reflects (it counted 10: drift +3).
    _move(db, store, [(s, "sale", -3) for s in skus[:50]])
    taken_at = _taken_at()
    # After the count: sales the count could not see; they are no drift.
    _move(db, store, [(s, "sale", -2) for s in skus[100:200] + skus[:10]])
    counted = {s: 10 for s in skus[:9_990]}  # the last ten are not counted
    counted.update({s: 4 for s in skus[300:320]})  # 6 missing on the shelf
    counted.update({s: 12 for s in skus[320:330]})  # 2 more than we think
    for s in skus[50:100]:  # what our ledger says for SKUs that lost 3 before the count
        counted[s] = 10

    started = time.perf_counter()
    response = client.post(
        "/api/v1/stock/snapshots",
        headers=clerk_headers,
        json={"location": "a", "taken_at": taken_at, "lines": [{"sku": s, "counted": n} for s, n in counted.items()]},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.json
    report = response.json
    assert (report["rows"], report["drift_count"], report["not_counted_count"]) == (9_990, 80, 10)
    assert elapsed < 15
    lines = {line["sku"]: line for line in _all_lines(client, clerk_headers, report["id"])}
    expected = {s: 3 for s in skus[:50]} | {s: -6 for s in skus[300:320]} | {s: 2 for s in skus[320:330]}
    assert {s: line["drift"] for s, line in lines.items()} == expected
    assert lines[skus[0]] | {"name": None} == {
        "sku": skus[0], "name": None, "counted": 10, "ours_then": 7, "ours_now": 5, "drift": 3, "applied": False,
    }  # fmt: skip
    assert report["alert_count"] == 20  # |drift| 6 is over the default 5
    not_counted = _all_lines(client, clerk_headers, report["id"], "not_counted")
    assert sorted(line["sku"] for line in not_counted) == skus[9_990:]

    before = _on_hand(db, store, expected)
    applied = client.post(
        f"/api/v1/stock/snapshots/{report['id']}/apply", headers={**clerk_headers, "Idempotency-Key": "apply-1"},
        json={"all": True},
    )  # fmt: skip
    assert applied.status_code == 200, applied.json
    assert sorted(applied.json["applied"]) == sorted(expected)
    after = _on_hand(db, store, expected)
    assert after == {s: before[s] + expected[s] for s in expected}
    assert after[skus[0]] == 8 and after[skus[10]] == 10 and after[skus[300]] == 4
    assert _on_hand(db, store, skus[100:101]) == {skus[100]: 8}  # a sale after the count stays as it is
    movements = db.session.scalar(
        select(func.count()).select_from(StockMovement).where(StockMovement.reference == f"snapshot:{report['id']}")
    )
    assert movements == 80

    # Applying again (a new request, not a retry) changes nothing.
    again = client.post(
        f"/api/v1/stock/snapshots/{report['id']}/apply", headers={**clerk_headers, "Idempotency-Key": "apply-2"},
        json={"skus": [skus[0], skus[300]]},
    )  # fmt: skip
    assert again.status_code == 200
    assert again.json["applied"] == [] and sorted(again.json["already_applied"]) == [skus[0], skus[300]]
    assert _on_hand(db, store, expected) == after
    listed = client.get("/api/v1/stock/snapshots", headers=clerk_headers).json["items"]
    assert [s["id"] for s in listed] == [report["id"]]


def test_bad_lines_are_named_and_nothing_is_written(db, client, clerk_headers, make_location, make_product):
    make_location(code="A")
    one, two = make_product(), make_product()
    response = client.post(
        "/api/v1/stock/snapshots",
        headers=clerk_headers,
        json={
            "location": "A",
            "taken_at": _taken_at(),
            "lines": [
                {"sku": one.sku, "counted": 3},
                {"sku": "NOPE", "counted": 1},
                {"sku": two.sku, "counted": -1},
                {"sku": "ALSO-NOPE", "counted": 20_000_000},
                {"sku": one.sku, "counted": 4},
            ],
        },
    )
    assert response.status_code == 422
    errors = response.json["error"]["details"]["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "sku"), (3, "counted"), (4, "sku"), (5, "sku")]
    assert "also on line 1" in errors[3]["message"]
    absurd = client.post(
        "/api/v1/stock/snapshots",
        headers=clerk_headers,
        json={"location": "A", "taken_at": _taken_at(), "lines": [{"sku": one.sku, "counted": 10_000_001}]},
    )
    assert absurd.status_code == 422 and absurd.json["error"]["details"]["errors"][0]["field"] == "counted"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockSnapshot)) == 0


def test_a_key_of_store_a_cannot_send_the_count_of_store_b(db, client, make_location, make_product):
    from app.staff import services as staff

    a, _ = make_location(code="A"), make_location(code="B")
    product = make_product()
    begin_write(db.session)
    _, key = staff.create_api_key("store A", "clerk", scopes=["stock:write", "stock:read"], location_ids=[a.id])
    db.session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    body = {"taken_at": _taken_at(), "lines": [{"sku": product.sku, "counted": 1}]}
    refused = client.post("/api/v1/stock/snapshots", headers=headers, json={**body, "location": "B"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "other_location"
    mine = client.post("/api/v1/stock/snapshots", headers=headers, json={**body, "location": "A"})
    assert mine.status_code == 201 and mine.json["drift_count"] == 1
    assert client.get("/api/v1/stock/snapshots", headers=headers).json["items"][0]["location"] == "A"


def test_big_drift_alerts_the_store_staff_live_and_records_an_event(
    app, db, client, signed_in, clerk_headers, make_location, make_product
):
    make_location(code="A")
    make_location(code="B")
    teapot, cup = make_product(name="Teapot"), make_product(name="Cup")
    staff_client = signed_in("clerk")
    staff = socketio.test_client(app, namespace="/live", flask_test_client=staff_client)
    other = socketio.test_client(app, namespace="/live", flask_test_client=staff_client)
    assert staff.emit("staff:subscribe", {"location": "A"}, namespace="/live", callback=True)["ok"]
    assert other.emit("staff:subscribe", {"location": "B"}, namespace="/live", callback=True)["ok"]
    response = client.post(
        "/api/v1/stock/snapshots",
        headers=clerk_headers,
        json={
            "location": "A",
            "taken_at": _taken_at(),
            "lines": [{"sku": teapot.sku, "counted": 9}, {"sku": cup.sku, "counted": 2}],
        },
    )
    assert response.status_code == 201 and response.json["alert_count"] == 1
    alerts = [e["args"][0] for e in staff.get_received("/live") if e["name"] == "stock:drift"]
    assert len(alerts) == 1
    assert alerts[0]["location"] == "A" and alerts[0]["count"] == 1
    assert [(x["sku"], x["name"], x["drift"]) for x in alerts[0]["lines"]] == [(teapot.sku, "Teapot", 9)]
    assert [e for e in other.get_received("/live") if e["name"] == "stock:drift"] == []
    db.session.rollback()
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.type == "stock.drift_detected"))
    assert event.resource == f"snapshot:{response.json['id']}"
    assert event.data["snapshot"] == response.json["id"] and event.data["lines"][0]["sku"] == teapot.sku


@both
def test_a_correction_below_zero_is_refused_and_nothing_is_applied(db, client, clerk_headers, make_location):
    store = make_location(code="A")
    skus = _products(db, 2)
    _move(db, store, [(s, "receive", 10) for s in skus])
    taken_at = _taken_at()
    _move(db, store, [(skus[1], "sale", -8)])  # after the count: 2 left, and the count found 0
    report = client.post(
        "/api/v1/stock/snapshots",
        headers=clerk_headers,
        json={"location": "A", "taken_at": taken_at, "lines": [{"sku": skus[0], "counted": 12}, {"sku": skus[1], "counted": 0}]},
    ).json  # fmt: skip
    refused = client.post(f"/api/v1/stock/snapshots/{report['id']}/apply", headers=clerk_headers, json={"all": True})
    assert refused.status_code == 409 and refused.json["error"]["details"]["sku"] == skus[1]
    assert _on_hand(db, store, skus) == {skus[0]: 10, skus[1]: 2}
    assert all(not line["applied"] for line in _all_lines(client, clerk_headers, report["id"]))
    first = client.post(
        f"/api/v1/stock/snapshots/{report['id']}/apply", headers=clerk_headers, json={"skus": [skus[0]]}
    )
    assert first.status_code == 200 and _on_hand(db, store, skus) == {skus[0]: 12, skus[1]: 2}


def test_staff_upload_a_count_and_apply_selected_lines(db, signed_in, make_location, make_product):
    client = signed_in("clerk")
    store = make_location(code="A", timezone="UTC")
    teapot, cup = make_product(name="Teapot"), make_product(name="Cup")
    _move(db, store, [(teapot.sku, "receive", 5), (cup.sku, "receive", 5)])
    page = client.get("/staff/stock/snapshots")
    assert page.status_code == 200 and "Upload a count" in page.text
    when = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")  # the location's clock is UTC
    time.sleep(0.01)
    csv_text = f"sku,counted\n{teapot.sku},3\n{cup.sku},7\n"
    posted = client.post(
        "/staff/stock/snapshots",
        data={
            "csrf_token": csrf_from(page.text),
            "location": "A",
            "taken_at": when,
            "file": (io.BytesIO(csv_text.encode()), "count.csv"),
        },
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302, posted.text
    report = client.get(posted.headers["Location"])
    assert "Teapot" in report.text and "-2" in report.text and "+2" in report.text
    applied = client.post(
        posted.headers["Location"],
        data={"csrf_token": csrf_from(report.text), "apply": "selected", "sku": [teapot.sku]},
        follow_redirects=True,
    )
    assert "Applied 1 line(s)" in applied.text
    assert _on_hand(db, store, [teapot.sku, cup.sku]) == {teapot.sku: 3, cup.sku: 5}
    listing = client.get("/staff/stock/snapshots")
    assert "#1" in listing.text


def test_staff_upload_with_a_bad_line_shows_it_and_records_nothing(db, signed_in, make_location, make_product):
    client = signed_in("clerk")
    make_location(code="A")
    product = make_product()
    page = client.get("/staff/stock/snapshots")
    posted = client.post(
        "/staff/stock/snapshots",
        data={
            "csrf_token": csrf_from(page.text),
            "location": "A",
            "taken_at": "2026-01-02T10:00",
            "file": (io.BytesIO(f"sku,counted\n{product.sku},x\n".encode()), "count.csv"),
        },
        content_type="multipart/form-data",
    )
    assert posted.status_code == 422 and "Line 2" in posted.text
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockSnapshot)) == 0


@pytest.mark.usefixtures("jobs_worker")
def test_a_csv_of_more_than_a_thousand_lines_runs_as_a_job(db, client, clerk_headers, make_location, jobs_worker):
    store = make_location(code="A")
    skus = _products(db, 1_500)
    _move(db, store, [(s, "receive", 4) for s in skus])
    csv_text = "sku,counted\n" + "".join(f"{s},{5 if i < 7 else 4}\n" for i, s in enumerate(skus))
    response = client.post(
        "/api/v1/stock/snapshots",
        headers={**clerk_headers, "Content-Type": "text/csv"},
        query_string={"location": "A", "taken_at": _taken_at()},
        data=csv_text,
    )
    assert response.status_code == 202, response.json
    job = response.json
    assert job["total"] == 1_500
    job = wait_job(client, job["status_url"], clerk_headers, ended)
    assert job["status"] == "done", job
    report = client.get(f"/api/v1/stock/snapshots/{response.json['snapshot']['id']}", headers=clerk_headers).json
    assert report["status"] == "ready" and report["drift_count"] == 7
    assert {line["sku"]: line["drift"] for line in report["items"]} == {s: 1 for s in skus[:7]}
