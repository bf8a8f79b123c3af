"""Recommendations: what is often bought together with a product, and "for you" from a member's own history.

"For you" is made only from the signed-in member's own scans and purchases (and what other
shoppers' orders, counted together, say goes with them): nothing about one member is shown to
another.
"""

from __future__ import annotations

from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Product
from app.extensions import db
from app.members.auth import current_member
from app.money import format_money
from app.orders import bp, services
from app.orders.models import PAID, Order, OrderLine
from app.scans import services as scans

FOR_YOU = 6


def _shown(product: Product, why: str = "") -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "image": product.image,
        "price": format_money(product.price_amount, product.currency),
        "why": why,
    }


@bp.app_template_global("bought_with")
def bought_with(product_id: int) -> list[dict]:
    """For a product page: what shoppers' paid orders most often hold with it."""
    return [_shown(p) for p in services.bought_together(product_id)]


def bought_by(member_id: int) -> list[int]:
    """The products of this member's paid orders, most recently bought first."""
    rows = db.session.execute(
        select(OrderLine.product_id, Order.paid_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.member_id == member_id, Order.status.in_(PAID))
        .order_by(Order.paid_at.desc(), OrderLine.id)
    )
    return list(dict.fromkeys(row[0] for row in rows))


def for_you(member_id: int, limit: int = FOR_YOU) -> list[dict]:
    """What goes with what this member bought, then what they looked at and did not buy."""
    bought = bought_by(member_id)
    picks: dict[int, str] = {}
    for product_id in bought[:5]:
        for other in services.bought_together(product_id, limit=3):
            if other.id not in bought:
                picks.setdefault(other.id, "Goes with what you bought")
    for product_id in scans.products_scanned_by(member_id):
        if product_id not in bought:
            picks.setdefault(product_id, "You looked at it")
    found = catalog.products_by_id(list(picks))
    ordered = [found[i] for i in picks if i in found and found[i].active]
    return [_shown(p, picks[p.id]) for p in ordered[:limit]]


@bp.app_template_global("for_you_here")
def for_you_here() -> list[dict]:
    """ "For you" of the member signed in on this browser (nothing for anyone else)."""
    member = current_member()
    return for_you(member.id) if member else []
