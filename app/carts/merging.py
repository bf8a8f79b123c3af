"""A merge of two members: the merged one's open basket joins the kept one's, its other baskets follow."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.carts import services
from app.carts.models import Cart, CartLine
from app.extensions import db
from app.members import merge
from app.outbox import services as outbox


@merge.previewing.connect
def _count(merged, **_) -> dict[str, int]:
    lines = select(func.coalesce(func.sum(CartLine.quantity), 0)).join(Cart, Cart.id == CartLine.cart_id)
    lines = lines.where(Cart.member_id == merged.id, Cart.status == "open")
    return {"basket_units": db.session.scalar(lines) or 0}


@outbox.signal("member.merged").connect
def _move(event, kept, merged, moved, **_) -> None:
    basket = services.open_cart_of(member_id=merged.id)
    moved["basket_lines"], moved["basket_left_out"] = 0, []
    if basket is not None:
        _, joined, left_out = services.adopt_guest_cart(basket, kept.id)
        moved["basket_lines"], moved["basket_left_out"] = len(joined), [item["name"] for item in left_out]
    statement = update(Cart).where(Cart.member_id == merged.id).values(member_id=kept.id)
    moved["baskets"] = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
