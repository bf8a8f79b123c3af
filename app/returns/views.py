"""How a return looks to its member, to staff and to the API."""

from __future__ import annotations

import json

from flask import url_for

from app.catalog import services as catalog
from app.extensions import db
from app.money import format_money
from app.orders.models import Order
from app.returns import services
from app.returns.models import Return
from app.returns.refunds import REFUND_HOW


def _pickup(ret: Return) -> dict | None:
    if ret.channel != "pickup":
        return None
    return {"from": ret.pickup_from, "until": ret.pickup_until, "address": json.loads(ret.pickup_address or "{}")}


def return_json(ret: Return, *, with_qr: bool = True) -> dict:
    """A return; ``with_qr`` adds its QR token (for its member and staff)."""
    order = db.session.get(Order, ret.order_id)
    sold = {line.id: line for line in order.lines}
    where = ret.received_location_id
    place = catalog.locations_by_id({where}).get(where) if where else None
    token = services.token_of(ret) if with_qr else None
    warehouse = services.return_warehouse() if ret.channel == "mail" else None
    return {
        "id": ret.id,
        "number": ret.number,
        "order": order.number,
        "member": ret.member_id,
        "channel": ret.channel,
        "status": ret.status,
        "reason": ret.reason,
        "currency": order.currency,
        "lines": [
            {
                "line": line.order_line_id,
                "sku": sold[line.order_line_id].sku,
                "name": sold[line.order_line_id].name,
                "qty": line.quantity,
                "unit_price": sold[line.order_line_id].unit_price,
                "sellable": line.sellable,
                "quarantined": line.quarantined,
                "refund_amount": line.refund_amount,
            }
            for line in ret.lines
        ],
        "pickup": _pickup(ret),
        "qr": (
            {
                "token": token,
                "text": services.qr_text(ret),
                "svg_url": url_for("returns.qr_image", token=token, _external=True),
            }
            if token
            else None
        ),
        "label_url": (
            url_for("returns.label_pdf", number=ret.number, _external=True) if ret.channel == "mail" else None
        ),
        "send_to": (
            {"code": warehouse.code, "name": warehouse.name, "address": warehouse.address} if warehouse else None
        ),
        "received": (
            {"location": place.code, "at": ret.received_at, "by": ret.received_by} if place is not None else None
        ),
        "refund": (
            {
                "amount": ret.refund_amount,
                "text": format_money(ret.refund_amount, order.currency),
                "method": order.payment_method,
                "how": REFUND_HOW.get(order.payment_method, ""),
                "at": ret.refunded_at,
                "by": ret.refunded_by,
            }
            if ret.status == "refunded"
            else None
        ),
        "points_taken": ret.points_taken,
        "points_given": ret.points_given,
        "created_at": ret.created_at,
    }
