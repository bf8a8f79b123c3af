"""``/q/<code>``: the product page a shelf QR opens."""

from __future__ import annotations

import secrets

from flask import make_response, redirect, render_template, request, url_for

from app.catalog import hours
from app.errors import NotFound
from app.labels import services as labels
from app.members.auth import current_member
from app.money import format_money
from app.scans import services as scans
from app.scans.services import SHOPPER_COOKIE
from app.shop import bp
from app.stock import services as stock
from app.transaction import writes


def shopper_session() -> tuple[str, bool]:
    """The phone's anonymous shopper session id, and whether it is new."""
    current = request.cookies.get(SHOPPER_COOKIE, "")
    if len(current) == 32 and all(c in "0123456789abcdef" for c in current):
        return current, False
    return secrets.token_hex(16), True


@bp.get("/Q/<code>")  # what the upper-case QR holds
@bp.get("/q/<code>")  # registered first, so url_for() builds this one
@writes
def product_at_store(code: str):
    """The product on this label, at the label's store; the scan is recorded."""
    try:
        label = labels.resolve(code)
    except NotFound:
        return render_template("shop/unknown_code.html", code=code), 404
    if label.retired_at is not None:
        current = labels.current_of(label)
        if current.id != label.id:
            return redirect(url_for("shop.product_at_store", code=current.code), 302)
    session_id, new = shopper_session()
    member = current_member()
    scan = scans.record_scan(
        label.code, "phone", label=label, shopper_session=session_id, member_id=member.id if member else None
    )
    product = label.product
    here, nearby = stock.stock_around(product, label.location)
    scan.outcome, scan.available = "product", here.available
    response = make_response(
        render_template(
            "shop/product.html",
            label=label,
            product=product,
            location=label.location,
            price=format_money(product.price_amount, product.currency),
            here=here,
            nearby=nearby,
            hours=hours.describe(label.location.opening_hours),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    if new:
        response.set_cookie(
            SHOPPER_COOKIE, session_id, max_age=365 * 86400, httponly=True, samesite="Lax", secure=request.is_secure
        )
    return response
