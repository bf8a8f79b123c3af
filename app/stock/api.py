"""JSON API for stock: movements, levels, history, transfers, reservations."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.core.pagination import paginate
from app.extensions import db
from app.idempotency.services import idempotent
from app.staff.auth import allowed_locations, current_actor, require_api_role, require_at
from app.stock import live, reservations, schemas, services
from app.stock.models import LocationRef, ProductRef, StockMovement

api = Blueprint("stock_api", __name__, url_prefix="/api/v1", description="Stock ledger")


def _actor() -> str:
    actor = current_actor()
    return f"{actor.kind}:{actor.id} {actor.name}"[:80] if actor else ""


def level_out(product: Product, location: Location) -> dict:
    level = services.level_of(product, location)
    return live.level_json(product.sku, location.code, level.on_hand, level.reserved, level.version)


def movement_out(movement: StockMovement, product: Product | ProductRef, location: Location | LocationRef) -> dict:
    """A movement as the API shows it (schemas.MovementOut), ready for JSON."""
    return {
        "id": movement.id,
        "sku": product.sku,
        "location": location.code,
        "reason": movement.kind,
        "delta": movement.delta,
        "reserved_delta": movement.reserved_delta,
        "reference": movement.reference,
        "note": movement.note,
        "reservation_id": movement.reservation_id,
        "actor": movement.actor,
        "created_at": movement.created_at.isoformat(),
        "level": live.level_json(
            product.sku, location.code, movement.on_hand_after, movement.reserved_after, movement.version_after
        ),
    }


def _visible_location(code: str | None) -> Location | None:
    """The location a read asks for, if any: 403 when the caller may not see it."""
    if not code:
        return None
    location = catalog.get_location(code)
    require_at(location.id, location.code)
    return location


def _reservation_here(reservation_id: int):
    """A reservation at a location the caller may act at."""
    reservation = reservations.get(reservation_id)
    require_at(reservation.location_id, db.session.get(Location, reservation.location_id).code)
    return reservation


def _created(answer: dict) -> Response:
    """201 with ``answer``, already in the documented shape (movement_out's; no schema dump)."""
    response = jsonify(answer)
    response.status_code = 201
    return response


def _record(items: list[dict]) -> list[dict]:
    """Record movements as the API asked for them; the answers in the same order."""
    found = services.refs_many([(item["sku"], item["location"]) for item in items])
    # Every row is checked before anything is written: one refused location refuses the batch.
    for _, location in found.values():
        require_at(location.id, location.code)
    actor = _actor()
    moves = [
        services.Move(
            *found[(item["sku"], item["location"])],
            item["reason"],
            item.get("delta"),
            item.get("counted"),
            item["reference"],
            item["note"],
            actor,
        )
        for item in items
    ]
    return [
        movement_out(m, move.product, move.location)
        for m, move in zip(services.record_movements(moves), moves, strict=True)
    ]


@api.route("/stock/movements")
class Movements(MethodView):
    @idempotent
    @require_api_role("clerk", scope="stock:write")
    @api.arguments(schemas.MovementIn())
    @api.response(201, schemas.MovementOut)
    def post(self, body):
        """Record a receive, sale, return, adjustment or count.

        Send an Idempotency-Key header: a retry answers the first result and adds nothing.
        """
        return _created(_record([body])[0])

    @api.arguments(schemas.HistoryArgs(), location="query")
    @api.response(200, schemas.MovementPage)
    @require_api_role("clerk", scope="stock:read")
    def get(self, args):
        """Movement history, oldest first, by SKU and/or location."""
        product = catalog.get_product(args["sku"]) if args["sku"] else None
        location = _visible_location(args["location"])
        history = services.movements(product, location, allowed_locations())
        rows, cursor = paginate(history, StockMovement.id, args["cursor"], args["limit"])
        products = {
            p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({r.product_id for r in rows})))
        }
        locations = {
            loc.id: loc
            for loc in db.session.scalars(select(Location).where(Location.id.in_({r.location_id for r in rows})))
        }
        items = [movement_out(r, products[r.product_id], locations[r.location_id]) for r in rows]
        return jsonify({"items": items, "next_cursor": cursor})


@api.route("/stock/movements/batch", methods=["POST"])
@idempotent
@require_api_role("clerk", scope="stock:write")
@api.arguments(schemas.MovementBatchIn())
@api.response(201, schemas.MovementsOut)
def create_movement_batch(body):
    """Record several movements at once: all of them, or none when one is refused."""
    return _created({"items": _record(body["movements"])})


@api.route("/stock")
@api.arguments(schemas.LevelArgs(), location="query")
@api.response(200, schemas.LevelList)
@require_api_role("clerk", scope="stock:read")
def stock_levels(args):
    """Levels (on hand, reserved, available, version) by SKU and/or location."""
    product = catalog.get_product(args["sku"]) if args["sku"] else None
    location = _visible_location(args["location"])
    rows = services.levels(product, location, allowed_locations())
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({r.product_id for r in rows})))
    }
    locations = {
        loc.id: loc
        for loc in db.session.scalars(select(Location).where(Location.id.in_({r.location_id for r in rows})))
    }
    return {
        "items": [
            live.level_json(products[r.product_id].sku, locations[r.location_id].code, r.on_hand, r.reserved, r.version)
            for r in rows
        ]
    }


@api.route("/stock/transfers", methods=["POST"])
@idempotent
@require_api_role("clerk", scope="stock:write")
@api.arguments(schemas.TransferIn())
@api.response(201, schemas.MovementsOut)
def create_transfer(body):
    """Move units between two locations in one step (out and in together)."""
    product = catalog.get_product(body["sku"])
    source, target = catalog.get_location(body["source"]), catalog.get_location(body["target"])
    for place in (source, target):
        require_at(place.id, place.code)
    out, came = services.transfer(
        product, source, target, body["quantity"], reference=body["reference"], actor=_actor()
    )
    return _created({"items": [movement_out(out, product, source), movement_out(came, product, target)]})


def reservation_out(reservation) -> dict:
    product = db.session.get(Product, reservation.product_id)
    location = db.session.get(Location, reservation.location_id)
    return {
        "id": reservation.id,
        "sku": product.sku,
        "location": location.code,
        "quantity": reservation.quantity,
        "status": reservation.status,
        "reference": reservation.reference,
        "expires_at": reservation.expires_at,
        "level": level_out(product, location),
    }


@api.route("/stock/reservations", methods=["POST"])
@idempotent
@require_api_role("clerk", scope="stock:write")
@api.arguments(schemas.ReservationIn())
@api.response(201, schemas.ReservationOut)
def create_reservation(body):
    """Hold units for a cart or an order (default 15 minutes); 409 when not enough are available."""
    product, location = catalog.get_product(body["sku"]), catalog.get_location(body["location"])
    require_at(location.id, location.code)
    reservation = reservations.hold(
        product,
        location,
        body["quantity"],
        reference=body["reference"],
        ttl=timedelta(seconds=body["ttl_seconds"]),
        actor=_actor(),
    )
    return reservation_out(reservation)


@api.route("/stock/reservations/<int:reservation_id>", methods=["GET"])
@require_api_role("clerk", scope="stock:read")
@api.response(200, schemas.ReservationOut)
def get_reservation(reservation_id: int):
    """One reservation."""
    return reservation_out(_reservation_here(reservation_id))


@api.route("/stock/reservations/<int:reservation_id>", methods=["DELETE"])
@idempotent
@require_api_role("clerk", scope="stock:write")
@api.response(200, schemas.ReservationOut)
def release_reservation(reservation_id: int):
    """Release a hold: its units are available again."""
    return reservation_out(reservations.release(_reservation_here(reservation_id), actor=_actor()))


@api.route("/stock/reservations/<int:reservation_id>/sell", methods=["POST"])
@idempotent
@require_api_role("clerk", scope="stock:write")
@api.response(200, schemas.ReservationOut)
def sell_reservation(reservation_id: int):
    """Turn a hold into a sale."""
    return reservation_out(reservations.sell(_reservation_here(reservation_id), actor=_actor()))
