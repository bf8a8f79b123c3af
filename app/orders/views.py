"""How an order looks to its shopper, to staff and to the API."""

from __future__ import annotations

from app.catalog import services as catalog
from app.extensions import db
from app.fulfilment import services as fulfilment
from app.money import format_money
from app.orders import passes, taxes
from app.orders.models import Order
from app.payments import services as payments


def order_json(order: Order, *, with_pass: bool = True) -> dict:
    """An order; ``with_pass`` adds the exit pass token (for its shopper only)."""
    payment = payments.get_payment(order.payment_id) if order.payment_id else None
    exit_pass = passes.pass_of(order) if with_pass else None
    parcels = fulfilment.parcels_of(order.id)
    wanted = {order.location_id, *(line.location_id for line in order.lines)}
    wanted |= {x for p in parcels for x in (p.source_location_id, p.collect_location_id) if x}
    found = catalog.locations_by_id(wanted)
    places = {place_id: place.code for place_id, place in found.items()}
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "location": places.get(order.location_id),
        "member": order.member_id,
        "lines": [
            {
                "id": line.id,
                "mode": line.mode,
                "sku": line.sku,
                "name": line.name,
                "qty": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
                "location": places.get(line.location_id),
                "tax_rate": line.tax_rate,
                "tax_amount": line.tax_amount,
            }
            for line in order.lines
        ],
        "tax": taxes.by_rate(order),
        "tax_total": taxes.total_tax(order),
        "currency": order.currency,
        "subtotal": order.subtotal,
        "discount": order.discount,
        "total": order.total,
        "total_text": format_money(order.total, order.currency),
        "refunded_amount": order.refunded_amount,
        "points_redeemed": order.points_redeemed,
        "points_earned": order.points_earned,
        "payment": {
            "method": order.payment_method,
            "status": payment.status if payment else None,
            "card_last4": payment.card_last4 if payment else None,
        },
        "exit_pass": (
            {"token": passes.token_of(order), "used_at": exit_pass.used_at} if exit_pass is not None else None
        ),
        "fulfilments": [fulfilment.parcel_json(p, found) for p in parcels],
        "created_at": order.created_at,
        "paid_at": order.paid_at,
    }


def next_steps(parcel) -> list[str]:
    """What a clerk may do with a parcel now."""
    here = parcel.collect_location_id == parcel.source_location_id
    left = sum(line.quantity - line.picked for line in parcel.lines)
    return {
        "open": ["pick"],
        "picking": ["pick"] if left else ["pack"],
        "packed": ["ready"] if parcel.mode == "collect" and here else ["ship"],
        "shipped": ["ready"] if parcel.mode == "collect" else ["delivered"],
        "ready": ["collect"],
    }.get(parcel.status, [])


def parcels_for_staff(parcels: list) -> list[dict]:
    """Parcels as a clerk sees them: the order, what to pick (by name), and the next steps."""
    from sqlalchemy import select

    from app.members.models import Member
    from app.orders.models import OrderLine

    if not parcels:
        return []
    places = catalog.locations_by_id({x for p in parcels for x in (p.source_location_id, p.collect_location_id) if x})
    orders = {o.id: o for o in db.session.scalars(select(Order).where(Order.id.in_({p.order_id for p in parcels})))}
    line_ids = {line.order_line_id for p in parcels for line in p.lines}
    sold = {x.id: x for x in db.session.scalars(select(OrderLine).where(OrderLine.id.in_(line_ids)))}
    member_ids = {o.member_id for o in orders.values() if o.member_id}
    names = dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids))).all())
    shown = []
    for parcel in parcels:
        order = orders[parcel.order_id]
        item = fulfilment.parcel_json(parcel, places)
        for line in item["lines"]:
            line["sku"], line["name"] = sold[line["line"]].sku, sold[line["line"]].name
        item |= {"order": order.number, "member_name": names.get(order.member_id), "next": next_steps(parcel)}
        shown.append(item)
    return shown
