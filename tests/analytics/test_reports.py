"""Scan analytics equal a brute-force count over a generated history, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from app.analytics import rollup, services
from tests.analytics.history import START, by_hand, from_services, make_history, per_store_channel

FIRST, LAST = START.date() - timedelta(days=1), START.date() + timedelta(days=10)


def _all_reports(first: date, last: date, ids) -> dict[str, list[dict]]:
    window = services.window(first, last, ids)
    return {name: services.report(name, window) for name in services.REPORTS}


def _check(history, first, last, ids):
    reports = _all_reports(first, last, ids)
    expected, got = by_hand(history, first, last, set(ids)), from_services(reports)
    for name in expected:
        assert +got[name] == +expected[name], name  # keys counted zero are no rows
    channels = per_store_channel(history, first, last, set(ids))
    assert {r["store"]: (r["phone"], r["kiosk"]) for r in reports["stores"]} == channels
    return reports


def _counted(history, db):
    rollup.roll_up_days(FIRST, LAST)
    db.session.commit()


def _every_range(history, db):
    every = [p.id for p in history.stores]
    # The whole history, two days in the middle, one day; every store, then some.
    for first, last in ((FIRST, LAST), (START.date() + timedelta(days=3), START.date() + timedelta(days=4))):
        _check(history, first, last, every)
        _check(history, first, last, every[1:3])
    _check(history, START.date() + timedelta(days=6), START.date() + timedelta(days=6), every[:1])


def test_every_report_equals_a_count_by_hand_on_sqlite(app, db):
    history = make_history(scans=2500, orders=400, stores=4)  # UTC, Shanghai, New York, Tokyo
    _counted(history, db)
    _every_range(history, db)


@pytest.mark.postgres
def test_every_report_equals_a_count_by_hand_on_postgres(pg_schema_url, app, db):
    history = make_history(scans=2500, orders=400, stores=4)
    _counted(history, db)
    _every_range(history, db)


def test_scanned_not_bought_counts_each_shopper_day_once(app, db):
    history = make_history(scans=1500, orders=600, seed=11)
    _counted(history, db)
    rows = _all_reports(FIRST, LAST, [p.id for p in history.stores])["not_bought"]
    assert rows and all(0 <= r["not_bought"] <= r["scanned"] for r in rows)
    # Some shoppers did buy what they scanned that day, and the list puts the most missed first.
    assert sum(r["scanned"] - r["not_bought"] for r in rows) > 0
    missed = [r["not_bought"] for r in rows]
    assert missed == sorted(missed, reverse=True)


def test_hours_are_the_stores_own(app, db):
    history = make_history(scans=800, orders=0, seed=3)
    _counted(history, db)
    shanghai = next(p for p in history.stores if p.timezone == "Asia/Shanghai")
    reports = _all_reports(FIRST, LAST, [shanghai.id])
    hours = Counter()
    for row in history.scans:
        if row["location_id"] == shanghai.id and row["product_id"] and row["channel"] != "staff":
            hours[(row["created_at"] + timedelta(hours=8)).hour] += 1
    assert {r["hour"]: r["scans"] for r in reports["hours"]} == dict(hours)


def test_a_day_counted_again_replaces_its_counts(app, db, make_location, make_product):
    from app.analytics.tasks import roll_up_recent_scans
    from app.scans import services as scans

    store, product = make_location(code="FRESH", timezone="Asia/Shanghai"), make_product(sku="FRESH-1")
    assert roll_up_recent_scans.call_local() == 2
    window = services.window(rollup.today(store), rollup.today(store), [store.id])
    assert services.report("stores", window) == []
    for _ in range(3):
        scans.record_scan("L1", "phone", product_id=product.id, location_id=store.id, shopper_session="a" * 32)
    db.session.commit()
    roll_up_recent_scans.call_local()
    roll_up_recent_scans.call_local()  # counted again, not added again
    assert [(r["store"], r["scans"], r["phone"]) for r in services.report("stores", window)] == [("FRESH", 3, 3)]
