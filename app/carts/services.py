"""Carts: add, change and remove lines, holding their units at the store. Functions flush, callers commit.

A line's units are held (app.stock.reservations) from the moment they are added, so an online
order cannot take them; every change to the cart renews the holds, and a hold that ran out is
taken again on the next change if the units are still there.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.carts.models import TRANSITIONS, Cart, CartLine
from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.extensions import db
from app.money import format_money
from app.realtime import queue_event
from app.stock import reservations
from app.stock import scanning as stock_scanning
from app.stock import services as stock
from app.stock.models import StockReservation

MAX_QUANTITY = 99


def cart_room(cart_id: str) -> str:
    """Every screen showing this cart (kiosk and phone)."""
    return f"cart:{cart_id}"


def hold_ttl() -> timedelta:
    return timedelta(minutes=current_app.config["CART_HOLD_MINUTES"])


# ---- finding and opening carts ---------------------------------------------------------


def get_cart(cart_id: str) -> Cart:
    cart = db.session.get(Cart, cart_id) if isinstance(cart_id, str) and len(cart_id) <= 32 else None
    if cart is None:
        raise NotFound("cart_not_found", "No such cart.")
    return cart


def open_cart_of(*, member_id: int | None = None, kiosk_session_id: int | None = None) -> Cart | None:
    """The open cart of a member, or of an anonymous kiosk session."""
    query = select(Cart).where(Cart.status == "open")
    if member_id is not None:
        query = query.where(Cart.member_id == member_id)
    else:
        query = query.where(Cart.kiosk_session_id == kiosk_session_id, Cart.member_id.is_(None))
    return db.session.scalar(query.order_by(Cart.created_at.desc()).limit(1))


def open_cart(*, member_id: int | None = None, kiosk_session_id: int | None = None) -> Cart:
    """The member's (or kiosk session's) open cart, made if there is none; a guest always gets a new one."""
    if member_id is not None or kiosk_session_id is not None:
        existing = open_cart_of(member_id=member_id, kiosk_session_id=kiosk_session_id)
        if existing is not None:
            return existing
    cart = Cart(id=secrets.token_urlsafe(16), member_id=member_id, kiosk_session_id=kiosk_session_id)
    db.session.add(cart)
    db.session.flush()
    return cart


def check_access(cart: Cart, *, member_id: int | None, kiosk_member_id: int | None, kiosk_session_id: int | None):
    """Refuse a cart that is not the caller's: a member's cart is theirs (and their paired kiosk's)."""
    if cart.member_id is not None:
        if cart.member_id in (member_id, kiosk_member_id):
            return
        raise Forbidden("not_your_cart", "This cart belongs to someone else.")
    if cart.kiosk_session_id is not None and cart.kiosk_session_id != kiosk_session_id:
        raise Forbidden("not_your_cart", "This cart belongs to another kiosk session.")


def move(cart: Cart, status: str) -> None:
    """Move a cart along TRANSITIONS, or refuse."""
    if status not in TRANSITIONS[cart.status]:
        raise Conflict("cart_closed", f"This cart is {cart.status.replace('_', ' ')}; start a new one.")
    cart.status = status


def _writable(cart: Cart) -> None:
    if cart.status != "open":
        raise Conflict("cart_closed", f"This cart is {cart.status.replace('_', ' ')}; start a new one.")


# ---- lines -----------------------------------------------------------------------------


def _quantity(qty) -> int:
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= MAX_QUANTITY:
        raise DomainError("invalid_quantity", f"A quantity is a whole number from 1 to {MAX_QUANTITY}.")
    return qty


def _what(code: str | None, sku: str | None, location_code: str | None) -> tuple[Product, Location]:
    """The product and the store a line is for: a shelf label says both; a barcode or SKU needs the store."""
    if bool(code) == bool(sku):
        raise DomainError("code_or_sku", 'Send either "code" (a scanned label or barcode) or "sku".')
    chosen = catalog.get_location(location_code) if location_code else None
    if sku:
        product = catalog.get_product(sku)
        if chosen is None:
            raise DomainError("missing_location", 'Say which store the units are at: send "location".')
        return product, chosen
    scanned = stock_scanning.resolve_scan(code)
    return scanned.product, stock_scanning.location_for(scanned, chosen)


def add_line(
    cart: Cart,
    *,
    code: str | None = None,
    sku: str | None = None,
    qty: int = 1,
    location: str | None = None,
    online: bool = False,
) -> CartLine:
    """Add units (to the line of that product and store, if there is one) and hold them."""
    _writable(cart)
    qty = _quantity(qty)
    product, place = _what(code, sku, location)
    if not product.active:
        raise Conflict("product_inactive", f"{product.name} is no longer sold.")
    _same_store_and_currency(cart, product, place)
    line = next((x for x in cart.lines if x.product_id == product.id and x.location_id == place.id), None)
    if line is None:
        line = CartLine(product_id=product.id, location_id=place.id, quantity=qty, unit_price=product.price_amount)
        cart.lines.append(line)
        db.session.flush()
        _hold_or_send(cart, line, qty, online)
    else:
        _hold_or_send(cart, line, _quantity(line.quantity + qty), online or line.reservation_id is None)
    changed(cart)
    return line


def _hold_or_send(cart: Cart, line: CartLine, qty: int, online: bool) -> None:
    """Hold the units at the store; a line for an online order may go unheld if others can send them.

    Such a line (shown as not held) is collected or delivered at checkout, from wherever the
    router finds the units then; carried out of this store it would be refused.
    """
    if not online:
        hold_line(cart, line, qty)
        return
    try:
        with db.session.begin_nested():
            hold_line(cart, line, qty)
    except stock.InsufficientStock:
        release_line(line)
        line.quantity = qty
        anywhere = sum(stock.available_by_location({line.product_id}).get(line.product_id, {}).values())
        if anywhere < qty:
            product = db.session.get(Product, line.product_id)
            raise Conflict(
                "insufficient_stock", f"Only {anywhere} of {product.name} can be sent from anywhere.",
            ) from None


def _same_store_and_currency(cart: Cart, product: Product, place: Location) -> None:
    """A basket is carried out of one store, priced in that store's currency."""
    if cart.lines and cart.lines[0].location_id != place.id:
        here = db.session.get(Location, cart.lines[0].location_id)
        raise Conflict(
            "other_store",
            f"This basket is for {here.name}; {product.name} here is at {place.name}. "
            "Pay for or empty this basket first.",
        )
    if not cart.lines:
        cart.currency = place.currency
    if product.currency != cart.currency:
        raise Conflict(
            "currency_mismatch",
            f"{product.name} is priced in {product.currency}; this basket is in {cart.currency}.",
        )


def set_quantity(cart: Cart, line_id: int, qty: int) -> CartLine:
    """Change how many of a line; the hold follows."""
    _writable(cart)
    line = _line(cart, line_id)
    _hold_or_send(cart, line, _quantity(qty), online=line.reservation_id is None)
    changed(cart)
    return line


def remove_line(cart: Cart, line_id: int) -> None:
    """Take a line out; its units go back on the shelf."""
    _writable(cart)
    line = _line(cart, line_id)
    release_line(line)
    cart.lines.remove(line)
    changed(cart)


def _line(cart: Cart, line_id: int) -> CartLine:
    line = next((x for x in cart.lines if x.id == line_id), None)
    if line is None:
        raise NotFound("line_not_found", f"This cart has no line {line_id}.")
    return line


def hold_line(cart: Cart, line: CartLine, qty: int) -> None:
    """Hold ``qty`` units for the line in place of what it held (one transaction: all or nothing)."""
    release_line(line)
    product = db.session.get(Product, line.product_id)
    place = db.session.get(Location, line.location_id)
    reservation = reservations.hold(product, place, qty, reference=f"cart:{cart.id}", ttl=hold_ttl())
    line.quantity, line.reservation_id = qty, reservation.id


def release_line(line: CartLine) -> None:
    reservation = db.session.get(StockReservation, line.reservation_id) if line.reservation_id else None
    if reservation is not None and reservation.status == "active":
        reservations.release(reservation)
    line.reservation_id = None


def renew_holds(cart: Cart) -> int:
    """The shopper is still here: every active hold of the cart lasts another hold period."""
    ids = [line.reservation_id for line in cart.lines if line.reservation_id]
    if not ids or cart.status != "open":
        return 0
    return db.session.execute(
        update(StockReservation)
        .where(StockReservation.id.in_(ids), StockReservation.status == "active")
        .values(expires_at=utcnow() + hold_ttl())
        .execution_options(synchronize_session=False)
    ).rowcount


def changed(cart: Cart) -> None:
    """The cart changed: a new version, holds renewed, and every screen showing it told."""
    cart.version += 1
    cart.updated_at = utcnow()
    renew_holds(cart)
    db.session.flush()
    queue_event(db.session, "cart:updated", cart_json(cart), room=cart_room(cart.id))


# ---- one basket from kiosk to phone ----------------------------------------------------


def merge_into_member(kiosk_session_id: int, member_id: int, location_id: int | None = None) -> Cart | None:
    """The kiosk session's anonymous cart joins the member's (its holds move with its lines).

    ``location_id`` is the kiosk's store: the member is there now, so lines their basket holds
    from another store leave it (their units go back) and are named in ``cart:merged``.
    """
    anonymous = open_cart_of(kiosk_session_id=kiosk_session_id)
    existing = open_cart_of(member_id=member_id)
    left_out = _leave_other_store(existing, location_id) if existing is not None and location_id else []
    if left_out:
        changed(existing)
    if anonymous is None:
        return None
    target = existing or open_cart(member_id=member_id)
    if not target.lines:
        target.currency = anonymous.currency
    for line in list(anonymous.lines):
        same = next(
            (x for x in target.lines if x.product_id == line.product_id and x.location_id == line.location_id), None
        )
        anonymous.lines.remove(line)
        if same is None:
            target.lines.append(
                CartLine(
                    product_id=line.product_id,
                    location_id=line.location_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    reservation_id=line.reservation_id,
                )
            )
        else:
            db.session.flush()
            release_line(line)
            hold_line(target, same, min(MAX_QUANTITY, same.quantity + line.quantity))
    move(anonymous, "merged")
    anonymous.merged_into = target.id
    target.kiosk_session_id = kiosk_session_id
    changed(target)
    merged = {"cart": anonymous.id, "into": target.id, "left_out": left_out}
    queue_event(db.session, "cart:merged", merged, room=cart_room(anonymous.id))
    return target


def _leave_other_store(target: Cart, here: int) -> list[dict]:
    """The member is at store ``here`` now: lines of another store leave their basket (units back).

    A basket is carried out of one store; what was put in it elsewhere would block the exit
    pass here, so those lines go (and are named, for the screens to say so).
    """
    gone = [line for line in target.lines if line.location_id != here]
    if not gone:
        return []
    shown = {x["id"]: x for x in cart_json(target)["lines"]}
    for line in gone:
        release_line(line)
        target.lines.remove(line)
    return [{"sku": shown[x.id]["sku"], "name": shown[x.id]["name"], "location": shown[x.id]["location"]} for x in gone]


def adopt_guest_cart(guest: Cart, member_id: int) -> tuple[Cart, list[str], list[dict]]:
    """A guest who signed in: each line moves to the member's cart (held again there); what cannot be is left out."""
    target = open_cart(member_id=member_id)
    moved, left_out = [], []
    for line in cart_json(guest)["lines"]:
        try:
            with db.session.begin_nested():
                remove_line(guest, line["id"])
                add_line(target, sku=line["sku"], location=line["location"], qty=line["qty"])
            moved.append(line["name"])
        except DomainError as refused:  # sold out since, no longer sold, too many
            left_out.append({"name": line["name"], "message": refused.message})
    for line in list(guest.lines):
        remove_line(guest, line.id)  # what could not move goes back on the shelf
    move(guest, "merged")
    guest.merged_into = target.id
    changed(target)  # the last word for every screen showing the member's basket
    queue_event(db.session, "cart:merged", {"cart": guest.id, "into": target.id}, room=cart_room(guest.id))
    return target, moved, left_out


# ---- how a cart looks ------------------------------------------------------------------


def cart_json(cart: Cart) -> dict:
    """A cart as phones, kiosks and the API show it."""
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({x.product_id for x in cart.lines})))
    }
    places = {
        p.id: p
        for p in db.session.scalars(select(Location).where(Location.id.in_({x.location_id for x in cart.lines})))
    }
    held = {
        r.id: r
        for r in db.session.scalars(
            select(StockReservation).where(StockReservation.id.in_({x.reservation_id for x in cart.lines}))
        )
    }
    lines = []
    for line in cart.lines:
        product, place, hold = products[line.product_id], places[line.location_id], held.get(line.reservation_id)
        active = hold is not None and hold.status == "active" and hold.expires_at > utcnow()
        lines.append(
            {
                "id": line.id,
                "sku": product.sku,
                "name": product.name,
                "image": product.image,
                "location": place.code,
                "qty": line.quantity,
                "unit_price": line.unit_price,
                "price": format_money(line.unit_price, product.currency),
                "line_total": line.unit_price * line.quantity,
                "held": active,
                "held_until": hold.expires_at.isoformat() if active else None,
                # Added for an order from anywhere while the store had none: collected or delivered.
                "online": line.reservation_id is None,
            }
        )
    total = sum(x["line_total"] for x in lines)
    return {
        "id": cart.id,
        "status": cart.status,
        "member": cart.member_id,
        "version": cart.version,
        "currency": cart.currency,
        "lines": lines,
        "total": total,
        "total_text": format_money(total, cart.currency),
        "items": sum(x["qty"] for x in lines),
    }
