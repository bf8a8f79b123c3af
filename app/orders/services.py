"""Checkout: a cart becomes a paid order, all or nothing, once per Idempotency-Key. Functions flush.

Wallet payments happen inside the one transaction that also turns the cart's holds into sales,
so there is nothing in between to lose. A card is paid on the provider's page (``orders.card``):
the order is first recorded as ``pending_payment`` (the units stay held), the payment is created
at the provider, and the provider's notification (or our query, when it does not come) pays or
cancels the order. ``settle_pending`` asks the provider what became of an order left pending
and completes it (or, if the units are gone, refunds) or cancels it once the provider's page
has closed, so the order and the payment always end up agreeing.
Pay at the counter keeps the units held until a clerk confirms the money.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app import tax
from app.carts import services as carts
from app.carts.models import Cart
from app.catalog.models import Product
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.fulfilment import services as fulfilment
from app.members import services as members
from app.orders import passes, taxes
from app.orders.models import PAID, TRANSITIONS, Order, OrderLine
from app.outbox import services as outbox
from app.payments import services as payments
from app.payments.models import CHARGED
from app.realtime import queue_event
from app.stock import reservations
from app.stock.models import StockReservation

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PAYMENT_METHODS = ("wallet", "card", "counter")


def move(order: Order, status: str) -> Order:
    """Move an order along TRANSITIONS, or refuse."""
    if status not in TRANSITIONS[order.status]:
        raise Conflict("invalid_transition", f"An order that is {order.status} cannot become {status}.")
    order.status = status
    return order


def get_order(number: str) -> Order:
    order = db.session.scalar(select(Order).filter_by(number=(number or "").strip().upper()))
    if order is None:
        raise NotFound("order_not_found", f"No order {number}.")
    return order


def order_of_checkout(cart_id: str, key: str) -> Order | None:
    """The order a checkout with this key made of this cart, if any."""
    return db.session.scalar(select(Order).filter_by(cart_id=cart_id, checkout_key=key))


def _new_number() -> str:
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


# ---- before paying ---------------------------------------------------------------------


def reprice(cart: Cart) -> list[dict]:
    """Bring every line to today's price; what changed (shown to the shopper before paying)."""
    changes = []
    for line in cart.lines:
        product = db.session.get(Product, line.product_id)
        if product.price_amount != line.unit_price:
            changes.append(
                {"sku": product.sku, "name": product.name, "was": line.unit_price, "now": product.price_amount}
            )
            line.unit_price = product.price_amount
    if changes:
        carts.changed(cart)
    return changes


def _ensure_held(cart: Cart, chosen: dict[int, fulfilment.Choice]) -> None:
    """Every carried-out line's units held right now; a hold that ran out is taken again (409 if gone).

    A line to be collected or delivered gives its basket hold back: the router holds its units
    wherever it sends them from (which may be this store again).
    """
    now = utcnow()
    for line in cart.lines:
        if chosen[line.id].mode != "carry_out":
            carts.release_line(line)
            continue
        hold = db.session.get(StockReservation, line.reservation_id) if line.reservation_id else None
        if hold is None or hold.status != "active" or hold.expires_at <= now:
            carts.hold_line(cart, line, line.quantity)
    carts.renew_holds(cart)


def _check_payment(payment: dict, member_id: int | None, channel: str = "phone", points: int = 0) -> str:
    method = payment.get("method") if isinstance(payment, dict) else None
    if method not in PAYMENT_METHODS:
        raise DomainError("invalid_payment", 'payment.method is one of "wallet", "card" or "counter".')
    if channel == "kiosk" and (method == "wallet" or points):
        # A member code scanned at a kiosk identifies the member; it does not let the kiosk spend their money.
        raise DomainError(
            "wallet_needs_phone",
            "Pay with your wallet or points from your phone, or pay by card here.",
            status=403,
        )
    if method == "wallet" and member_id is None:
        raise DomainError("sign_in_to_use_wallet", "Sign in to pay with your wallet, or pay by card.", status=401)
    return method


def _discount(member_id: int | None, points: int, subtotal: int) -> int:
    if not points:
        return 0
    if member_id is None:
        raise DomainError("sign_in_to_use_points", "Sign in to spend points.", status=401)
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise DomainError("invalid_points", "points is a whole number, zero or more.")
    value = points * current_app.config["POINT_VALUE"]
    if value > subtotal:
        raise DomainError("too_many_points", "You can spend points up to the total of the order.")
    return value


# ---- checkout --------------------------------------------------------------------------


def checkout(
    cart: Cart,
    *,
    key: str,
    request_hash: str,
    payment: dict,
    points: int = 0,
    channel: str = "phone",
    fulfilment_choices: list[dict] | None = None,
) -> tuple[Order, bool]:
    """Start (or find again) the checkout of ``cart`` under ``key``; returns the order and whether it is new.

    ``fulfilment_choices`` says, per line, whether it is carried out (the default), collected at
    a store or delivered; the parcels are planned and their units held in this same transaction.
    The caller commits. For a card, ``card.start_card_payment`` follows after that commit.
    """
    existing = order_of_checkout(cart.id, key)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise DomainError("idempotency_key_reused", "This Idempotency-Key was used for a different checkout.")
        return existing, False
    if cart.status != "open":
        raise Conflict("cart_closed", f"This cart is {cart.status.replace('_', ' ')}; start a new one.")
    if not cart.lines:
        raise DomainError("empty_cart", "The cart is empty.")
    member_id = cart.member_id
    method = _check_payment(payment, member_id, channel, points)
    chosen = fulfilment.choices(fulfilment_choices, [line.id for line in cart.lines], member_id)
    if channel == "phone" and all(c.mode != "carry_out" for c in chosen.values()):
        channel = "online"  # nothing leaves a shelf now: an order from wherever the shopper is
    _ensure_held(cart, chosen)
    subtotal = sum(line.unit_price * line.quantity for line in cart.lines)
    discount = _discount(member_id, points, subtotal)
    order = _new_order(cart, key, request_hash, method, channel, subtotal, discount, points, chosen)
    if points:
        members.spend_points(member_id, points, order_id=order.id)  # 409 when they are gone: all rolls back
    if order.total == 0:
        complete(order)
        return order, True
    started = payments.start_payment(
        method,
        order.total,
        order.currency,
        reference=f"order-{order.number}",
        member_id=member_id,
        order_id=order.id,
    )
    order.payment_id = started.id
    if method == "wallet":
        payments.collect(started)
        if started.status not in CHARGED:
            raise payments.PaymentDeclined(started)  # rolls everything back: nothing happened
        complete(order)
    elif method == "card":
        carts.move(cart, "checking_out")
    else:
        _await_counter(order, cart)
    return order, True


def _new_order(cart, key, request_hash, method, channel, subtotal, discount, points, chosen) -> Order:
    first = cart.lines[0]
    order = Order(
        number=_new_number(),
        cart_id=cart.id,
        checkout_key=key,
        request_hash=request_hash,
        member_id=cart.member_id,
        location_id=first.location_id,
        channel=channel,
        status="awaiting_counter" if method == "counter" else "pending_payment",
        currency=cart.currency,
        subtotal=subtotal,
        discount=discount,
        total=subtotal - discount,
        points_redeemed=points or 0,
        payment_method=method,
    )
    sent: list[tuple[OrderLine, fulfilment.Choice]] = []
    for line in cart.lines:
        product = db.session.get(Product, line.product_id)
        choice = chosen[line.id]
        order_line = OrderLine(
            product_id=product.id,
            location_id=line.location_id,
            sku=product.sku,
            name=product.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.unit_price * line.quantity,
            reservation_id=line.reservation_id if choice.mode == "carry_out" else None,
            mode=choice.mode,
            tax_rate=tax.rate_for(product.category),
        )
        order.lines.append(order_line)
        if choice.mode != "carry_out":
            sent.append((order_line, choice))
    taxes.record_line_taxes(order)
    db.session.add(order)
    db.session.flush()
    if sent:
        fulfilment.arrange(
            order.id,
            [fulfilment.OrderedLine(x.id, x.product_id, x.quantity, choice) for x, choice in sent],
            reference=f"order:{order.number}",
        )
    _record(order, "order.created")
    return order


def _record(order: Order, event_type: str, **extra) -> None:
    """The order's event, with what an integration needs to act on it."""
    data = {
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "member": order.member_id,
        "location": order.location_id,
        "total": {"amount": order.total, "currency": order.currency},
        "lines": [
            {
                "sku": line.sku,
                "location": line.location_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "mode": line.mode,
                "tax_rate": line.tax_rate,
                "tax_amount": line.tax_amount,
            }
            for line in order.lines
        ],
        "tax": [{"rate": t["rate"], "amount": t["amount"], "tax": t["tax"]} for t in taxes.by_rate(order)],
        **extra,
    }
    outbox.record(event_type, f"order:{order.number}", data, order=order)


def _await_counter(order: Order, cart: Cart) -> None:
    """Pay at the counter: the holds last long enough to walk there; the cart is done."""
    until = utcnow() + timedelta(minutes=current_app.config["COUNTER_HOLD_MINUTES"])
    for line in order.lines:
        if line.reservation_id is not None:
            hold = db.session.get(StockReservation, line.reservation_id)
            hold.expires_at = max(hold.expires_at, until)
    carts.move(cart, "checked_out")


# ---- completing, cancelling, recovering --------------------------------------------------


def complete(order: Order) -> Order:
    """The money is in: carried-out holds become sales, parcels go to their clerks, points are earned.

    An exit pass is issued when something is carried out of the store now.
    """
    carried = [line for line in order.lines if line.mode == "carry_out"]
    for line in carried:
        line.reservation_id = _sell(order, line)
    fulfilment.paid(order.id)
    move(order, "paid")
    order.paid_at = utcnow()
    if order.member_id is not None:
        rate = current_app.config["POINTS_PER_UNIT"]
        order.points_earned = (order.total // 100) * rate
        members.add_points(order.member_id, order.points_earned, order_id=order.id)
    cart = db.session.get(Cart, order.cart_id)
    if cart.status != "checked_out":
        carts.move(cart, "checked_out")
    if carried:
        passes.issue(order)
    db.session.flush()
    _record(order, "order.paid", points_earned=order.points_earned)
    _announce(order)
    return order


def _sell(order: Order, line: OrderLine) -> int:
    """Sell the line's held units; a hold that ran out is taken again first (409 if they are gone)."""
    hold = db.session.get(StockReservation, line.reservation_id) if line.reservation_id else None
    if hold is not None and hold.status == "active" and hold.expires_at > utcnow():
        reservations.sell(hold)
        return hold.id
    if hold is not None and hold.status == "active":
        reservations.release(hold)
    from app.catalog.models import Location

    product, place = db.session.get(Product, line.product_id), db.session.get(Location, line.location_id)
    again = reservations.hold(product, place, line.quantity, reference=f"order:{order.number}")
    reservations.sell(again)
    return again.id


def cancel(order: Order, *, reopen_cart: bool) -> Order:
    """Nothing was paid: the order is cancelled, points come back, the units stay with the cart or go back."""
    move(order, "cancelled")
    order.cancelled_at = utcnow()
    if order.member_id is not None and order.points_redeemed:
        members.add_points(order.member_id, order.points_redeemed, kind="given_back", order_id=order.id)
    cart = db.session.get(Cart, order.cart_id)
    if reopen_cart and cart.status == "checking_out":
        carts.move(cart, "open")
        carts.changed(cart)
    else:
        for line in order.lines:
            hold = db.session.get(StockReservation, line.reservation_id) if line.reservation_id else None
            if hold is not None and hold.status == "active":
                reservations.release(hold)
    fulfilment.cancel_unpaid(order.id)
    db.session.flush()
    _record(order, "order.cancelled")
    _announce(order)
    return order


def settle_pending(order: Order) -> Order:
    """A card order left pending (a lost notification, a crash): make it agree with the provider."""
    from app.orders import card

    return card.settle_pending(order)


def stale_pending_orders(older_than: timedelta = timedelta(seconds=30), limit: int = 100) -> list[Order]:
    """Card orders still waiting for an answer after ``older_than``."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.status == "pending_payment", Order.created_at <= utcnow() - older_than)
            .order_by(Order.id)
            .limit(limit)
        )
    )


def confirm_at_counter(order: Order, how: str, clerk: str) -> Order:
    """A clerk took the money for an order paid at the counter."""
    if order.status != "awaiting_counter":
        raise Conflict("not_awaiting_counter", f"Order {order.number} is {order.status.replace('_', ' ')}.")
    payments.confirm_counter_payment(payments.get_payment(order.payment_id), how, clerk)
    return complete(order)


# ---- how an order looks ----------------------------------------------------------------


def _announce(order: Order) -> None:
    data = {"order": order.number, "status": order.status}
    queue_event(db.session, "order:updated", data, room=carts.cart_room(order.cart_id))
    if order.member_id is not None:
        queue_event(db.session, "order:updated", data, room=f"member:{order.member_id}")


def refund_order(order: Order, amount: int | None = None) -> Order:
    """Give money back to the original method: all that is left, or ``amount`` of it."""
    if order.status not in ("paid", "partially_refunded"):
        raise Conflict("not_refundable", f"Order {order.number} is {order.status.replace('_', ' ')}.")
    left = order.total - order.refunded_amount
    amount = left if amount is None else amount
    if not 0 < amount <= left:
        raise DomainError("invalid_refund", f"At most {left} (minor units) of this order can be refunded.")
    if order.payment_id is not None:
        payments.refund(payments.get_payment(order.payment_id), amount)
    order.refunded_amount += amount
    move(order, "refunded" if order.refunded_amount == order.total else "partially_refunded")
    db.session.flush()
    refund = {"order": order.number, "amount": {"amount": amount, "currency": order.currency}}
    refund |= {"refunded": order.refunded_amount, "status": order.status}
    outbox.record("refund.issued", f"order:{order.number}", refund, order=order)
    _announce(order)
    return order


def orders_of_member(member_id: int, cursor: str | None, limit: int) -> tuple[list[Order], str | None]:
    """A member's orders across channels, newest first (cancelled ones left out)."""
    from app.core.pagination import paginate_desc

    query = select(Order).where(Order.member_id == member_id, Order.status != "cancelled")
    return paginate_desc(query, Order.id, cursor, limit)


def search_orders(
    *, member_id=None, q=None, status=None, since=None, until=None, store_id=None, cursor=None, limit=50
) -> tuple[list[Order], str | None]:
    """Staff search: by member, order number, status and time; a clerk's own store only."""
    from app.core.pagination import paginate_desc

    query = select(Order)
    if member_id is not None:
        query = query.where(Order.member_id == member_id)
    if q:
        query = query.where(Order.number.startswith(q.strip().upper()))
    if status:
        query = query.where(Order.status == status)
    if since is not None:
        query = query.where(Order.created_at >= since)
    if until is not None:
        query = query.where(Order.created_at < until)
    if store_id is not None:
        query = query.where(Order.location_id == store_id)
    return paginate_desc(query, Order.id, cursor, limit)


def bought_together(product_id: int, limit: int = 3) -> list[Product]:
    """Products most often in the same paid orders as this one (most orders first)."""
    from sqlalchemy import func
    from sqlalchemy.orm import aliased

    this, other = aliased(OrderLine), aliased(OrderLine)
    orders_count = func.count(func.distinct(other.order_id))
    rows = db.session.execute(
        select(other.product_id, orders_count)
        .join(this, this.order_id == other.order_id)
        .join(Order, Order.id == other.order_id)
        .where(this.product_id == product_id, other.product_id != product_id, Order.status.in_(PAID))
        .group_by(other.product_id)
        .order_by(orders_count.desc(), other.product_id)
        .limit(limit)
    ).all()
    ids = [row[0] for row in rows]
    found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids), Product.active))}
    return [found[i] for i in ids if i in found]


# ---- the parcels of an order, after checkout ---------------------------------------------

PARCEL_NEWS = {
    "shipped": ("Your parcel is on its way", "Order {number}: your parcel left {source}."),
    "ready": ("Ready for collection", "Order {number} is ready at {place}. Show the order's QR at the counter."),
    "expired": ("Not collected", "Order {number} was not collected at {place}; the parcel's amount is refunded."),
}


def order_of_parcel(parcel) -> Order:
    return db.session.get(Order, parcel.order_id)


def parcel_moved(parcel) -> None:
    """A parcel changed: its shopper's screens follow live, and a message says what matters."""
    order = order_of_parcel(parcel)
    shown = fulfilment.parcel_json(parcel)
    news = {"id": parcel.id, "status": parcel.status, "status_text": shown["status_text"]}
    data = {"order": order.number, "status": order.status, "parcel": news}
    queue_event(db.session, "order:updated", data, room=carts.cart_room(order.cart_id))
    if order.member_id is not None:
        queue_event(db.session, "order:updated", data, room=f"member:{order.member_id}")
    event = {"number": order.number, "id": parcel.id, "status": parcel.status}
    outbox.record("parcel.updated", f"order:{order.number}", event)
    message = PARCEL_NEWS.get(parcel.status)
    if message and order.member_id is not None:
        _tell(order.member_id, message, order, parcel)


def _tell(member_id: int, news: tuple[str, str], order: Order, parcel) -> None:
    from app.catalog import services as catalog
    from app.members import messages

    places = catalog.locations_by_id({parcel.source_location_id, parcel.collect_location_id or 0})
    source, place = places.get(parcel.source_location_id), places.get(parcel.collect_location_id or 0)
    reach = [i for i in members.identifiers_of(members.get_member(member_id)) if i.kind in ("email", "phone")]
    reach.sort(key=lambda i: (not i.verified, i.kind != "phone", i.id))
    if not reach:
        return
    subject, body = news
    text = body.format(number=order.number, source=source.name if source else "", place=place.name if place else "")
    messages.send(messages.channel_for(reach[0].kind), reach[0].value, subject, text)


def expire_parcel(parcel) -> Order:
    """A parcel nobody collected: its units went back, and what was paid for them comes back too."""
    from app.fulfilment import store_work

    store_work.expire(parcel)
    order = order_of_parcel(parcel)
    lines = {line.id: line for line in order.lines}
    worth = sum(lines[x.order_line_id].unit_price * x.quantity for x in parcel.lines)
    # The order's discount (points spent) is shared by its lines in proportion to their price.
    amount = worth * order.total // order.subtotal if order.subtotal else 0
    amount = min(amount, order.total - order.refunded_amount)
    if amount > 0 and order.status in ("paid", "partially_refunded"):
        refund_order(order, amount)
    parcel_moved(parcel)
    return order


def ready_for(scanned: str, location_id: int, clerk: str) -> list:
    """The parcels ready here for what the clerk scanned: a parcel's QR (its order's), or a member code."""
    from app.fulfilment import store_work
    from app.fulfilment.models import Fulfilment
    from app.members import codes

    text = (scanned or "").strip().upper()
    try:
        order_ids = [store_work.find_by_code(text).order_id]
    except NotFound:
        member = codes.redeem(text, redeemed_by=clerk, location_id=location_id)
        order_ids = list(db.session.scalars(select(Order.id).where(Order.member_id == member.id)))
    parcels = list(
        db.session.scalars(
            select(Fulfilment)
            .where(
                Fulfilment.order_id.in_(order_ids),
                Fulfilment.collect_location_id == location_id,
                Fulfilment.status == "ready",
            )
            .order_by(Fulfilment.id)
        )
    )
    if not parcels:
        raise NotFound("nothing_ready", "Nothing is ready for collection here for this code.")
    return parcels
