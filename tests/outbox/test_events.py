"""Domain events: recorded with the change that made them, published in one order, read as a feed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog import services as catalog
from app.extensions import db as _db
from app.outbox import services as outbox
from app.outbox.catalogue import EVENT_TYPES
from app.outbox.models import OutboxEvent
from app.stock import services as stock
from tests.orders.conftest import GOOD_CARD, fill_cart
from tests.payments.hosted import checkout_by_card


def _publish(db) -> list[OutboxEvent]:
    rows = outbox.publish_pending()
    db.session.commit()
    return rows


def _types(db) -> list[str]:
    return list(db.session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def test_a_paid_checkout_records_its_order_and_stock_events(db, client, shelf):
    product, label = shelf
    _publish(db)
    before = db.session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(1))
    paid = checkout_by_card(client, fill_cart(client, label, 2), GOOD_CARD)
    assert paid.status_code == 201, paid.text
    rows = list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.id > before).order_by(OutboxEvent.id)))
    types = [row.type for row in rows]
    assert "order.created" in types and types.count("order.paid") == 1
    assert types.index("order.created") < types.index("order.paid")
    sold = [row for row in rows if row.type == "stock.changed" and row.data["kind"] == "sale"]
    assert sold and sold[-1].data["on_hand"] == 3 and sold[-1].data["sku"] == product.sku
    order = next(row for row in rows if row.type == "order.paid")
    assert order.data["number"] == paid.json["number"] and order.data["total"]["amount"] == 2 * 6800
    assert order.resource == f"order:{paid.json['number']}"


def test_a_rolled_back_change_records_nothing(db, store, make_product):
    product = make_product()
    db.session.commit()
    count = len(_types(db))
    stock.record_movement(product, store, "receive", 4, actor="test")
    catalog.update_product(product, price_amount=999)
    db.session.rollback()
    assert len(_types(db)) == count


def test_product_events_say_what_changed(db, make_product):
    product = make_product(name="Oolong")
    catalog.update_product(product, price_amount=1234, name="Oolong")
    db.session.commit()
    created, updated = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.type.like("product.%")).order_by(OutboxEvent.id)
    ).all()
    assert created.type == "product.created" and created.data["name"] == "Oolong"
    assert updated.data["changed"] == ["price_amount"] and updated.data["price"]["amount"] == 1234


def test_the_feed_pages_through_published_events_in_order(
    db, client, admin_headers, clerk_headers, store, make_product
):
    product = make_product()
    for n in range(5):
        stock.record_movement(product, store, "receive", n + 1, actor="test")
    db.session.commit()
    assert client.get("/api/v1/events", headers=admin_headers).json["items"] == []  # not published yet
    published = _publish(db)
    assert [row.seq for row in published] == list(range(1, len(published) + 1))
    first = client.get("/api/v1/events?limit=3", headers=admin_headers).json
    assert [item["seq"] for item in first["items"]] == [1, 2, 3]
    rest = client.get(f"/api/v1/events?after={first['next_after']}", headers=admin_headers).json
    seen = first["items"] + rest["items"]
    assert len(seen) == len(published) and len({item["id"] for item in seen}) == len(seen)
    stock_only = client.get("/api/v1/events?types=stock.changed", headers=admin_headers).json["items"]
    assert [item["data"]["on_hand"] for item in stock_only] == [1, 3, 6, 10, 15]
    assert set(first["types"]) == set(EVENT_TYPES)
    assert client.get("/api/v1/events?types=nope", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/events?after=-1", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/events", headers=clerk_headers).status_code == 403
    assert client.get("/api/v1/events").status_code == 401


def test_an_import_records_one_event_per_new_product(db, app):
    from app.catalog import importer

    rows = "\n".join(f"IMP-{n},Tea {n},12.50" for n in range(300))
    result = importer.import_csv("sku,name,price\n" + rows, "all")
    db.session.commit()
    assert result["created"] == 300
    assert _types(db).count("product.created") == 300


@pytest.mark.postgres
def test_an_event_committed_late_is_not_skipped_by_the_feed(pg_schema_url, app, db, store, make_product):
    """Transaction A records first (lower id) but commits after B: a poller past B still gets A."""
    product = make_product()
    db.session.commit()
    late = Session(_db.engine)
    late.add(OutboxEvent(uid="evt_late", type="stock.changed", resource="stock:x", data={"late": True}))
    late.flush()  # A holds the lower id, uncommitted
    stock.record_movement(product, store, "receive", 1, actor="test")
    db.session.commit()  # B commits first
    first = _publish(db)
    assert "evt_late" not in {row.uid for row in first}
    cursor = max(row.seq for row in first)
    late.commit()
    late.close()
    after = [row.uid for row in outbox.events_after(cursor)]
    assert after == []  # A is not published yet: the feed never shows an unnumbered event
    second = _publish(db)
    assert [row.uid for row in second] == ["evt_late"] and second[0].seq == cursor + 1
    assert [row.uid for row in outbox.events_after(cursor)] == ["evt_late"]
