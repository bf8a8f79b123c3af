"""JSON API: a member starts a return; a clerk scans it, receives the goods and the refund follows."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.core.schemas import MEMBER, MEMBER_OR_KEY
from app.errors import NotFound
from app.extensions import csrf
from app.idempotency.services import HEADER, idempotent
from app.members.auth import NotSignedIn, current_member
from app.orders import services as orders
from app.orders.models import Order
from app.returns import label, schemas, services, views
from app.returns.access import clerk, receiving_location, sees_return
from app.returns.models import Return
from app.staff.auth import current_actor, require_api_role, require_api_scope, require_at

api = Blueprint("returns_api", __name__, url_prefix="/api/v1", description="Returns of goods")

KEY_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "A retry with the same key answers the first answer and has no second effect.",
}
KEY_REQUIRED_DOC = {
    **KEY_DOC,
    "required": True,
    "description": "Required: a retried receive with the same key refunds once and answers the same.",
}


def _signed_in_member() -> None:
    if current_member() is None:
        raise NotSignedIn("not_signed_in", "Sign in first.")
    csrf.protect()


def _visible(ret: Return) -> Return:
    if not sees_return(ret, clerk()):
        raise NotFound("return_not_found", f"No return {ret.id}.")
    return ret


def _order_for_caller(number: str) -> Order:
    """The order, if its member or a clerk asks (404 as for an unknown number otherwise)."""
    order = orders.get_order(number)
    member = current_member()
    if member is not None and member.id == order.member_id:
        return order
    actor = clerk()
    if actor is not None and (actor.store_id is None or actor.store_id == order.location_id):
        return order
    raise NotFound("order_not_found", f"No order {order.number}.")


def _created(body: dict, status: int = 201) -> Response:
    response = jsonify(schemas.ReturnOut().dump(body))
    response.status_code = status
    return response


@api.route("/orders/<number>/returns", methods=["POST"])
@idempotent(check=_signed_in_member)
@api.arguments(schemas.StartReturnIn())
@api.response(201, schemas.ReturnOut)
@api.alt_response(409, description="Past RETURN_DAYS (return_window_closed), or more units than can come back.")
@api.doc(security=MEMBER, parameters=[KEY_DOC])
def start_return(body, number: str):
    """Return units of my paid order: at a store, by mail (a printable label) or by pickup.

    Answers the return with its QR (show it at the store, or print the label for mail).
    """
    order = orders.get_order(number)
    pickup = body["pickup"]
    if pickup is not None:
        pickup = {"from": pickup["from_"], "until": pickup["until"], "address": pickup["address"]}
    ret = services.start_return(
        order,
        current_member(),
        [(line["line"], line["qty"]) for line in body["lines"]],
        body["reason"],
        body["channel"],
        pickup,
    )
    return _created(views.return_json(ret))


@api.route("/orders/<number>/returns", methods=["GET"])
@api.response(200, schemas.OrderReturnsOut)
@require_api_scope("orders:read")
@api.doc(security=MEMBER_OR_KEY)
def order_returns(number: str):
    """An order's returns, and how many units of each line may still be returned (and until when)."""
    order = _order_for_caller(number)
    left = services.returnable(order)
    days = current_app.config["RETURN_DAYS"]
    return {
        "order": order.number,
        "return_until": order.paid_at + timedelta(days=days) if order.paid_at else None,
        "lines": [
            {
                "line": line.id,
                "sku": line.sku,
                "name": line.name,
                "qty": line.quantity,
                "returned": line.returned_quantity,
                "returnable": max(left[line.id], 0),
                "unit_price": line.unit_price,
            }
            for line in order.lines
        ],
        "returns": [views.return_json(r) for r in services.returns_of(order)],
    }


@api.route("/returns/<int:return_id>", methods=["GET"])
@api.response(200, schemas.ReturnOut)
@require_api_scope("orders:read")
@api.doc(security=MEMBER_OR_KEY)
def get_return(return_id: int):
    """One return: its member, or staff."""
    return views.return_json(_visible(services.get_return(return_id)))


@api.route("/returns/<int:return_id>/label.pdf", methods=["GET"])
@api.response(200, description="The printable return label (mail returns).", content_type="application/pdf")
@require_api_scope("orders:read")
@api.doc(security=MEMBER_OR_KEY)
def get_label(return_id: int):
    """The label to stick on the parcel of a mail return: its QR and the warehouse's address."""
    ret = _visible(services.get_return(return_id))
    return label.pdf_response(ret)


@api.route("/returns", methods=["GET"])
@api.arguments(schemas.ReturnArgs(), location="query")
@api.response(200, schemas.ReturnPage)
@require_api_role("clerk", scope="orders:read")
def search_returns(args):
    """Staff: returns by status, receiving location and member, newest first."""
    actor = current_actor()
    place = catalog.get_location(args["location"]) if args["location"] else None
    if place is not None:
        require_at(place.id, place.code)
    rows, cursor = services.search_returns(
        status=args["status"],
        location=place,
        member=args["member"],
        store_id=actor.store_id,
        cursor=args["cursor"],
        limit=args["limit"],
    )
    visible = [r for r in rows if sees_return(r, actor)]
    return {"items": [views.return_json(r) for r in visible], "next_cursor": cursor}


@api.route("/returns/scan", methods=["POST"])
@idempotent
@require_api_role("clerk", scope="orders:read")
@api.arguments(schemas.ScanIn())
@api.response(200, schemas.ReturnOut)
@api.doc(parameters=[KEY_DOC])
def scan_return(body):
    """A clerk scanned a return's QR (the token, or the URL it holds): which return is it?"""
    ret = services.find_by_token(body["code"])
    return _created(views.return_json(_visible(ret)), 200)


@api.route("/returns/<int:return_id>/receive", methods=["POST"])
@idempotent(required=True)
@require_api_role("clerk", scope="orders:write")
@api.arguments(schemas.ReceiveIn())
@api.response(200, schemas.ReturnOut)
@api.alt_response(409, description="Already received, or more units than were to come back.")
@api.doc(parameters=[KEY_REQUIRED_DOC])
def receive_return(body, return_id: int):
    """The goods are here: each line sellable (back in stock at this location) or quarantined; the refund follows.

    The money goes back the way the order was paid (wallet, card; an order paid at the counter
    is given back in cash by the clerk: refund.method "counter").
    """
    actor = current_actor()
    ret = _visible(services.get_return(return_id))
    place = receiving_location(body["location"], actor)
    lines = [(line["line"], line["qty"], line["to"]) for line in body["lines"]]
    services.receive(ret, place, lines, actor.name)
    return _created(views.return_json(ret), 200)


@api.route("/returns/<int:return_id>/cancel", methods=["POST"])
@idempotent
@api.response(200, schemas.ReturnOut)
@require_api_scope("orders:write")
@api.doc(security=MEMBER_OR_KEY, parameters=[KEY_DOC])
def cancel_return(return_id: int):
    """Give up a return before anything came back: its member, or a clerk."""
    if "Authorization" not in request.headers:
        csrf.protect()  # a cookie caller (member or staff) proves it comes from our pages first
    ret = services.get_return(return_id)
    member = current_member()
    if member is not None and ret.member_id == member.id:
        services.cancel_return(ret, member)
    elif clerk() is not None and sees_return(ret, clerk()):
        services.cancel_return(ret)
    else:
        if member is None and current_actor() is None:
            raise NotSignedIn("not_signed_in", "Sign in first.")
        raise NotFound("return_not_found", f"No return {return_id}.")
    return _created(views.return_json(ret), 200)
