"""Ledger rules through the services: movements, levels, holds, transfers, counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.errors import DomainError
from app.stock import reservations, services
from app.stock.models import StockLevel, StockMovement, StockReservation


def ledger_agrees(db) -> None:
    """Every level equals the sum of its movements; reserved equals its active holds."""
    for level in db.session.scalars(select(StockLevel).execution_options(populate_existing=True)):
        sums = db.session.execute(
            select(
                func.coalesce(func.sum(StockMovement.delta), 0),
                func.coalesce(func.sum(StockMovement.reserved_delta), 0),
            ).where(StockMovement.product_id == level.product_id, StockMovement.location_id == level.location_id)
        ).one()
        held = db.session.scalar(
            select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
                StockReservation.product_id == level.product_id,
                StockReservation.location_id == level.location_id,
                StockReservation.status == "active",
            )
        )
        assert (level.on_hand, level.reserved) == tuple(sums) == (level.on_hand, held)
        assert level.available >= 0


@pytest.fixture
def shelf(make_location, make_product):
    return make_product(), make_location(), make_location(code="WH-1", kind="warehouse")


def test_receive_sell_return_adjust(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 10)
    services.record_movement(product, store, "sale", -3)
    services.record_movement(product, store, "return", 1)
    services.record_movement(product, store, "adjust", -2, note="broken")
    db.session.commit()
    level = services.level_of(product, store)
    assert (level.on_hand, level.reserved, level.available, level.version) == (6, 0, 6, 4)
    ledger_agrees(db)


def test_selling_more_than_available_is_refused_and_writes_nothing(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 2)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.record_movement(product, store, "sale", -3)
    assert refused.value.code == "insufficient_stock" and refused.value.status == 409
    db.session.rollback()
    assert services.level_of(product, store).on_hand == 2
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 1


@pytest.mark.parametrize(
    ("reason", "delta"),
    [("receive", -1), ("receive", 0), ("sale", 2), ("return", 0), ("adjust", 0), ("transfer_in", 1)],
)
def test_sign_rules(shelf, reason, delta):
    product, store, _ = shelf
    with pytest.raises(DomainError):
        services.record_movement(product, store, reason, delta)


def test_count_sets_on_hand_and_records_the_difference(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 10)
    movement = services.record_movement(product, store, "count", counted=7)
    db.session.commit()
    assert movement.delta == -3 and services.level_of(product, store).on_hand == 7
    reservations.hold(product, store, 5)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.record_movement(product, store, "count", counted=4)
    assert refused.value.code == "insufficient_stock"
    db.session.rollback()
    ledger_agrees(db)


def test_transfer_moves_units_between_locations(shelf, db):
    product, store, warehouse = shelf
    services.record_movement(product, warehouse, "receive", 5)
    services.transfer(product, warehouse, store, 4)
    db.session.commit()
    assert services.level_of(product, warehouse).on_hand == 1 and services.level_of(product, store).on_hand == 4
    with pytest.raises(DomainError):
        services.transfer(product, warehouse, store, 2)
    db.session.rollback()
    assert services.level_of(product, store).on_hand == 4
    ledger_agrees(db)


def test_holds_reduce_available_and_end_once(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 3)
    first = reservations.hold(product, store, 2, reference="cart-1")
    db.session.commit()
    level = services.level_of(product, store)
    assert (level.on_hand, level.reserved, level.available) == (3, 2, 1)
    with pytest.raises(DomainError):
        reservations.hold(product, store, 2)
    db.session.rollback()
    reservations.sell(first)
    db.session.commit()
    level = services.level_of(product, store)
    assert (level.on_hand, level.reserved, level.available) == (1, 0, 1)
    with pytest.raises(DomainError) as twice:
        reservations.release(first)
    assert twice.value.code == "reservation_ended"
    db.session.rollback()
    ledger_agrees(db)


def test_expired_holds_are_released(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 2)
    held = reservations.hold(product, store, 2, ttl=timedelta(seconds=1))
    db.session.commit()
    held.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert reservations.expire_due() == 1
    db.session.commit()
    db.session.refresh(held)
    assert held.status == "expired" and services.level_of(product, store).available == 2
    assert reservations.expire_due() == 0
    ledger_agrees(db)


def test_a_new_hold_releases_expired_ones_first(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 1)
    stale = reservations.hold(product, store, 1)
    stale.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    fresh = reservations.hold(product, store, 1)
    db.session.commit()
    db.session.refresh(stale)
    assert stale.status == "expired" and fresh.status == "active"
    ledger_agrees(db)


def test_selling_an_expired_hold_is_refused(shelf, db):
    product, store, _ = shelf
    services.record_movement(product, store, "receive", 1)
    held = reservations.hold(product, store, 1)
    held.expires_at = utcnow() - timedelta(seconds=5)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        reservations.sell(held)
    assert refused.value.code == "reservation_expired"


def test_versions_only_grow(shelf, db):
    product, store, _ = shelf
    versions = []
    for delta in (5, -1, -1, 3):
        reason = "receive" if delta > 0 else "sale"
        versions.append(services.record_movement(product, store, reason, delta).version_after)
    assert versions == sorted(versions) and len(set(versions)) == 4


def test_sweeper_releases_expired_holds_and_old_keys(app, shelf, db):
    from app.idempotency.models import IdempotencyRecord
    from app.idempotency.tasks import purge_idempotency_keys
    from app.stock.tasks import release_expired_holds

    product, store, _ = shelf
    services.record_movement(product, store, "receive", 2)
    held = reservations.hold(product, store, 2)
    held.expires_at = utcnow() - timedelta(seconds=1)
    db.session.add(
        IdempotencyRecord(
            scope="key:1",
            key="old",
            request_hash="x",
            status_code=201,
            body={},
            created_at=utcnow() - timedelta(days=2),
        )
    )
    db.session.add(IdempotencyRecord(scope="key:1", key="new", request_hash="x", status_code=201, body={}))
    db.session.commit()
    assert release_expired_holds.call_local() == 1
    assert purge_idempotency_keys.call_local() == 1
    db.session.expire_all()
    assert services.level_of(product, store).available == 2
    assert [r.key for r in db.session.scalars(select(IdempotencyRecord))] == ["new"]
