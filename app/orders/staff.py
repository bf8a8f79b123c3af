"""Staff pages: orders (search, detail), taking payment at the counter, checking exit passes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import local_time
from app.catalog import services as catalog
from app.catalog.models import Location
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.extensions import db
from app.members import services as members
from app.members.models import Member
from app.money import format_money, parse_amount
from app.orders import bp, invoices, passes, services, taxes
from app.orders.models import TRANSITIONS, Order
from app.payments import services as payments
from app.payments.models import PaymentRefund
from app.staff.auth import staff_page
from app.transaction import writes

PAGE_SIZE = 50
FILTERS = ("number", "member", "status", "store", "from", "to")
# Where refunded money goes, by the way the order was paid.
REFUND_HOW = {
    "wallet": "It goes back to the member's wallet.",
    "card": "It goes back to the card it was paid with.",
    "counter": "Hand it back at the counter.",
}


def _my_store_id() -> int | None:
    """The one store a clerk works at; None for admins and clerks of every store."""
    return current_user.location_id if current_user.role == "clerk" else None


def _order_for_me(number: str) -> Order:
    """The order, if this staff user may see it (a clerk: one of their own store)."""
    order = services.get_order(number)
    store_id = _my_store_id()
    if store_id is not None and order.location_id != store_id:
        place = db.session.get(Location, order.location_id)
        raise Forbidden("other_store", f"Order {order.number} was bought at {place.name}, not at your store.")
    return order


def _number_from(scanned: str) -> str:
    """An order number as typed or scanned: the code itself, or a URL that ends in it."""
    return scanned.strip().split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].strip().upper()


# ---- searching -------------------------------------------------------------------------


def _member_id(text: str) -> int:
    """The member named by id (#12), e-mail or phone number."""
    digits = text.lstrip("#")
    if digits.isdigit() and len(digits) <= 9:  # phone numbers are longer than any member id
        return members.get_member(int(digits)).id
    member = members.find_by_identifier(members.guess_kind(text), text)
    if member is None:
        raise NotFound("member_not_found", f"No member has {text}.")
    return member.id


def _day_start(text: str, zone: ZoneInfo, day_after: bool = False) -> datetime:
    """The first moment of a local date (or of the day after it), in UTC."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_date", f"{text!r} is not a date (like 2025-03-31).") from None
    return datetime.combine(day + timedelta(days=int(day_after)), time.min, zone).astimezone(UTC)


def _zone_of(store: Location | None, locations: list[Location]) -> ZoneInfo:
    """Dates are the store's; for every store, the stores' own zone when they share one, else UTC."""
    if store is not None:
        return ZoneInfo(store.timezone)
    zones = {loc.timezone for loc in locations if loc.kind == "store"}
    return ZoneInfo(zones.pop() if len(zones) == 1 else "UTC")


def _search(filters: dict[str, str], store: Location | None, zone: ZoneInfo) -> tuple[list[Order], str | None]:
    """The orders the filled-in filters ask for, a page of them."""
    if filters["status"] and filters["status"] not in TRANSITIONS:
        raise DomainError("invalid_status", f"No order status {filters['status']!r}.")
    since = _day_start(filters["from"], zone) if filters["from"] else None
    until = _day_start(filters["to"], zone, day_after=True) if filters["to"] else None
    if since and until and since >= until:
        raise DomainError("invalid_dates", "The first day comes after the last one.")
    return services.search_orders(
        member_id=_member_id(filters["member"]) if filters["member"] else None,
        q=filters["number"] or None,
        status=filters["status"] or None,
        since=since,
        until=until,
        store_id=store.id if store else None,
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
    )


@bp.get("/staff/orders")
@staff_page()
def staff_orders():
    """Orders by number (or its start), member, status, store and the store's dates, newest first."""
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    locations = catalog.all_locations()
    places = {loc.id: loc for loc in locations}
    store_id = _my_store_id()
    my_store = places[store_id] if store_id else None
    orders: list[Order] = []
    cursor = None
    try:
        store = my_store or (catalog.get_location(filters["store"]) if filters["store"] else None)
        zone = _zone_of(store, locations)
        orders, cursor = _search(filters, store, zone)
    except DomainError as error:
        flash(error.message, "error")
        zone = _zone_of(my_store, locations)
    shown = {name: value for name, value in filters.items() if value}
    return render_template(
        "orders/staff/list.html",
        orders=orders,
        filters=filters,
        next_url=url_for("orders.staff_orders", **shown, cursor=cursor) if cursor else None,
        first_url=url_for("orders.staff_orders", **shown) if request.args.get("cursor") else None,
        places=places,
        locations=locations,
        my_store=my_store,
        zone=zone.key,
        statuses=TRANSITIONS,
        member_names=_member_names({o.member_id for o in orders if o.member_id is not None}),
        money=format_money,
    )


def _member_names(ids: set[int]) -> dict[int, str]:
    # Names only, for the list: the members domain has no lookup of many members by id.
    if not ids:
        return {}
    return {m.id: m.name for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}


@bp.get("/staff/orders/open")
@staff_page()
def open_order():
    """The counter: the order number typed, or scanned off the shopper's phone, opens that order."""
    number = _number_from(request.args.get("number", ""))
    if not number:
        flash("Type or scan the order number on the shopper's phone.", "error")
        return redirect(url_for("orders.staff_orders"))
    try:
        order = _order_for_me(number)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("orders.staff_orders", counter=number))
    return redirect(url_for("orders.staff_order", number=order.number))


# ---- one order -------------------------------------------------------------------------


def _taken_at_counter(provider_ref: str | None) -> str | None:
    """ "cash, by Ada" for a counter payment a clerk confirmed (its provider reference says so)."""
    if not provider_ref or not provider_ref.startswith("counter:"):
        return None
    _, how, clerk = provider_ref.split(":", 2)
    return f"{how}, by {clerk}"


def _refunds_of(payment_id: int | None) -> list[PaymentRefund]:
    # Read-only listing; the payments domain offers refunding, not a list of refunds.
    if payment_id is None:
        return []
    return list(db.session.scalars(select(PaymentRefund).filter_by(payment_id=payment_id).order_by(PaymentRefund.id)))


@bp.get("/staff/orders/<number>")
@staff_page()
def staff_order(number: str):
    """One order: lines, totals, payment, points, refunds and exit pass; the counter and refund buttons."""
    order = _order_for_me(number)
    payment = payments.get_payment(order.payment_id) if order.payment_id else None
    return render_template(
        "orders/staff/order.html",
        order=order,
        place=db.session.get(Location, order.location_id),
        member=members.get_member(order.member_id) if order.member_id is not None else None,
        payment=payment,
        taken=_taken_at_counter(payment.provider_ref if payment else None),
        refunds=_refunds_of(order.payment_id),
        exit_pass=passes.pass_of(order),
        money=lambda amount: format_money(amount, order.currency),
        refundable=order.total - order.refunded_amount,
        refund_how=REFUND_HOW.get(order.payment_method, ""),
        tax_rows=taxes.by_rate(order),
        tax_total=taxes.total_tax(order),
        invoice=invoices.request_of(order),
    )


@bp.post("/staff/orders/<number>/counter-payment")
@writes
@staff_page()
def take_counter_payment(number: str):
    """The clerk took the money at the counter, in cash or by card: the order is paid."""
    order = _order_for_me(number)
    how = request.form.get("how", "")
    try:
        services.confirm_at_counter(order, how, current_user.name)
        flash(
            f"Paid: {format_money(order.total, order.currency)} by {how}. The exit pass is on the shopper's phone.",
            "info",
        )
    except DomainError as error:
        db.session.rollback()  # the answer is a redirect, which the door would commit
        flash(error.message, "error")
    return redirect(url_for("orders.staff_order", number=order.number))


def _refund_amount(order: Order) -> int | None:
    """The amount asked for in the form, in minor units; None: all that is left."""
    if request.form.get("what") != "amount":
        return None
    text = request.form.get("amount", "").strip()
    try:
        amount = parse_amount(text, order.currency) if text else 0
    except DomainError:
        raise DomainError("invalid_amount", f"{text!r} is not an amount of money (like 12.50).") from None
    left = order.total - order.refunded_amount
    if not 0 < amount <= left:
        raise DomainError("invalid_refund", f"Refund an amount up to {format_money(left, order.currency)}.")
    return amount


@bp.post("/staff/orders/<number>/refunds")
@writes
@staff_page("admin")
def refund_order(number: str):
    """An admin gives money back to the way it was paid: all that is left, or an amount."""
    order = _order_for_me(number)
    before = order.refunded_amount
    try:
        services.refund_order(order, _refund_amount(order))
        given = format_money(order.refunded_amount - before, order.currency)
        flash(f"Refunded {given}. {REFUND_HOW.get(order.payment_method, '')}", "info")
    except DomainError as error:
        db.session.rollback()  # the answer is a redirect, which the door would commit
        flash(error.message, "error")
    return redirect(url_for("orders.staff_order", number=order.number))


# ---- the exit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExitVerdict:
    """What the clerk at the door is told after a scan."""

    kind: str  # "ok", "used", "unknown" or "refused"
    headline: str
    detail: str = ""
    order: Order | None = None
    place: Location | None = None
    check_basket: bool = False

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.order.lines) if self.order else 0


def _when_used(at: datetime, place: Location) -> str:
    """14:35 today, or with the date on another day (the store's clock)."""
    today = local_time(datetime.now(UTC), place.timezone, "%Y-%m-%d")
    fmt = "%H:%M" if local_time(at, place.timezone, "%Y-%m-%d") == today else "%Y-%m-%d %H:%M"
    return local_time(at, place.timezone, fmt)


def _check_exit(code: str) -> tuple[ExitVerdict, int]:
    """Use the exit pass a clerk scanned, once; what to tell them and the HTTP status."""
    if not code:
        return ExitVerdict("refused", "Nothing scanned", "Scan the QR code on the shopper's phone."), 422
    try:
        exit_pass, order = passes.find(code)
    except NotFound:
        return ExitVerdict("unknown", "Not an exit pass of ours", "Ask to see the receipt on the phone."), 404
    place = db.session.get(Location, order.location_id)
    store_id = _my_store_id()
    if store_id is not None and order.location_id != store_id:
        detail = f"Order {order.number} was bought at {place.name}; this pass lets it out of that store only."
        return ExitVerdict("refused", "Bought at another store", detail), 403
    try:
        exit_pass, order = passes.use(code, current_user.name)
    except Conflict as error:
        db.session.rollback()  # read the pass as it was committed; the 409 writes nothing anyway
        if error.code != "exit_pass_used":
            return ExitVerdict("refused", "Do not let out", error.message), 409
        exit_pass, order = passes.find(code)
        headline = f"Already used at {_when_used(exit_pass.used_at, place)} by {exit_pass.used_by}"
        return ExitVerdict("used", headline, f"Order {order.number}. Ask for the receipt."), 409
    return ExitVerdict("ok", "OK — let them out", "", order, place, exit_pass.check_basket), 200


@bp.get("/staff/exit")
@staff_page()
def exit_check():
    """The door: scan the exit pass on the shopper's phone (camera, hand scanner or typed)."""
    return render_template("orders/staff/exit.html", verdict=None)


@bp.post("/staff/exit")
@writes
@staff_page()
def use_exit_pass():
    """A scanned exit pass: "let them out" with what was bought, or why not (a second scan is refused).

    With ``?part=result`` only the verdict is answered, for the page to show without reloading.
    """
    verdict, status = _check_exit(request.form.get("code", "").strip())
    if request.args.get("part") == "result":
        part = render_template("orders/staff/_exit_result.html", verdict=verdict)
        return part, status, {"X-Exit-Verdict": verdict.kind}
    return render_template("orders/staff/exit.html", verdict=verdict), status
