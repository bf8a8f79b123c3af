"""What a shopper may rate, read through its own domain: who it served, where, how, and by whom.

A subject is rated once it is over: an order once paid, a parcel once delivered or collected,
a return once received, a help request once answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import DomainError, NotFound
from app.fulfilment import services as fulfilment
from app.orders import services as orders
from app.orders.models import PAID
from app.returns import services as returns
from app.service import services as service


@dataclass(frozen=True)
class Subject:
    kind: str
    id: int
    # How the shopper's pages name it: an order or return number, a parcel's or help request's id.
    ref: str
    title: str
    location_id: int
    channel: str
    clerk: str
    member_id: int | None
    # A guest's: the phone's shopper session (help), or the order number their browser keeps.
    shopper_session: str | None
    over: bool


def _order(ref: str) -> Subject:
    order = orders.get_order(ref)
    return Subject(
        "order",
        order.id,
        order.number,
        f"Order {order.number}",
        order.location_id,
        order.channel,
        "",
        order.member_id,
        None,
        order.status in PAID,
    )


def _parcel(ref: str) -> Subject:
    parcel = fulfilment.get_parcel(_number(ref, "parcel"))
    order = orders.order_of_parcel(parcel)
    where = parcel.collect_location_id if parcel.mode == "collect" else parcel.source_location_id
    title = ("Collection" if parcel.mode == "collect" else "Delivery") + f" of order {order.number}"
    return Subject(
        "parcel",
        parcel.id,
        str(parcel.id),
        title,
        where or order.location_id,
        parcel.mode,
        parcel.handled_by,
        order.member_id,
        None,
        parcel.status in ("collected", "delivered"),
    )


def _return(ref: str) -> Subject:
    ret = returns.get_return_by_number(ref)
    # Only a received return may be rated, and it was received somewhere.
    return Subject(
        "return",
        ret.id,
        ret.number,
        f"Return {ret.number}",
        ret.received_location_id or 0,
        ret.channel,
        ret.received_by,
        ret.member_id,
        None,
        ret.status in ("received", "refunded"),
    )


def _help(ref: str) -> Subject:
    help_request = service.get_request(_number(ref, "help_request"))
    clerk = help_request.answered_by or help_request.claimed_by or ""
    return Subject(
        "help",
        help_request.id,
        str(help_request.id),
        f"Help at {help_request.location.name}",
        help_request.location_id,
        "kiosk" if help_request.device_id else "phone",
        clerk,
        help_request.member_id,
        help_request.shopper_session,
        help_request.status in ("answered", "closed"),
    )


def _number(ref: str, what: str) -> int:
    if not ref.isdigit() or len(ref) > 12:
        raise NotFound(f"{what}_not_found", f"No {what.replace('_', ' ')} {ref}.")
    return int(ref)


RESOLVERS = {"order": _order, "parcel": _parcel, "return": _return, "help": _help}


def subject_of(kind: str, ref: str) -> Subject:
    """The subject ``kind`` names ``ref`` (an order number, a parcel id ...), or 404."""
    resolve = RESOLVERS.get(kind)
    if resolve is None:
        raise DomainError("invalid_subject", f"Feedback is about one of: {', '.join(RESOLVERS)}.")
    return resolve(str(ref or "").strip())
