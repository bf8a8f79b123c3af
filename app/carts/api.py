"""JSON API for carts: a member's (session cookie + CSRF), a kiosk session's (device token, or the kiosk
screen's cookie + CSRF) or a guest's.

A guest's cart is reached by its id alone (128 random bits), like a link to it.
"""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from app.carts import schemas, services
from app.core.schemas import PUBLIC
from app.extensions import csrf
from app.idempotency.services import idempotent
from app.kiosks import auth as kiosk_auth
from app.kiosks import services as kiosks
from app.members.auth import current_member
from app.staff.auth import current_actor
from app.transaction import writes

api = Blueprint("carts_api", __name__, url_prefix="/api/v1", description="Carts")


def _caller() -> dict:
    """Who is asking: a member (cookie), a kiosk (device token) or a guest."""
    actor = current_actor()
    device = kiosks.live_device(actor.id) if actor is not None and actor.kind == "device" else None
    screen = kiosk_auth.screen_device() if device is None else None
    kiosk_session = kiosks.ensure_session(device or screen) if (device or screen) is not None else None
    member = current_member()
    if (member is not None or screen is not None) and request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # a cookie-authenticated write proves it comes from our own pages
    return {
        "member_id": member.id if member else None,
        "kiosk_member_id": kiosk_session.member_id if kiosk_session else None,
        "kiosk_session_id": kiosk_session.id if kiosk_session else None,
    }


def cart_for_caller(cart_id: str):
    """The cart, if the caller may use it (403 otherwise)."""
    cart = services.get_cart(cart_id)
    services.check_access(cart, **_caller())
    return cart


@api.route("/carts", methods=["POST"])
@writes
@api.response(201, schemas.CartOut)
@api.doc(security=PUBLIC)
def create_cart():
    """The caller's open cart: a member's, a kiosk session's (joined to its member once known), or a new guest cart."""
    who = _caller()
    member_id = who["member_id"] or who["kiosk_member_id"]
    if member_id is not None:
        cart = services.open_cart(member_id=member_id)
    elif who["kiosk_session_id"] is not None:
        cart = services.open_cart(kiosk_session_id=who["kiosk_session_id"])
    else:
        cart = services.open_cart()
    return services.cart_json(cart)


@api.route("/carts/<cart_id>", methods=["GET"])
@api.response(200, schemas.CartOut)
@api.doc(security=PUBLIC)
def get_cart(cart_id: str):
    """A cart with its lines, what is held and the total."""
    return services.cart_json(cart_for_caller(cart_id))


@api.route("/carts/<cart_id>/lines", methods=["POST"])
@idempotent
@api.arguments(schemas.AddLineIn())
@api.response(201, schemas.CartOut)
@api.doc(security=PUBLIC)
def add_line(body, cart_id: str):
    """Add units by a scanned code or a SKU; they are held at the store (409 when not enough are left).

    Send an Idempotency-Key header: a retry answers the first result and holds nothing more.
    """
    cart = cart_for_caller(cart_id)
    services.add_line(
        cart, code=body["code"], sku=body["sku"], qty=body["qty"], location=body["location"], online=body["online"]
    )
    return services.cart_json(cart)


@api.route("/carts/<cart_id>/lines/<int:line_id>", methods=["PATCH"])
@idempotent
@api.arguments(schemas.QuantityIn())
@api.response(200, schemas.CartOut)
@api.doc(security=PUBLIC)
def change_line(body, cart_id: str, line_id: int):
    """Change a line's quantity; the hold follows (409 when more are wanted than are left)."""
    cart = cart_for_caller(cart_id)
    services.set_quantity(cart, line_id, body["qty"])
    return services.cart_json(cart)


@api.route("/carts/<cart_id>/lines/<int:line_id>", methods=["DELETE"])
@idempotent
@api.response(200, schemas.CartOut)
@api.doc(security=PUBLIC)
def remove_line(cart_id: str, line_id: int):
    """Take a line out of the cart; its units go back on the shelf."""
    cart = cart_for_caller(cart_id)
    services.remove_line(cart, line_id)
    return services.cart_json(cart)
