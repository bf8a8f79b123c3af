"""JSON API: checkout, orders, refunds, paying at the counter and exit passes."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from app.carts import api as carts_api
from app.core.schemas import MEMBER, MEMBER_OR_KEY, PUBLIC
from app.db import begin_write
from app.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.idempotency import services as idempotency
from app.kiosks import auth as kiosk_auth
from app.members.auth import current_member, require_member_api
from app.orders import card, passes, schemas, services, views
from app.orders.models import Order
from app.payments import services as payments
from app.staff.auth import current_actor, require_api_role, require_api_scope
from app.transaction import writes

api = Blueprint("orders_api", __name__, url_prefix="/api/v1", description="Checkout and orders")


def _channel() -> str:
    """A kiosk pays on the kiosk channel, by its device token or from its screen's cookie."""
    actor = current_actor()
    if actor is not None and actor.kind == "device":
        return "kiosk"
    return "kiosk" if actor is None and kiosk_auth.screen_device() is not None else "phone"


@api.route("/carts/<cart_id>/checkout", methods=["POST"])
@api.arguments(schemas.CheckoutIn())
@api.response(201, schemas.CheckoutOut)
@api.alt_response(400, description="card_number_not_accepted: cards are entered on the provider's page.")
@api.alt_response(402, description="The payment was declined; nothing was taken and the cart is as it was.")
@api.alt_response(409, description="Not enough stock, a price changed (details.changes), or the cart is closed.")
@api.doc(security=PUBLIC)
def checkout(body, cart_id: str):
    """Pay for a cart, all or nothing; a retry with the same Idempotency-Key answers with the same order.

    By card, the order answers ``pending_payment`` with ``next_action.redirect_url``: the card
    provider's page, where the shopper types the card (never sent to us), and ``qr_svg`` of it
    for a kiosk to show a phone. The order is paid when the provider confirms.
    """
    # Its own transactions, not the door: new prices are kept with the 409, and the order is
    # committed before the payment is created at the provider in a second transaction.
    key = idempotency.require_key("A checkout")
    begin_write(db.session)
    try:
        cart = carts_api.cart_for_caller(cart_id)
        if services.order_of_checkout(cart.id, key) is None and cart.status == "open":
            changes = services.reprice(cart)
            if changes:
                db.session.commit()  # the new prices stay: the shopper sees them before paying
                raise DomainError(
                    "price_changed",
                    "Prices changed since these were added: check the basket and pay again.",
                    status=409,
                    details={"changes": changes},
                )
        cart_pk = cart.id
        try:
            order, new = services.checkout(
                cart,
                key=key,
                request_hash=idempotency.request_hash(),
                payment=body["payment"],
                points=body["points"],
                channel=_channel(),
                fulfilment_choices=body["fulfilment"],
            )
            db.session.commit()
        except IntegrityError:
            # The same key's checkout committed first: undo ours and answer with its order.
            db.session.rollback()
            begin_write(db.session)
            order, new = services.order_of_checkout(cart_pk, key), False
            if order is None:
                raise
            if order.request_hash != idempotency.request_hash():
                raise DomainError(
                    "idempotency_key_reused", "This Idempotency-Key was used for a different checkout."
                ) from None
        if card.needs_hosted_payment(order):
            # A new transaction, as a writer from its first statement: the payment is created at
            # the provider (server to server) once the order is committed; a retry finds the same one.
            order_id = order.id
            db.session.rollback()
            begin_write(db.session)
            order = card.start_card_payment(db.session.get(Order, order_id))
            db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return _answer(order, new)


def _answer(order: Order, new: bool):
    """201 with the order (and, for a card, ``next_action``: the provider's page); a declined card answers 402."""
    if order.status == "cancelled" and order.payment_method == "card":
        raise payments.PaymentDeclined(payments.get_payment(order.payment_id))
    headers = {} if new else {"Idempotent-Replayed": "true"}
    return {**views.order_json(order), "next_action": card.next_action(order)}, 201, headers


def _visible(order: Order) -> None:
    """Its member, staff (a clerk: of its store) and integrations may see an order."""
    member = current_member()
    if member is not None and order.member_id == member.id:
        return
    actor = current_actor()
    if actor is not None and actor.kind in ("staff", "key") and actor.may("clerk"):
        if actor.store_id is None or actor.store_id == order.location_id:
            return
    # The same answer as an unknown number, so that order numbers cannot be probed.
    raise NotFound("order_not_found", f"No order {order.number}.")


@api.route("/orders/<number>", methods=["GET"])
@api.response(200, schemas.OrderOut)
@require_api_scope("orders:read")
@api.doc(security=MEMBER_OR_KEY)
def get_order(number: str):
    """One order by its number."""
    order = services.get_order(number)
    _visible(order)
    member = current_member()
    return views.order_json(order, with_pass=member is not None and member.id == order.member_id)


@api.route("/members/me/orders", methods=["GET"])
@api.arguments(schemas.PageArgs(), location="query")
@api.response(200, schemas.OrderPage)
@require_member_api
@api.doc(security=MEMBER)
def my_orders(args):
    """My orders across the stores and online, newest first."""
    rows, cursor = services.orders_of_member(current_member().id, args["cursor"], args["limit"])
    return {"items": [views.order_json(o) for o in rows], "next_cursor": cursor}


@api.route("/orders", methods=["GET"])
@api.arguments(schemas.OrderArgs(), location="query")
@api.response(200, schemas.OrderPage)
@require_api_role("clerk", scope="orders:read")
def search_orders(args):
    """Staff: orders by member, number, status and time, newest first."""
    rows, cursor = services.search_orders(
        member_id=args["member"],
        q=args["q"],
        status=args["status"],
        since=args["since"],
        until=args["until"],
        store_id=current_actor().store_id,
        cursor=args["cursor"],
        limit=args["limit"],
    )
    return {"items": [views.order_json(o, with_pass=False) for o in rows], "next_cursor": cursor}


@api.route("/orders/<number>/refunds", methods=["POST"])
@writes
@api.arguments(schemas.RefundIn())
@api.response(201, schemas.OrderOut)
@require_api_role("admin", scope="orders:write")
def refund(body, number: str):
    """Refund all or part of a paid order to the way it was paid."""
    order = services.refund_order(services.get_order(number), body["amount"])
    return views.order_json(order, with_pass=False)


@api.route("/orders/<number>/counter-payment", methods=["POST"])
@writes
@api.arguments(schemas.CounterIn())
@api.response(200, schemas.OrderOut)
@require_api_role("clerk", scope="orders:write")
def counter_payment(body, number: str):
    """The clerk took the money (cash or card) for an order paid at the counter."""
    order = services.get_order(number)
    _visible(order)
    services.confirm_at_counter(order, body["how"], current_actor().name)
    return views.order_json(order, with_pass=False)


@api.route("/exit-passes/use", methods=["POST"])
@writes
@api.arguments(schemas.ExitPassIn())
@api.response(200, schemas.ExitCheckOut)
@require_api_role("clerk", scope="orders:write")
def use_exit_pass(body):
    """The clerk scanned an exit pass: what was bought, whether to check the bag; a second scan is refused."""
    actor = current_actor()
    _, order = passes.find(body["code"])
    if actor.store_id is not None and order.location_id != actor.store_id:
        raise Forbidden("other_store", "This exit pass is for an order of another store.")
    exit_pass, order = passes.use(body["code"], actor.name)
    return {"order": views.order_json(order, with_pass=False), "check_basket": exit_pass.check_basket}
