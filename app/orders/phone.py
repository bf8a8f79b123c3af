"""The shopper's pages on the phone: basket, checkout, receipt with the exit pass, my orders, wallet.

The pages read through the services; what changes (lines, paying, topping up) goes through
the JSON API from the page's script, so the rules are the API's.

A guest's basket: the page script keeps the guest cart's id in the ``oneshelf_cart`` cookie
(the id is the key to the cart). Once the shopper signs in, the basket page moves that cart's
lines into the member's cart (``adopt_guest_basket``): nothing added as a guest is lost.

A guest's receipt: a guest order has no member, so its receipt is shown to the browser that
still holds the order's cart id (it does right after paying), and that browser remembers the
number in the signed ``oneshelf_receipts`` cookie. That cookie is kept apart from the session,
which is cleared on signing in, so a guest who joins afterwards still sees the receipt. Anyone
else gets a 404, as for an order that does not exist.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from babel.numbers import get_currency_precision, get_currency_symbol
from flask import current_app, g, jsonify, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from app.carts import services as carts
from app.carts.models import Cart
from app.catalog import services as catalog
from app.errors import NotFound
from app.members.auth import NotSignedIn, current_member, member_page
from app.money import format_money
from app.orders import bp, invoices, passes, services, views
from app.orders.models import Order
from app.payments import services as payments
from app.payments import wallet
from app.payments.models import WalletEntry
from app.transaction import writes

GUEST_CART_COOKIE = "oneshelf_cart"
RECEIPTS_COOKIE = "oneshelf_receipts"
RECEIPTS_KEPT = 20
PAGE_SIZE = 20


# ---- which basket is this phone's ------------------------------------------------------


def guest_cart() -> Cart | None:
    """The open guest cart this browser remembers, if there is one."""
    cart_id = request.cookies.get(GUEST_CART_COOKIE)
    if not cart_id:
        return None
    try:
        cart = carts.get_cart(cart_id)
    except NotFound:
        return None
    if cart.member_id is not None or cart.kiosk_session_id is not None or cart.status != "open":
        return None
    return cart


def _places() -> dict[str, dict]:
    return {loc.code: {"name": loc.name, "timezone": loc.timezone, "kind": loc.kind} for loc in catalog.all_locations()}


def _shop_timezone() -> str:
    """The time zone times without a store (wallet entries) are shown in: the first store's."""
    return next((loc.timezone for loc in catalog.all_locations() if loc.kind == "store"), "UTC")


def _local_next() -> str | None:
    target = request.args.get("next") or ""
    # Browsers read "/\host" as "//host": a backslash or a control character is never ours.
    plain = "\\" not in target and target.isprintable()
    if plain and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return None


@bp.get("/basket")
def basket_page():
    """This phone's basket (the member's, or the guest's), live, with checkout."""
    member = current_member()
    guest = guest_cart()
    cart = carts.open_cart_of(member_id=member.id) if member else guest
    account = wallet.wallet_of(member.id, create=False) if member else None
    currency = account.currency if account else current_app.config["DEFAULT_CURRENCY"]
    response = current_app.make_response(
        render_template(
            "orders/phone/basket.html",
            member=member,
            cart=carts.cart_json(cart) if cart is not None else None,
            adopt=guest.id if member and guest is not None and guest.lines else None,
            places=_places(),
            wallet_balance=account.balance if account else 0,
            wallet_text=format_money(account.balance if account else 0, currency),
            currency=currency,
            point_value=current_app.config["POINT_VALUE"],
            point_text=format_money(current_app.config["POINT_VALUE"], currency),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    if request.cookies.get(GUEST_CART_COOKIE) and guest is None:
        response.delete_cookie(GUEST_CART_COOKIE, path="/")  # paid, merged or gone: start afresh
    return response


@bp.post("/basket/adopt")
@writes
def adopt_guest_basket():
    """Signed in on this phone: what was put in the basket as a guest joins the member's basket."""
    member = current_member()
    if member is None:
        raise NotSignedIn("not_signed_in", "Sign in first.")
    guest = guest_cart()
    target, moved, left_out = None, [], []
    if guest is not None:
        target, moved, left_out = carts.adopt_guest_cart(guest, member.id)
    response = jsonify(
        {"moved": moved, "left_out": left_out, "cart": carts.cart_json(target) if target is not None else None}
    )
    response.delete_cookie(GUEST_CART_COOKIE, path="/")
    return response


# ---- receipts --------------------------------------------------------------------------


def _receipt_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="guest-receipts")


def guest_receipts() -> list[str]:
    """The guest order numbers this browser may see again."""
    raw = request.cookies.get(RECEIPTS_COOKIE)
    try:
        numbers = _receipt_signer().loads(raw) if raw else []
    except BadSignature:
        return []
    return [n for n in numbers if isinstance(n, str)] if isinstance(numbers, list) else []


def _may_see(order: Order) -> bool:
    """Its member; for a guest order, the browser that made it."""
    if order.member_id is not None:
        member = current_member()
        return member is not None and member.id == order.member_id
    return order.number in guest_receipts() or request.cookies.get(GUEST_CART_COOKIE) == order.cart_id


def _not_found(number: str):
    return render_template("orders/phone/not_found.html", number=number), 404


@bp.get("/orders/<number>")
def receipt_page(number: str):
    """The receipt: what was bought and how it was paid, with the exit pass (or the counter code)."""
    try:
        order = services.get_order(number)
    except NotFound:
        return _not_found(number)
    if not _may_see(order):
        return _not_found(number)
    data = views.order_json(order)
    response = current_app.make_response(
        render_template(
            "orders/phone/receipt.html",
            order=data,
            cart_id=order.cart_id,
            place=catalog.get_location(data["location"]),
            money=lambda amount: format_money(amount, data["currency"]),
            line_names={line["id"]: line["name"] for line in data["lines"]},
            invoice=invoices.request_of(order),
            invoice_form=g.get("invoice_form") or {},
        )
    )
    response.headers["Cache-Control"] = "no-store"
    kept = guest_receipts()
    if order.member_id is None and order.number not in kept:
        kept = [order.number, *kept][:RECEIPTS_KEPT]
        response.set_cookie(
            RECEIPTS_COOKIE,
            _receipt_signer().dumps(kept),
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.get("/orders/<number>/status")
def receipt_status(number: str):
    """Where the order stands, for its open receipt to notice a change it was not told of (the pass used)."""
    order = services.get_order(number)
    if not _may_see(order):
        raise NotFound("order_not_found", f"No order {number}.")
    exit_pass = passes.pass_of(order)
    return {"status": order.status, "exit_pass_used": exit_pass is not None and exit_pass.used_at is not None}


@bp.get("/orders")
@member_page
def my_orders_page():
    """My orders from every channel (phone, kiosk), newest first."""
    member = current_member()
    rows, cursor = services.orders_of_member(member.id, request.args.get("cursor"), PAGE_SIZE)
    places = {loc.code: loc for loc in catalog.all_locations()}
    orders = [views.order_json(order, with_pass=False) for order in rows]
    return render_template("orders/phone/orders.html", orders=orders, places=places, next_cursor=cursor)


# ---- wallet ----------------------------------------------------------------------------


def _entry_row(entry: WalletEntry, currency: str) -> dict:
    """A wallet entry for people: what it was, the order it was for (if any), in or out."""
    reference = payments.get_payment(entry.payment_id).reference if entry.payment_id else ""
    number = reference.removeprefix("order-") if reference.startswith("order-") else None
    if entry.kind == "topup":
        text = "Top-up"
    elif entry.kind == "payment":
        text = f"Order {number}" if number else "Payment"
    else:
        text = f"Refund of order {number}" if number else "Refund"
    return {
        "text": text,
        "order": number,
        "amount": format_money(entry.amount, currency),
        "in": entry.amount > 0,
        "balance_after": format_money(entry.balance_after, currency),
        "at": entry.created_at,
    }


@bp.get("/account/wallet")
@member_page
def wallet_page():
    """The member's wallet: balance, recent entries, and topping it up from a card."""
    member = current_member()
    account = wallet.wallet_of(member.id, create=False)
    currency = account.currency if account else current_app.config["DEFAULT_CURRENCY"]
    entries, cursor = wallet.wallet_history(member.id, request.args.get("cursor"), PAGE_SIZE)
    return render_template(
        "orders/phone/wallet.html",
        balance=format_money(account.balance if account else 0, currency),
        currency=currency,
        digits=get_currency_precision(currency),
        symbol=get_currency_symbol(currency, locale="en"),
        entries=[_entry_row(entry, currency) for entry in entries],
        next_cursor=cursor,
        timezone=_shop_timezone(),
        back=_local_next(),
        topups_url=url_for("payments_api.create_top_up"),
    )
