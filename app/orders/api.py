"""JSON API: checkout, orders, refunds, paying at the counter and exit passes."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.carts import api as carts_api
from app.db import begin_write
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.idempotency import services as idempotency
from app.members.auth import current_member, require_member_api
from app.orders import passes, schemas, services, views
from app.orders.models import Order
from app.staff.auth import current_actor, require_api_role, require_api_scope

api = Blueprint("orders_api", __name__, url_prefix="/api/v1", description="Checkout and orders")


def _channel() -> str:
    actor = current_actor()
    return "kiosk" if actor is not None and actor.kind == "device" else "phone"


@api.route("/carts/<cart_id>/checkout", methods=["POST"])
@api.arguments(schemas.CheckoutIn())
@api.response(201, schemas.OrderOut)
@api.alt_response(402, description="The payment was declined; nothing was taken and the cart is as it was.")
@api.alt_response(409, description="Not enough stock, a price changed (details.changes), or the cart is closed.")
def checkout(body, cart_id: str):
    """Pay for a cart, all or nothing; a retry with the same Idempotency-Key answers with the same order."""
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
        order, new = services.checkout(
            cart,
            key=key,
            request_hash=idempotency.request_hash(),
            payment=body["payment"],
            points=body["points"],
            channel=_channel(),
        )
        to_charge = order.id if order.status == "pending_payment" and body["payment"].get("card_number") else None
        db.session.commit()
        if to_charge is not None:
            # A new transaction, as a writer from its first statement (reading the order first
            # would begin a reader that SQLite cannot turn into a writer while others write).
            begin_write(db.session)
            order = db.session.get(Order, to_charge)
            services.pay_by_card(order, body["payment"]["card_number"])
            db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return _answer(order, new)


def _answer(order: Order, new: bool):
    """201 with the order; a declined card answers 402 (every retry of it too)."""
    if order.status == "cancelled" and order.payment_method == "card":
        from app.payments import services as payments

        raise payments.PaymentDeclined(payments.get_payment(order.payment_id))
    headers = {} if new else {"Idempotent-Replayed": "true"}
    return views.order_json(order), 201, headers


def _visible(order: Order) -> None:
    """Its member, staff (a clerk: of its store) and integrations may see an order."""
    member = current_member()
    if member is not None and order.member_id == member.id:
        return
    actor = current_actor()
    if actor is not None and actor.kind in ("staff", "key") and actor.may("clerk"):
        if actor.store_id is None or actor.store_id == order.location_id:
            return
    raise Forbidden("not_your_order", "This order is not yours.")


@api.route("/orders/<number>", methods=["GET"])
@api.response(200, schemas.OrderOut)
@require_api_scope("orders:read")
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
@api.arguments(schemas.RefundIn())
@api.response(201, schemas.OrderOut)
@require_api_role("admin", scope="orders:write")
def refund(body, number: str):
    """Refund all or part of a paid order to the way it was paid."""
    begin_write(db.session)
    order = services.refund_order(services.get_order(number), body["amount"])
    db.session.commit()
    return views.order_json(order, with_pass=False)


@api.route("/orders/<number>/counter-payment", methods=["POST"])
@api.arguments(schemas.CounterIn())
@api.response(200, schemas.OrderOut)
@require_api_role("clerk", scope="orders:write")
def counter_payment(body, number: str):
    """The clerk took the money (cash or card) for an order paid at the counter."""
    begin_write(db.session)
    order = services.get_order(number)
    _visible(order)
    services.confirm_at_counter(order, body["how"], current_actor().name)
    db.session.commit()
    return views.order_json(order, with_pass=False)


@api.route("/exit-passes/use", methods=["POST"])
@api.arguments(schemas.ExitPassIn())
@api.response(200, schemas.ExitCheckOut)
@require_api_role("clerk", scope="orders:write")
def use_exit_pass(body):
    """The clerk scanned an exit pass: what was bought, whether to check the bag; a second scan is refused."""
    begin_write(db.session)
    actor = current_actor()
    _, order = passes.find(body["code"])
    if actor.store_id is not None and order.location_id != actor.store_id:
        raise Forbidden("other_store", "This exit pass is for an order of another store.")
    exit_pass, order = passes.use(body["code"], actor.name)
    db.session.commit()
    return {"order": views.order_json(order, with_pass=False), "check_basket": exit_pass.check_basket}
