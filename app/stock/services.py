"""The stock ledger's rules. Functions flush, callers commit.

Every change is one conditional UPDATE of the level row (the database refuses what would
take available below zero, so concurrent buyers cannot oversell) plus one appended
movement, in the same transaction. Events go out after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.catalog.models import Location, Product
from app.db import utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from app.stock import live
from app.stock.models import StockLevel, StockMovement

LOW_STOCK_AT = 3  # staff hear about a level when available falls to this
SIGN_RULES = {
    "receive": lambda d: d > 0,
    "return": lambda d: d > 0,
    "sale": lambda d: d < 0,
    "adjust": lambda d: d != 0,
}


@dataclass(frozen=True)
class Actor:
    """Who moved the stock, as recorded on the movement."""

    label: str = ""


class InsufficientStock(Conflict):
    def __init__(self, product: Product, location: Location, available: int, wanted: int) -> None:
        super().__init__(
            "insufficient_stock",
            f"Only {available} of {product.sku} available at {location.code}; {wanted} needed.",
            details={"sku": product.sku, "location": location.code, "available": available},
        )


def _ensure_level(product_id: int, location_id: int) -> None:
    """Create the level row if it is missing, without racing another creator."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(StockLevel).values(
        product_id=product_id,
        location_id=location_id,
        on_hand=0,
        reserved=0,
        version=0,
        low_stock_at=LOW_STOCK_AT,
        updated_at=utcnow(),
    )
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["product_id", "location_id"]))


def level_of(product: Product, location: Location) -> StockLevel:
    """The level row (zero if nothing ever moved), read fresh from the database."""
    level = db.session.scalar(
        select(StockLevel)
        .filter_by(product_id=product.id, location_id=location.id)
        .execution_options(populate_existing=True)
    )
    return level or StockLevel(
        product_id=product.id, location_id=location.id, on_hand=0, reserved=0, version=0, low_stock_at=LOW_STOCK_AT
    )


# Built once: composing this statement costs more than running it on SQLite.
_CONDITIONAL_UPDATE = (
    update(StockLevel)
    .where(
        StockLevel.product_id == bindparam("b_product"),
        StockLevel.location_id == bindparam("b_location"),
        StockLevel.on_hand + bindparam("b_delta") >= StockLevel.reserved + bindparam("b_reserved_delta"),
        StockLevel.reserved + bindparam("b_reserved_delta") >= 0,
    )
    .values(
        on_hand=StockLevel.on_hand + bindparam("b_delta"),
        reserved=StockLevel.reserved + bindparam("b_reserved_delta"),
        version=StockLevel.version + 1,
        updated_at=bindparam("b_now", type_=StockLevel.updated_at.type),
    )
    .returning(StockLevel.on_hand, StockLevel.reserved, StockLevel.version, StockLevel.low_stock_at)
    .execution_options(synchronize_session=False)
)


def _conditional_update(product_id: int, location_id: int, delta: int, reserved_delta: int):
    """One UPDATE that applies the change only if available stays >= 0; the new row, or None."""
    params = {
        "b_product": product_id,
        "b_location": location_id,
        "b_delta": delta,
        "b_reserved_delta": reserved_delta,
        "b_now": utcnow(),
    }
    return db.session.execute(_CONDITIONAL_UPDATE, params).first()


def apply_change(
    product: Product,
    location: Location,
    kind: str,
    delta: int,
    reserved_delta: int = 0,
    *,
    reference: str = "",
    note: str = "",
    actor: str = "",
    reservation_id: int | None = None,
) -> StockMovement:
    """Change a level by (delta, reserved_delta) if available stays >= 0, and append the movement."""
    row = _conditional_update(product.id, location.id, delta, reserved_delta)
    if row is None:
        # The first change here has no level row yet: make it, then try once more.
        _ensure_level(product.id, location.id)
        row = _conditional_update(product.id, location.id, delta, reserved_delta)
    if row is None:
        current = level_of(product, location)
        raise InsufficientStock(product, location, current.available, max(-delta, reserved_delta))
    on_hand, reserved, version, low_stock_at = row
    movement = StockMovement(
        product_id=product.id,
        location_id=location.id,
        kind=kind,
        delta=delta,
        reserved_delta=reserved_delta,
        on_hand_after=on_hand,
        reserved_after=reserved,
        version_after=version,
        reference=reference[:120],
        note=note[:255],
        actor=actor[:80],
        reservation_id=reservation_id,
        created_at=utcnow(),
    )
    db.session.add(movement)
    db.session.flush()
    live.level_changed(product, location, on_hand, reserved, version, low_stock_at, movement.created_at)
    return movement


def record_movement(
    product: Product,
    location: Location,
    reason: str,
    delta: int | None = None,
    counted: int | None = None,
    *,
    reference: str = "",
    note: str = "",
    actor: str = "",
) -> StockMovement:
    """A receive, sale, return, adjustment or count, checked against its sign rule."""
    if reason == "count":
        if counted is None or counted < 0:
            raise DomainError("invalid_count", "A count needs 'counted': the number of units found, zero or more.")
        return _count(product, location, counted, reference=reference, note=note, actor=actor)
    if reason not in SIGN_RULES:
        raise DomainError(
            "invalid_reason",
            "reason must be one of receive, sale, return, adjust, count "
            "(transfers and holds have their own endpoints).",
        )
    if delta is None or not SIGN_RULES[reason](delta):
        rule = {"receive": "positive", "return": "positive", "sale": "negative", "adjust": "non-zero"}[reason]
        raise DomainError("invalid_delta", f"{reason.capitalize()} needs a {rule} delta.")
    return apply_change(product, location, reason, delta, reference=reference, note=note, actor=actor)


def _count(product: Product, location: Location, counted: int, **fields: str) -> StockMovement:
    """Set on hand to what was counted; the movement records the difference."""
    for _ in range(5):
        level = level_of(product, location)
        delta = counted - level.on_hand
        if counted < level.reserved:
            raise Conflict(
                "insufficient_stock",
                f"{level.reserved} of {product.sku} are held at {location.code}; "
                f"release holds before counting {counted}.",
            )
        # Lock the row at the version we read (the UPDATE holds it to the end of the
        # transaction); if it changed in between, read again.
        _ensure_level(product.id, location.id)
        changed = db.session.execute(
            update(StockLevel)
            .where(
                StockLevel.product_id == product.id,
                StockLevel.location_id == location.id,
                StockLevel.version == level.version,
            )
            .values(version=StockLevel.version)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            return apply_change(product, location, "count", delta, **fields)
    raise Conflict("busy", "Stock kept changing during the count; count again.")


def transfer(
    product: Product, source: Location, target: Location, quantity: int, *, reference: str = "", actor: str = ""
) -> tuple[StockMovement, StockMovement]:
    """Move units from one location to another in one transaction."""
    if quantity <= 0:
        raise DomainError("invalid_quantity", "A transfer needs a positive quantity.")
    if source.id == target.id:
        raise DomainError("same_location", "Transfer between two different locations.")
    # Touch the two rows in location-id order, so two opposite transfers cannot deadlock.
    _ensure_level(product.id, min(source.id, target.id))
    _ensure_level(product.id, max(source.id, target.id))
    out = apply_change(
        product, source, "transfer_out", -quantity, reference=reference or f"to {target.code}", actor=actor
    )
    came = apply_change(
        product, target, "transfer_in", quantity, reference=reference or f"from {source.code}", actor=actor
    )
    return out, came


def movements(product: Product | None, location: Location | None):
    """The history query (pages run oldest first, by id)."""
    query = select(StockMovement)
    if product is not None:
        query = query.where(StockMovement.product_id == product.id)
    if location is not None:
        query = query.where(StockMovement.location_id == location.id)
    return query


def levels(product: Product | None, location: Location | None) -> list[StockLevel]:
    """Level rows for a product and/or location (a zero level when both are given and nothing moved)."""
    query = select(StockLevel).execution_options(populate_existing=True)
    if product is not None:
        query = query.where(StockLevel.product_id == product.id)
    if location is not None:
        query = query.where(StockLevel.location_id == location.id)
    found = list(db.session.scalars(query.order_by(StockLevel.location_id, StockLevel.product_id)))
    if not found and product is not None and location is not None:
        return [level_of(product, location)]
    return found


def low_stock(location: Location | None = None) -> list[StockLevel]:
    """Levels at or below their low-stock mark."""
    query = select(StockLevel).where(StockLevel.on_hand - StockLevel.reserved <= StockLevel.low_stock_at)
    if location is not None:
        query = query.where(StockLevel.location_id == location.id)
    return list(db.session.scalars(query.order_by(StockLevel.location_id, StockLevel.on_hand - StockLevel.reserved)))


def distance_km(a: Location, b: Location) -> float | None:
    """Great-circle distance between two locations, when both have coordinates."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    from math import asin, cos, radians, sin, sqrt

    dlat, dlon = radians(b.latitude - a.latitude), radians(b.longitude - a.longitude)
    h = sin(dlat / 2) ** 2 + cos(radians(a.latitude)) * cos(radians(b.latitude)) * sin(dlon / 2) ** 2
    return 2 * 6371.0 * asin(sqrt(h))


def stock_around(
    product: Product, here: Location
) -> tuple[StockLevel, list[tuple[Location, StockLevel, float | None]]]:
    """The level here and at every other location, nearest first."""
    from app.catalog import services as catalog

    found = {level.location_id: level for level in levels(product, None)}
    others = []
    for location in catalog.all_locations():
        if location.id == here.id:
            continue
        level = found.get(location.id) or level_of(product, location)
        others.append((location, level, distance_km(here, location)))
    others.sort(key=lambda row: (row[2] is None, row[2] or 0.0, row[0].name))
    return found.get(here.id) or level_of(product, here), others
