"""Returns of goods through any channel: started by the member, received anywhere. Functions flush.

A member starts a return of units of their own paid order within RETURN_DAYS of paying,
to hand in at any store (``store``), to send to the returns warehouse with a printed label
(``mail``) or to be collected in a time window (``pickup``). Its QR holds a token only the
server can make. A clerk at whichever location receives the goods (not necessarily the one
they were sold from) scans it and says per line what is sellable (back in stock at that
location) and what is set aside (quarantine, out of sellable stock). In the same transaction
the money goes back to the way the order was paid and the points follow (``refunds``).
Every change goes through ``move`` and ``TRANSITIONS``; a refusal writes nothing.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.catalog import services as catalog
from app.catalog.models import Location
from app.core.pagination import paginate_desc
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.fulfilment import services as fulfilment
from app.members.models import Member
from app.orders.models import Order, OrderLine
from app.outbox import services as outbox
from app.realtime import queue_event
from app.returns import refunds
from app.returns.models import CHANNELS, TRANSITIONS, Return, ReturnLine
from app.stock import services as stock

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TOKEN_PREFIX = "RT-"
RETURNABLE = ("paid", "partially_refunded")
OPEN = ("requested",)
DESTINATIONS = ("sellable", "quarantine")
# Parcels whose units reached the member.
HANDED_OVER = ("delivered", "collected")
REASON_MAX = 500


def move(ret: Return, status: str) -> Return:
    """Move a return along TRANSITIONS, or refuse."""
    if status not in TRANSITIONS[ret.status]:
        raise Conflict("invalid_transition", f"A return that is {ret.status} cannot become {status}.")
    ret.status = status
    return ret


def get_return(return_id: int) -> Return:
    """A return by id, or 404."""
    ret = db.session.get(Return, return_id)
    if ret is None:
        raise NotFound("return_not_found", f"No return {return_id}.")
    return ret


def get_return_by_number(number: str) -> Return:
    """A return by its number, or 404."""
    ret = db.session.scalar(select(Return).filter_by(number=(number or "").strip().upper()))
    if ret is None:
        raise NotFound("return_not_found", f"No return {number}.")
    return ret


# ---- the QR ----------------------------------------------------------------------------


def token_of(ret: Return) -> str:
    """What the return's QR holds: only the server can make it; the same every time it is shown."""
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"return:{ret.id}:{ret.number}".encode(), "sha256")
    return f"{TOKEN_PREFIX}{ret.number}-{base64.b32encode(mac.digest()[:10]).decode()}"


def qr_text(ret: Return) -> str:
    """The QR's content: a URL in upper case (a small alphanumeric QR) that opens the return."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/').upper()}/R/{token_of(ret)}"


def find_by_token(scanned: str) -> Return:
    """The return whose QR a clerk scanned: the token, or a URL holding it; 404 for anything else."""
    text = (scanned or "").strip().split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].upper()
    number = text.removeprefix(TOKEN_PREFIX).rsplit("-", 1)[0] if text.startswith(TOKEN_PREFIX) else ""
    ret = db.session.scalar(select(Return).filter_by(number=number)) if number else None
    if ret is None or not hmac.compare_digest(token_of(ret), text):
        raise NotFound("return_not_found", "This is not a return code of ours.")
    return ret


def return_warehouse() -> Location | None:
    """Where mail returns are sent: the first warehouse (by id), if there is one."""
    places = [loc for loc in catalog.all_locations() if loc.kind == "warehouse"]
    return min(places, key=lambda loc: loc.id) if places else None


# ---- starting --------------------------------------------------------------------------


def _open_quantities(order: Order) -> dict[int, int]:
    """Units of each order line already in a return that is still open."""
    rows = db.session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order.id, Return.status.in_(OPEN))
        .group_by(ReturnLine.order_line_id)
    ).all()
    return {line_id: int(qty) for line_id, qty in rows}


def in_hand(order: Order) -> dict[int, int]:
    """Units of each line the member has: carried out, or in a parcel delivered or collected.

    Units still on their way (or never collected, then refunded as the parcel expired) cannot be returned.
    """
    got = {line.id: line.quantity for line in order.lines if line.mode == "carry_out"}
    if len(got) < len(order.lines):
        for parcel in fulfilment.parcels_of(order.id):
            if parcel.status in HANDED_OVER:
                for item in parcel.lines:
                    got[item.order_line_id] = got.get(item.order_line_id, 0) + item.quantity
    return got


def returnable(order: Order) -> dict[int, int]:
    """Units of each line that may still be returned: in hand, less returned, less in an open return."""
    open_ = _open_quantities(order)
    have = in_hand(order)
    return {line.id: have.get(line.id, 0) - line.returned_quantity - open_.get(line.id, 0) for line in order.lines}


def _check_order(order: Order, member: Member) -> None:
    if order.member_id is None or order.member_id != member.id:
        # The same answer as an unknown number, so that order numbers cannot be probed.
        raise NotFound("order_not_found", f"No order {order.number}.")
    if order.status not in RETURNABLE:
        raise Conflict(
            "not_returnable", f"Order {order.number} is {order.status.replace('_', ' ')}: nothing to return."
        )
    days = current_app.config["RETURN_DAYS"]
    if order.paid_at is None or utcnow() > order.paid_at + timedelta(days=days):
        raise Conflict(
            "return_window_closed", f"Units can be returned within {days} days of paying; this order is older."
        )


def _wanted(order: Order, lines: list[tuple[int, int]]) -> dict[int, int]:
    """The units asked for per order line, checked against what may still come back."""
    if not lines:
        raise DomainError("no_lines", "Say which units to return.")
    wanted: dict[int, int] = defaultdict(int)
    for line_id, qty in lines:
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise DomainError("invalid_quantity", "Return at least one unit of each line named.")
        wanted[line_id] += qty
    # Lock the order's lines (PostgreSQL) so that two returns started at once cannot both take the last units.
    db.session.scalars(select(OrderLine.id).where(OrderLine.order_id == order.id).with_for_update()).all()
    left = returnable(order)
    for line_id, qty in wanted.items():
        if line_id not in left:
            raise DomainError("unknown_line", f"Line {line_id} is not a line of order {order.number}.", status=422)
        if qty > left[line_id]:
            sent = any(line.id == line_id and line.mode != "carry_out" for line in order.lines)
            later = " Units on their way can be returned once they reach you." if sent else ""
            raise Conflict(
                "too_many_units",
                f"Only {max(left[line_id], 0)} unit(s) of that line can be returned now.{later}",
                details={"line": line_id, "returnable": left[line_id]},
            )
    return dict(wanted)


def _check_pickup(pickup: dict | None) -> tuple[datetime, datetime, str]:
    if not isinstance(pickup, dict):
        raise DomainError("pickup_required", "A pickup needs a time window (from, until) and an address.")
    start, end, address = pickup.get("from"), pickup.get("until"), pickup.get("address")
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise DomainError("pickup_required", "A pickup needs a time window: from and until.")
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    if not start < end:
        raise DomainError("invalid_pickup_window", "The pickup window must end after it starts.")
    if start <= utcnow():
        raise DomainError("invalid_pickup_window", "The pickup window must be in the future.")
    if not isinstance(address, dict) or not str(address.get("line1", "")).strip():
        raise DomainError("pickup_address_required", "A pickup needs the address to collect from.")
    return start.astimezone(UTC), end.astimezone(UTC), json.dumps(address, sort_keys=True)


def _new_number() -> str:
    return "R" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def start_return(
    order: Order,
    member: Member,
    lines: list[tuple[int, int]],
    reason: str,
    channel: str,
    pickup: dict | None = None,
) -> Return:
    """The member asks to return ``(order_line_id, qty)`` units of their paid order through ``channel``."""
    _check_order(order, member)
    if channel not in CHANNELS:
        raise DomainError("invalid_channel", 'channel is one of "store", "mail" or "pickup".')
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError("invalid_reason", f"Say why in at most {REASON_MAX} characters.")
    wanted = _wanted(order, lines)
    start = end = None
    address = ""
    if channel == "pickup":
        start, end, address = _check_pickup(pickup)
    ret = Return(
        number=_new_number(),
        order_id=order.id,
        member_id=member.id,
        channel=channel,
        status="requested",
        reason=reason,
        pickup_address=address,
        pickup_from=start,
        pickup_until=end,
    )
    ret.lines = [ReturnLine(order_line_id=line_id, quantity=qty) for line_id, qty in sorted(wanted.items())]
    db.session.add(ret)
    db.session.flush()
    _record(ret, order, "return.requested")
    return ret


# ---- receiving and refunding -------------------------------------------------------------


def _received(ret: Return, lines: list[tuple[int, int, str]]) -> dict[int, dict[str, int]]:
    """Units per return line and destination, checked against what was asked to come back."""
    by_order_line = {line.order_line_id: line for line in ret.lines}
    counted: dict[int, dict[str, int]] = defaultdict(lambda: {"sellable": 0, "quarantine": 0})
    for line_id, qty, to in lines:
        if line_id not in by_order_line:
            raise DomainError("unknown_line", f"Line {line_id} is not in return {ret.number}.", status=422)
        if to not in DESTINATIONS:
            raise DomainError("invalid_destination", 'Each line goes "sellable" or "quarantine".')
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
            raise DomainError("invalid_quantity", "A received quantity is zero or more.")
        counted[line_id][to] += qty
    for line_id, split in counted.items():
        asked = by_order_line[line_id].quantity
        if split["sellable"] + split["quarantine"] > asked:
            raise Conflict(
                "more_than_requested",
                f"Only {asked} unit(s) of that line were to come back.",
                details={"line": line_id, "requested": asked},
            )
    if not any(sum(split.values()) for split in counted.values()):
        raise DomainError("nothing_received", "Receive at least one unit, or cancel the return.")
    return counted


def _claim(ret: Return) -> None:
    """Take the return at the status we know; two clerks receiving it at once cannot both refund."""
    db.session.flush()
    claimed = db.session.execute(
        update(Return)
        .where(Return.id == ret.id, Return.status == ret.status)
        .values(status=ret.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.refresh(ret)
        raise Conflict("return_changed", f"Return {ret.number} is {ret.status} now; reload it.")


def receive(ret: Return, location: Location, lines: list[tuple[int, int, str]], clerk: str) -> Return:
    """A clerk at ``location`` inspected the goods: sellable units go back in stock there, the rest aside.

    The refund follows in the same step (``refunds``): requested -> received -> refunded.
    """
    if ret.status != "requested":
        move(ret, "received")  # refused with the reason
    counted = _received(ret, lines)
    _claim(ret)
    order = db.session.get(Order, ret.order_id)
    order_lines = {line.id: line for line in order.lines}
    products = catalog.products_by_id({line.product_id for line in order.lines})
    gross = 0
    for line in ret.lines:
        split = counted.get(line.order_line_id, {"sellable": 0, "quarantine": 0})
        line.sellable, line.quarantined = split["sellable"], split["quarantine"]
        units = line.sellable + line.quarantined
        sold = order_lines[line.order_line_id]
        line.refund_amount = sold.unit_price * units
        gross += line.refund_amount
        if units:
            _count_returned(sold, units)
        if line.sellable:
            stock.record_movement(
                products[sold.product_id],
                location,
                "return",
                line.sellable,
                reference=f"return:{ret.number}",
                actor=clerk,
            )
    move(ret, "received")
    ret.received_location_id, ret.received_at, ret.received_by = location.id, utcnow(), clerk[:120]
    db.session.flush()
    _record(ret, order, "return.received")
    return _refund(ret, order, gross, clerk)


def _count_returned(line: OrderLine, units: int) -> None:
    """The order line's returned units go up, never past what was bought."""
    counted = db.session.execute(
        update(OrderLine)
        .where(OrderLine.id == line.id, OrderLine.returned_quantity + units <= OrderLine.quantity)
        .values(returned_quantity=OrderLine.returned_quantity + units)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(line)
    if not counted:
        raise Conflict("too_many_units", "More units would come back than were bought.")


def _refund(ret: Return, order: Order, gross: int, clerk: str) -> Return:
    """The money and points for what came back, then refunded."""
    last_units = all(line.returned_quantity >= line.quantity for line in order.lines)
    settlement = refunds.settle(order, gross, last_units)
    # Each line's share of the money, the last line taking the rounding.
    lines = [line for line in ret.lines if line.refund_amount]
    given = 0
    for i, line in enumerate(lines):
        share = settlement.amount - given if i == len(lines) - 1 else line.refund_amount * settlement.amount // gross
        line.refund_amount, given = share, given + share
    refunds.pay_back(ret, order, settlement)
    move(ret, "refunded")
    ret.refunded_at, ret.refunded_by = utcnow(), clerk[:120]
    db.session.flush()
    _record(
        ret,
        order,
        "return.refunded",
        refund={"amount": ret.refund_amount, "currency": order.currency, "method": order.payment_method},
        points_taken=ret.points_taken,
        points_given=ret.points_given,
    )
    return ret


def cancel_return(ret: Return, member: Member | None = None) -> Return:
    """Give up a return nothing was received for (the member's own, or by staff when ``member`` is None)."""
    if member is not None and ret.member_id != member.id:
        raise NotFound("return_not_found", f"No return {ret.id}.")
    if ret.status != "requested":
        move(ret, "cancelled")  # refused with the reason
    _claim(ret)
    move(ret, "cancelled")
    db.session.flush()
    _record(ret, db.session.get(Order, ret.order_id), "return.cancelled")
    return ret


# ---- reading -----------------------------------------------------------------------------


def returns_of(order: Order) -> list[Return]:
    """An order's returns, oldest first."""
    return list(db.session.scalars(select(Return).where(Return.order_id == order.id).order_by(Return.id)))


def returns_of_member(member_id: int) -> list[Return]:
    """A member's returns, newest first."""
    return list(db.session.scalars(select(Return).where(Return.member_id == member_id).order_by(Return.id.desc())))


def search_returns(
    *,
    status: str | None = None,
    location: Location | None = None,
    member: int | None = None,
    store_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Return], str | None]:
    """Staff: returns by status, receiving location and member, newest first.

    ``store_id``: a clerk of one store sees returns still to receive and those received there.
    """
    query = select(Return)
    if status:
        query = query.where(Return.status == status)
    if location is not None:
        query = query.where(Return.received_location_id == location.id)
    if member is not None:
        query = query.where(Return.member_id == member)
    if store_id is not None:
        query = query.where((Return.status.in_(OPEN)) | (Return.received_location_id == store_id))
    return paginate_desc(query, Return.id, cursor, limit)


def _record(ret: Return, order: Order, event_type: str, **extra) -> None:
    """The return's outbox event, and a live push to its member's phone."""
    ordered = {line.id: line for line in order.lines}
    place = db.session.get(Location, ret.received_location_id) if ret.received_location_id else None
    data = {
        "number": ret.number,
        "order": order.number,
        "channel": ret.channel,
        "status": ret.status,
        "member": ret.member_id,
        "location": place.code if place else None,
        "lines": [
            {
                "sku": ordered[line.order_line_id].sku,
                "quantity": line.quantity,
                "sellable": line.sellable,
                "quarantined": line.quarantined,
            }
            for line in ret.lines
        ],
        **extra,
    }
    outbox.record(event_type, f"return:{ret.number}", data, ret=ret, order=order)
    if ret.member_id is not None:
        live = {"id": ret.id, "number": ret.number, "order": order.number, "status": ret.status}
        queue_event(db.session, "return:updated", live, room=f"member:{ret.member_id}")
