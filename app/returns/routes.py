"""The member's return pages on the phone, the QR's own URL, the QR image and the mail label.

Choosing what to return goes through the JSON API from the page's script (one Idempotency-Key
per form), so the rules are the API's. The return page follows its status live
(``return:updated`` in the member's room).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from app.catalog import services as catalog
from app.db import utcnow
from app.errors import NotFound
from app.labels.qr import qr_svg
from app.members.auth import current_member, member_page
from app.money import format_money
from app.orders import services as orders
from app.returns import bp, label, services, views
from app.returns.models import Return


def _mine(ret: Return) -> bool:
    member = current_member()
    return member is not None and ret.member_id == member.id


def _not_found(what: str):
    return render_template("returns/phone_not_found.html", what=what), 404


@bp.app_template_global("order_returns")
def order_returns(number: str) -> list[dict]:
    """An order's returns for its receipt and its staff page (oldest first)."""
    try:
        order = orders.get_order(number)
    except NotFound:
        return []
    return [views.return_json(ret, with_qr=False) for ret in services.returns_of(order)]


@bp.get("/orders/<number>/returns/new")
@member_page
def new_return_page(number: str):
    """Choose what to return from an order: lines and quantities, why, and how it comes back."""
    try:
        order = orders.get_order(number)
    except NotFound:
        return _not_found(f"order {number}")
    member = current_member()
    if order.member_id != member.id:
        return _not_found(f"order {number}")
    left = services.returnable(order)
    days = current_app.config["RETURN_DAYS"]
    until = order.paid_at + timedelta(days=days) if order.paid_at else None
    place = catalog.locations_by_id({order.location_id})[order.location_id]
    return render_template(
        "returns/phone_new.html",
        order=order,
        lines=[(line, max(left[line.id], 0)) for line in order.lines],
        until=until,
        open_=order.status in services.RETURNABLE and until is not None and until > utcnow(),
        tz=place.timezone,
        money=lambda amount: format_money(amount, order.currency),
        stores=[loc for loc in catalog.all_locations() if loc.kind == "store"],
        warehouse=services.return_warehouse(),
        api_url=url_for("returns_api.start_return", number=order.number),
    )


@bp.get("/returns/<number>")
@member_page
def return_page(number: str):
    """One return on the phone: its QR (store), its label (mail) or its pickup window; live."""
    try:
        ret = services.get_return_by_number(number)
    except NotFound:
        return _not_found(f"return {number}")
    if not _mine(ret):
        return _not_found(f"return {number}")
    data = views.return_json(ret)
    order = orders.get_order(data["order"])
    place = catalog.locations_by_id({order.location_id})[order.location_id]
    response = current_app.make_response(
        render_template(
            "returns/phone_return.html",
            ret=data,
            tz=place.timezone,
            money=lambda amount: format_money(amount, data["currency"]),
            stores=[loc for loc in catalog.all_locations() if loc.kind == "store"],
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/returns/<number>/status")
def return_status(number: str):
    """Where a return stands, for its open page to notice a change it missed while offline."""
    ret = services.get_return_by_number(number)
    if not _mine(ret):
        raise NotFound("return_not_found", f"No return {number}.")
    return {"status": ret.status}


@bp.get("/returns/<number>/label.pdf")
def label_pdf(number: str):
    """The printable label of a mail return: for its member, and for staff."""
    try:
        ret = services.get_return_by_number(number)
    except NotFound:
        abort(404)
    if not (_mine(ret) or current_user.is_authenticated):
        if current_member() is None:
            return redirect(url_for("members.sign_in_page", next=request.path))
        abort(404)
    return label.pdf_response(ret)


@lru_cache(maxsize=1024)
def _svg(text: str) -> bytes:
    return qr_svg(text).encode()


@bp.get("/returns/qr/<token>.svg")
def qr_image(token: str):
    """A return's QR as SVG (for whoever holds the token: it shows nothing more than the token)."""
    ret = services.find_by_token(token)
    response = Response(_svg(services.qr_text(ret)), mimetype="image/svg+xml")
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/R/<token>")  # what the upper-case QR holds
@bp.get("/r/<token>")  # registered first, so url_for() builds this one
def scanned(token: str):
    """A return's QR opened: staff go to the receive page, its member to the return."""
    try:
        ret = services.find_by_token(token)
    except NotFound:
        return _not_found("that return code")
    if current_user.is_authenticated:
        return redirect(url_for("returns.staff_return", return_id=ret.id))
    if _mine(ret):
        return redirect(url_for("returns.return_page", number=ret.number))
    if current_member() is None:
        return redirect(url_for("members.sign_in_page", next=request.path))
    return _not_found("that return code")
