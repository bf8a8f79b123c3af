"""JSON API of the online half: a member's addresses, and a location's work on the parcels of orders.

The parcels are the fulfilment domain's; this adapter sits in orders because every step a
clerk takes is also news for the order's shopper (live on their phone, a message when it is
ready) and an expired collection refunds the order.
"""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.catalog.schemas import PageArgs, StrictSchema
from app.core.pagination import paginate
from app.core.schemas import MEMBER
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.fulfilment import addresses, store_work
from app.fulfilment.models import TRANSITIONS, Fulfilment
from app.idempotency.services import idempotent
from app.members import codes
from app.members.auth import current_member, require_member_api
from app.orders import schemas, services, views
from app.staff.auth import current_actor, require_api_role
from app.transaction import writes

api = Blueprint("fulfilment_api", __name__, url_prefix="/api/v1", description="Addresses and parcels")


# ---- addresses ---------------------------------------------------------------------------


class AddressOut(schemas.AddressIn):
    id = ma.fields.Integer()


class AddressPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AddressOut))


@api.route("/members/me/addresses", methods=["GET"])
@api.response(200, AddressPage)
@require_member_api
@api.doc(security=MEMBER)
def my_addresses():
    """The delivery addresses I keep."""
    return {"items": [addresses.as_dict(a) for a in addresses.addresses_of(current_member().id)]}


@api.route("/members/me/addresses", methods=["POST"])
@idempotent(check=lambda: _member_check())
@api.arguments(schemas.AddressIn())
@api.response(201, AddressOut)
@api.doc(security=MEMBER)
def add_address(body):
    """Keep a delivery address (recipient, line1 and city at least; coordinates make routing exact)."""
    body.pop("id", None)
    return addresses.as_dict(addresses.add_address(current_member().id, body))


@api.route("/members/me/addresses/<int:address_id>", methods=["DELETE"])
@writes
@require_member_api
@api.response(204)
@api.doc(security=MEMBER)
def remove_address(address_id: int):
    """Forget an address; parcels already sent there keep their copy."""
    addresses.remove_address(current_member().id, address_id)
    return "", 204


def _member_check() -> None:
    require_member_api(lambda: None)()


# ---- a location's parcels ----------------------------------------------------------------


class ParcelArgs(PageArgs):
    location = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(tuple(TRANSITIONS)))


class StaffParcelLineOut(schemas.ParcelLineOut):
    sku = ma.fields.String()
    name = ma.fields.String()


class StaffParcelOut(schemas.ParcelOut):
    order = ma.fields.String(metadata={"description": "The order number."})
    member_name = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(StaffParcelLineOut))
    next = ma.fields.List(ma.fields.String(), metadata={"description": "The steps this parcel may take now."})


class ParcelPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StaffParcelOut))
    next_cursor = ma.fields.String(allow_none=True)


class ParcelScanIn(StrictSchema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "What the scanner read: a shelf QR, barcode or SKU (pick); the parcel's QR or the member code (collect)."},
    )


class CollectIn(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    location = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))


class CollectedOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StaffParcelOut))


def _location_id(code: str | None) -> int | None:
    """The location a clerk works at: their own store, or (for others) the one they name."""
    actor = current_actor()
    if actor.store_id is not None:
        if code and catalog.get_location(code).id != actor.store_id:
            raise Forbidden("other_store", "You work at another store.")
        return actor.store_id
    return catalog.get_location(code).id if code else None


def _parcel(fulfilment_id: int) -> Fulfilment:
    """A parcel a store-bound clerk may touch: sent from, or collected at, their store."""
    parcel = store_work.get(fulfilment_id)
    store = current_actor().store_id
    if store is not None and store not in (parcel.source_location_id, parcel.collect_location_id):
        raise NotFound("fulfilment_not_found", f"No parcel {fulfilment_id}.")
    return parcel


@api.route("/fulfilments", methods=["GET"])
@api.arguments(ParcelArgs(), location="query")
@api.response(200, ParcelPage)
@require_api_role("clerk", scope="orders:read")
def list_parcels(args):
    """A location's parcels to pick, pack, send, and hand over (all open ones without a status)."""
    statuses = (args["status"],) if args["status"] else store_work.QUEUE_STATUSES
    query = store_work.queue_query(_location_id(args["location"]), statuses)
    rows, cursor = paginate(query, Fulfilment.id, args["cursor"], args["limit"])
    return {"items": views.parcels_for_staff(rows), "next_cursor": cursor}


@api.route("/fulfilments/<int:fulfilment_id>", methods=["GET"])
@api.response(200, StaffParcelOut)
@require_api_role("clerk", scope="orders:read")
def get_parcel(fulfilment_id: int):
    """One parcel with its order, lines and next steps."""
    return views.parcels_for_staff([_parcel(fulfilment_id)])[0]


def _step(fulfilment_id: int, act) -> dict:
    parcel = _parcel(fulfilment_id)
    act(parcel, current_actor())
    services.parcel_moved(parcel)
    return views.parcels_for_staff([parcel])[0]


@api.route("/fulfilments/<int:fulfilment_id>/pick", methods=["POST"])
@idempotent
@api.arguments(ParcelScanIn())
@api.response(200, StaffParcelOut)
@api.alt_response(409, description="The scanned product is not (or no longer) to be picked for this parcel.")
@require_api_role("clerk", scope="orders:write")
def pick(body, fulfilment_id: int):
    """One unit picked: scan its shelf QR or barcode; a product the parcel does not need is refused."""
    return _step(fulfilment_id, lambda p, a: store_work.pick(p, body["code"], a.name, location_id=a.store_id))


@api.route("/fulfilments/<int:fulfilment_id>/pack", methods=["POST"])
@idempotent
@api.response(200, StaffParcelOut)
@require_api_role("clerk", scope="orders:write")
def pack(fulfilment_id: int):
    """Every unit is picked and the parcel is packed."""
    return _step(fulfilment_id, lambda p, a: store_work.pack(p, a.name, location_id=a.store_id))


@api.route("/fulfilments/<int:fulfilment_id>/ship", methods=["POST"])
@idempotent
@api.response(200, StaffParcelOut)
@require_api_role("clerk", scope="orders:write")
def ship(fulfilment_id: int):
    """Handed to the courier: to the shopper's address, or to the store it is collected at."""
    return _step(fulfilment_id, lambda p, a: store_work.ship(p, a.name, location_id=a.store_id))


@api.route("/fulfilments/<int:fulfilment_id>/ready", methods=["POST"])
@idempotent
@api.response(200, StaffParcelOut)
@require_api_role("clerk", scope="orders:write")
def ready(fulfilment_id: int):
    """At the collection store, waiting for its shopper (who is told)."""
    return _step(fulfilment_id, lambda p, a: store_work.ready(p, a.name, location_id=a.store_id))


@api.route("/fulfilments/<int:fulfilment_id>/delivered", methods=["POST"])
@idempotent
@api.response(200, StaffParcelOut)
@require_api_role("clerk", scope="orders:write")
def delivered(fulfilment_id: int):
    """The courier handed it over at the address."""
    return _step(fulfilment_id, lambda p, a: store_work.delivered(p, a.name))


@api.route("/fulfilments/<int:fulfilment_id>/collect", methods=["POST"])
@idempotent
@api.arguments(ParcelScanIn())
@api.response(200, StaffParcelOut)
@require_api_role("clerk", scope="orders:write")
def collect(body, fulfilment_id: int):
    """Handed over at the counter, once the clerk scanned the parcel's QR or its shopper's member code."""
    parcel = _parcel(fulfilment_id)
    if not _shown_for(parcel, body["code"]):
        raise Conflict("wrong_code", "This code is not this parcel's QR nor its shopper's member code.")
    return _step(fulfilment_id, lambda p, a: store_work.collect(p, a.name, location_id=a.store_id))


@api.route("/fulfilments/collect", methods=["POST"])
@idempotent
@api.arguments(CollectIn())
@api.response(200, CollectedOut)
@api.alt_response(404, description="Nothing is ready for this code here.")
@require_api_role("clerk", scope="orders:write")
def collect_by_scan(body):
    """The clerk scanned an order's QR or a member code: everything ready for it here is handed over."""
    location_id = _location_id(body["location"])
    if location_id is None:
        raise DomainError("location_required", "Say which store the shopper collects at (location).")
    actor = current_actor()
    parcels = services.ready_for(body["code"], location_id, actor.name)
    for parcel in parcels:
        store_work.collect(parcel, actor.name, location_id=location_id)
        services.parcel_moved(parcel)
    return {"items": views.parcels_for_staff(parcels)}


def _shown_for(parcel: Fulfilment, scanned: str) -> bool:
    """The parcel's own QR, or a valid member code of the order's member."""
    text = (scanned or "").strip().upper()
    if text.rsplit("/", 1)[-1] == parcel.code:
        return True
    try:
        member = codes.redeem(text, redeemed_by=current_actor().name, location_id=parcel.collect_location_id)
    except DomainError:
        return False
    return member.id == services.order_of_parcel(parcel).member_id
