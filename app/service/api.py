"""JSON API: a shopper's phone asks the store's staff for help and follows the answer.

The caller is the phone: its signed-in member, else its anonymous shopper session (the cookie
the product page sets). Both are cookies, so every write proves CSRF.
"""

from __future__ import annotations

from flask import after_this_request, g, request
from flask_smorest import Blueprint

from app.core.schemas import PUBLIC
from app.extensions import csrf
from app.idempotency import services as idempotency
from app.idempotency.services import idempotent
from app.members.auth import current_member
from app.scans.services import SHOPPER_COOKIE
from app.service import schemas, services
from app.shop.routes import shopper_session

api = Blueprint("service_api", __name__, url_prefix="/api/v1", description="Help requests")


def _session() -> tuple[str, bool]:
    """This phone's shopper session and whether it is new (one per request, on g)."""
    if "oneshelf_shopper" not in g:
        g.oneshelf_shopper = shopper_session()
    return g.oneshelf_shopper


def phone_caller() -> tuple[int | None, str | None]:
    """(member id, shopper session) of this phone; the session only if its cookie is well formed."""
    member = current_member()
    session_id, new = _session()
    return (member.id if member else None), (None if new else session_id)


def _shopper_scope() -> str | None:
    """A guest's keys for help requests are their shopper session's, not everyone's on this path."""
    if request.blueprint != api.name or current_member() is not None:
        return None
    # A phone without the cookie yet gets its session now: the answer sets the cookie, and a
    # retry that carries it finds this key again.
    return services.shopper_room(_session()[0])


idempotency.register_caller(_shopper_scope)


def _remember_new_session(session_id: str) -> None:
    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            SHOPPER_COOKIE, session_id, max_age=365 * 86400, httponly=True, samesite="Lax", secure=request.is_secure
        )
        return response


@api.route("/help-requests", methods=["POST"])
@idempotent(check=csrf.protect)
@api.arguments(schemas.HelpRequestIn())
@api.response(201, schemas.HelpRequestOut)
@api.alt_response(200, schema=schemas.HelpRequestOut, description="This phone's request here is already waiting.")
@api.doc(security=PUBLIC)
def ask_for_help(body):
    """Call a clerk to this shopper at a store, about a product (``sku``) or a ``topic`` such as the basket.

    One waiting request per shopper and store: asking again answers the one already waiting (200).
    """
    member_id, _ = phone_caller()
    session_id, new = _session()
    if new:
        _remember_new_session(session_id)  # a phone that scanned nothing yet: its session starts now
    help_request, created = services.ask_from_phone(
        body["location"], member_id=member_id, shopper_session=session_id, topic=body["topic"], sku=body["sku"]
    )
    return services.help_json(help_request), 201 if created else 200


@api.route("/help-requests/<int:request_id>", methods=["GET"])
@api.response(200, schemas.HelpRequestOut)
@api.doc(security=PUBLIC)
def get_help_request(request_id: int):
    """One of this phone's help requests as it is now (another shopper's answers 404)."""
    member_id, session_id = phone_caller()
    return services.help_json(services.shoppers_request(request_id, member_id=member_id, shopper_session=session_id))
