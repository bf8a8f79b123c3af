"""Live sales on the merchant portal: pushed to one room per merchant after the sale commits.

A merchant's screen hears its own lines only: SKU, name, units and money, never the shopper.
"""

from __future__ import annotations

from collections import defaultdict

from app.db import utcnow
from app.extensions import db
from app.realtime import queue_event

NAMESPACE = "/merchant"


def merchant_room(merchant_id: int) -> str:
    """The room of one merchant's portal screens."""
    return f"merchant:{merchant_id}"


def _push(name: str, order, entries) -> None:
    lines = {line.id: line for line in order.lines}
    by_merchant = defaultdict(list)
    for entry in entries:
        line = lines[entry.order_line_id]
        by_merchant[entry.merchant_id].append(
            {"sku": line.sku, "name": line.name, "quantity": entry.quantity, "gross": entry.gross, "kind": entry.kind}
        )
    at = (entries[0].occurred_at or utcnow()).isoformat()
    for merchant_id, items in by_merchant.items():
        data = {"order": order.number, "channel": order.channel, "at": at, "currency": order.currency, "lines": items}
        queue_event(db.session, name, data, room=merchant_room(merchant_id), namespace=NAMESPACE)


def sales_made(order, entries) -> None:
    """Tell each merchant's screens about its lines of a paid order."""
    _push("merchant:sale", order, entries)


def clawed_back(order, entries) -> None:
    """Tell each merchant's screens about a refund or return of its lines."""
    _push("merchant:refund", order, entries)
