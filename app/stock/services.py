"""The stock ledger's rules. Functions flush, callers commit.

Every change is one conditional UPDATE of the level row (the database refuses what would
take available below zero, so concurrent buyers cannot oversell) plus one appended
movement, in the same transaction. Events go out after the commit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.catalog.models import Location, Product
from app.db import utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from app.outbox import services as outbox
from app.stock import live
from app.stock.models import LocationRef, ProductRef, StockLevel, StockMovement

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


# One row: the product with that SKU beside the location with that code.
_REFS = (
    select(Product.id, Product.sku, Product.name, Location.id, Location.code)
    .join(Location, true())
    .where(Product.sku == bindparam("sku"), Location.code == bindparam("code"))
)


def refs(sku: str, location_code: str) -> tuple[ProductRef, LocationRef]:
    """The product and location a movement names, in one query; 404 for either that does not exist."""
    code = location_code.strip().upper()
    row = db.session.connection().execute(_REFS, {"sku": sku, "code": code}).first()
    if row is None:
        from app.catalog import services as catalog

        catalog.get_product(sku)  # raises product_not_found
        catalog.get_location(code)  # raises location_not_found
        raise AssertionError("the product and the location exist but were not found together")
    return ProductRef(row[0], row[1], row[2]), LocationRef(row[3], row[4])


_PRODUCTS = select(Product.id, Product.sku, Product.name).where(Product.sku.in_(bindparam("skus", expanding=True)))
_LOCATIONS = select(Location.id, Location.code).where(Location.code.in_(bindparam("codes", expanding=True)))


def refs_many(places: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[ProductRef, LocationRef]]:
    """refs() for each (SKU, location code) asked: one query for one place, two for a batch."""
    if len(set(places)) == 1:
        return {places[0]: refs(*places[0])}
    conn = db.session.connection()
    skus = sorted({sku for sku, _ in places})
    codes = sorted({code.strip().upper() for _, code in places})
    products = {row.sku: ProductRef(*row) for row in conn.execute(_PRODUCTS, {"skus": skus})}
    locations = {row.code: LocationRef(*row) for row in conn.execute(_LOCATIONS, {"codes": codes})}
    found = {}
    for sku, code in places:
        product, location = products.get(sku), locations.get(code.strip().upper())
        # One not found: refs() answers the 404 that names it.
        found[(sku, code)] = (product, location) if product and location else refs(sku, code)
    return found


class InsufficientStock(Conflict):
    def __init__(
        self, product: Product | ProductRef, location: Location | LocationRef, available: int, wanted: int
    ) -> None:
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


def level_of(product: Product | ProductRef, location: Location | LocationRef) -> StockLevel:
    """The level row (zero if nothing ever moved), read fresh from the database."""
    level = db.session.scalar(
        select(StockLevel)
        .filter_by(product_id=product.id, location_id=location.id)
        .execution_options(populate_existing=True)
    )
    return level or StockLevel(
        product_id=product.id, location_id=location.id, on_hand=0, reserved=0, version=0, low_stock_at=LOW_STOCK_AT
    )


# Built once, on the tables (Core): composing these statements, or going through the ORM's
# unit of work, costs more than running them. They run on the session's connection, inside
# its transaction.
_levels, _movements = StockLevel.__table__, StockMovement.__table__
_CONDITIONAL_UPDATE = (
    update(_levels)
    .where(
        _levels.c.product_id == bindparam("b_product"),
        _levels.c.location_id == bindparam("b_location"),
        _levels.c.on_hand + bindparam("b_delta") >= _levels.c.reserved + bindparam("b_reserved_delta"),
        _levels.c.reserved + bindparam("b_reserved_delta") >= 0,
    )
    .values(
        on_hand=_levels.c.on_hand + bindparam("b_delta"),
        reserved=_levels.c.reserved + bindparam("b_reserved_delta"),
        version=_levels.c.version + 1,
        updated_at=bindparam("b_now", type_=_levels.c.updated_at.type),
    )
    .returning(_levels.c.on_hand, _levels.c.reserved, _levels.c.version, _levels.c.low_stock_at)
)
_APPEND_MOVEMENT = insert(_movements).returning(_movements.c.id)
# Many rows in one statement (SQLAlchemy's "insertmanyvalues"), ids in the order given.
_APPEND_MOVEMENTS = insert(_movements).returning(_movements.c.id, sort_by_parameter_order=True)


def _conditional_update(product_id: int, location_id: int, delta: int, reserved_delta: int, now: datetime):
    """One UPDATE that applies the change only if available stays >= 0; the new row, or None."""
    params = {
        "b_product": product_id,
        "b_location": location_id,
        "b_delta": delta,
        "b_reserved_delta": reserved_delta,
        "b_now": now,
    }
    return db.session.connection().execute(_CONDITIONAL_UPDATE, params).first()


def _take(product_id: int, location_id: int, delta: int, reserved_delta: int, now: datetime):
    """Apply the change to the level if available stays >= 0: the new level row, or None."""
    row = _conditional_update(product_id, location_id, delta, reserved_delta, now)
    if row is None:
        # The first change here has no level row yet: make it, then try once more.
        _ensure_level(product_id, location_id)
        row = _conditional_update(product_id, location_id, delta, reserved_delta, now)
    return row


@dataclass
class _Pending:
    """A movement whose level has changed, waiting for its INSERT (a batch's go in one)."""

    product: Product | ProductRef
    location: Location | LocationRef
    values: dict
    low_stock_at: int


def _change(
    product: Product | ProductRef,
    location: Location | LocationRef,
    kind: str,
    delta: int,
    reserved_delta: int,
    now: datetime,
    **fields,
) -> _Pending:
    row = _take(product.id, location.id, delta, reserved_delta, now)
    if row is None:
        current = level_of(product, location)
        raise InsufficientStock(product, location, current.available, max(-delta, reserved_delta))
    on_hand, reserved, version, low_stock_at = row
    values = {
        "product_id": product.id,
        "location_id": location.id,
        "kind": kind,
        "delta": delta,
        "reserved_delta": reserved_delta,
        "on_hand_after": on_hand,
        "reserved_after": reserved,
        "version_after": version,
        "reference": fields.get("reference", "")[:120],
        "note": fields.get("note", "")[:255],
        "actor": fields.get("actor", "")[:80],
        "reservation_id": fields.get("reservation_id"),
        "created_at": now,
    }
    return _Pending(product, location, values, low_stock_at)


def _append(pending: list[_Pending]) -> list[StockMovement]:
    """INSERT the movements (one statement for all of them) and queue their events, in order."""
    if not pending:
        return []
    conn = db.session.connection()
    if len(pending) == 1:
        ids = [conn.execute(_APPEND_MOVEMENT, pending[0].values).scalar_one()]
    else:
        ids = list(conn.execute(_APPEND_MOVEMENTS, [p.values for p in pending]).scalars())
    movements = []
    for movement_id, p in zip(ids, pending, strict=True):
        v = p.values
        live.level_changed(
            p.product,
            p.location,
            v["on_hand_after"],
            v["reserved_after"],
            v["version_after"],
            p.low_stock_at,
            v["created_at"],
        )
        movements.append(StockMovement(id=movement_id, **v))
    outbox.record_many(
        "stock.changed", [_stock_event(p, movement_id) for movement_id, p in zip(ids, pending, strict=True)]
    )
    return movements


def _stock_event(p: _Pending, movement_id: int) -> tuple[str, dict]:
    """``stock.changed`` for one movement: the level after it, and what moved it."""
    v = p.values
    level = live.level_json(p.product.sku, p.location.code, v["on_hand_after"], v["reserved_after"], v["version_after"])
    data = {
        **level,
        "movement": movement_id,
        "kind": v["kind"],
        "delta": v["delta"],
        "reserved_delta": v["reserved_delta"],
    }
    return f"stock:{p.product.sku}:{p.location.code}", {
        **data,
        "reference": v["reference"],
        "at": v["created_at"].isoformat(),
    }


def apply_change(
    product: Product | ProductRef,
    location: Location | LocationRef,
    kind: str,
    delta: int,
    reserved_delta: int = 0,
    *,
    reference: str = "",
    note: str = "",
    actor: str = "",
    reservation_id: int | None = None,
) -> StockMovement:
    """Change a level by (delta, reserved_delta) if available stays >= 0, and append the movement.

    The movement is written with one INSERT, outside the ORM's unit of work: the object
    returned carries its id and values but is not in the session (it is never edited).
    """
    fields = {"reference": reference, "note": note, "actor": actor, "reservation_id": reservation_id}
    return _append([_change(product, location, kind, delta, reserved_delta, utcnow(), **fields)])[0]


@dataclass(frozen=True)
class Move:
    """A receive, sale, return, adjustment or count asked for (one item of a batch)."""

    product: Product | ProductRef
    location: Location | LocationRef
    reason: str
    delta: int | None = None
    counted: int | None = None
    reference: str = ""
    note: str = ""
    actor: str = ""


def _check_reason(reason: str, delta: int | None) -> None:
    if reason not in SIGN_RULES:
        raise DomainError(
            "invalid_reason",
            "reason must be one of receive, sale, return, adjust, count "
            "(transfers and holds have their own endpoints).",
        )
    if delta is None or not SIGN_RULES[reason](delta):
        rule = {"receive": "positive", "return": "positive", "sale": "negative", "adjust": "non-zero"}[reason]
        raise DomainError("invalid_delta", f"{reason.capitalize()} needs a {rule} delta.")


def record_movement(
    product: Product | ProductRef,
    location: Location | LocationRef,
    reason: str,
    delta: int | None = None,
    counted: int | None = None,
    *,
    reference: str = "",
    note: str = "",
    actor: str = "",
) -> StockMovement:
    """A receive, sale, return, adjustment or count, checked against its sign rule."""
    return record_movements([Move(product, location, reason, delta, counted, reference, note, actor)])[0]


def record_movements(moves: list[Move]) -> list[StockMovement]:
    """Several movements in order, all or none (the caller's transaction); their INSERTs go together."""
    now = utcnow()

    def change(move: Move) -> _Pending:
        _check_reason(move.reason, move.delta)
        fields = {"reference": move.reference, "note": move.note, "actor": move.actor}
        return _change(move.product, move.location, move.reason, move.delta, 0, now, **fields)

    if len(moves) > 1 and all(move.reason != "count" for move in moves):
        # Take the level rows in one order (product, then location) whatever the order asked,
        # so that two batches on the same rows cannot deadlock; a row's own changes keep their
        # order, and the movements are written in the order asked.
        order = sorted(range(len(moves)), key=lambda i: (moves[i].product.id, moves[i].location.id))
        changed = {i: change(moves[i]) for i in order}
        return _append([changed[i] for i in range(len(moves))])
    done, pending = [], []
    for move in moves:
        if move.reason != "count":
            pending.append(change(move))
            continue
        if move.counted is None or move.counted < 0:
            raise DomainError("invalid_count", "A count needs 'counted': the number of units found, zero or more.")
        done += _append(pending)  # a count reads the level: everything before it is written first
        pending = []
        fields = {"reference": move.reference, "note": move.note, "actor": move.actor}
        done.append(_count(move.product, move.location, move.counted, **fields))
    return done + _append(pending)


def _count(
    product: Product | ProductRef, location: Location | LocationRef, counted: int, **fields: str
) -> StockMovement:
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


def movements(product: Product | None, location: Location | None, within: Collection[int] | None = None):
    """The history query (pages run oldest first, by id); ``within``: only these location ids."""
    query = select(StockMovement)
    if product is not None:
        query = query.where(StockMovement.product_id == product.id)
    if location is not None:
        query = query.where(StockMovement.location_id == location.id)
    if within is not None:
        query = query.where(StockMovement.location_id.in_(sorted(within)))
    return query


def levels(
    product: Product | None, location: Location | None, within: Collection[int] | None = None
) -> list[StockLevel]:
    """Level rows for a product and/or location (a zero level when both are given and nothing moved).

    ``within``: only rows at these location ids.
    """
    query = select(StockLevel).execution_options(populate_existing=True)
    if product is not None:
        query = query.where(StockLevel.product_id == product.id)
    if location is not None:
        query = query.where(StockLevel.location_id == location.id)
    if within is not None:
        query = query.where(StockLevel.location_id.in_(sorted(within)))
    found = list(db.session.scalars(query.order_by(StockLevel.location_id, StockLevel.product_id)))
    if not found and product is not None and location is not None:
        return [level_of(product, location)]
    return found


def available_by_location(product_ids: Collection[int]) -> dict[int, dict[int, int]]:
    """Units available to sell, as ``{product id: {location id: units}}``, only where there are some."""
    rows = db.session.execute(
        select(StockLevel.product_id, StockLevel.location_id, StockLevel.on_hand - StockLevel.reserved)
        .where(StockLevel.product_id.in_(sorted(product_ids)), StockLevel.on_hand > StockLevel.reserved)
        .execution_options(populate_existing=True)
    )
    out: dict[int, dict[int, int]] = {}
    for product_id, location_id, units in rows:
        out.setdefault(product_id, {})[location_id] = units
    return out


def low_stock(location: Location | None = None) -> list[StockLevel]:
    """Levels at or below their low-stock mark."""
    query = select(StockLevel).where(StockLevel.on_hand - StockLevel.reserved <= StockLevel.low_stock_at)
    if location is not None:
        query = query.where(StockLevel.location_id == location.id)
    return list(db.session.scalars(query.order_by(StockLevel.location_id, StockLevel.on_hand - StockLevel.reserved)))


@dataclass(frozen=True)
class TransferSuggestion:
    """Units a low level could get from a location that holds more than it needs."""

    source_id: int
    quantity: int


def transfer_suggestions(low: list[StockLevel]) -> dict[tuple[int, int], TransferSuggestion]:
    """For low levels: where a transfer would bring them back to twice their mark from a surplus.

    A location has a surplus of what it has available beyond twice its own mark; the one with
    the largest surplus is suggested, never for more than it can spare or the low one needs.
    """
    products = {level.product_id for level in low}
    if not products:
        return {}
    others = db.session.scalars(select(StockLevel).where(StockLevel.product_id.in_(sorted(products))))
    spare: dict[int, list[tuple[int, int]]] = {}
    for level in others:
        surplus = level.on_hand - level.reserved - 2 * level.low_stock_at
        if surplus > 0:
            spare.setdefault(level.product_id, []).append((surplus, level.location_id))
    suggested = {}
    for level in low:
        needed = 2 * level.low_stock_at - (level.on_hand - level.reserved)
        offers = [(units, place) for units, place in spare.get(level.product_id, []) if place != level.location_id]
        if needed > 0 and offers:
            units, place = max(offers, key=lambda offer: (offer[0], -offer[1]))
            suggested[(level.product_id, level.location_id)] = TransferSuggestion(place, min(units, needed))
    return suggested


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
