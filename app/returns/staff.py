"""Staff pages: the returns list, scanning a return's QR, receiving the goods and the refund."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.catalog import services as catalog
from app.errors import DomainError, NotFound
from app.extensions import db
from app.members import services as members
from app.money import format_money
from app.orders import services as orders
from app.returns import bp, services, views
from app.returns.access import clerk, receiving_location, sees_return
from app.returns.schemas import STATUSES
from app.staff.auth import staff_page
from app.transaction import writes

PAGE_SIZE = 50


def _return_for_me(return_id: int):
    ret = services.get_return(return_id)
    if not sees_return(ret, clerk()):
        raise NotFound("return_not_found", f"No return {return_id}.")
    return ret


@bp.get("/staff/returns")
@staff_page()
def staff_returns():
    """Returns to receive and received, newest first: by status and receiving location; the scanner."""
    actor = clerk()
    status = request.args.get("status", "")
    code = request.args.get("location", "")
    places = catalog.all_locations()
    place = next((p for p in places if p.code == code), None)
    rows, cursor = services.search_returns(
        status=status if status in STATUSES else None,
        location=place,
        store_id=actor.store_id,
        cursor=request.args.get("cursor"),
        limit=PAGE_SIZE,
    )
    returns = [views.return_json(r, with_qr=False) for r in rows if sees_return(r, actor)]
    # Times in the clerk's store's zone (or the first store's).
    zone_of = next((p for p in places if p.id == actor.store_id), None) or next(
        (p for p in places if p.kind == "store"), None
    )
    return render_template(
        "returns/staff_list.html",
        returns=returns,
        statuses=STATUSES,
        status=status,
        places=places,
        location=code,
        next_cursor=cursor,
        money=format_money,
        tz=zone_of.timezone if zone_of else "UTC",
    )


@bp.get("/staff/returns/scan")
@staff_page()
def scan_return():
    """What the scanner read (the return's QR): on to its receive page."""
    code = request.args.get("code", "").strip()
    try:
        ret = services.find_by_token(code)
    except NotFound:
        try:
            ret = services.get_return_by_number(code)  # typed from under the QR
        except NotFound:
            flash("That is not a return code of ours. Scan the QR on the label or the phone.", "error")
            return redirect(url_for("returns.staff_returns"))
    return redirect(url_for("returns.staff_return", return_id=ret.id))


@bp.get("/staff/returns/<int:return_id>")
@staff_page()
def staff_return(return_id: int):
    """One return: what should come back; each line sellable or quarantined; confirm -> refund."""
    ret = _return_for_me(return_id)
    data = views.return_json(ret, with_qr=False)
    actor = clerk()
    places = catalog.all_locations()
    if actor.store_id is not None:
        places = [p for p in places if p.id == actor.store_id]
    # Where this return most likely arrives: a parcel at the returns warehouse.
    warehouse = services.return_warehouse() if ret.channel == "mail" else None
    places.sort(key=lambda p: (warehouse is None or p.id != warehouse.id, p.id))
    member = members.get_member(ret.member_id) if ret.member_id is not None else None
    sold_at = orders.get_order(data["order"]).location_id
    return render_template(
        "returns/staff_return.html",
        ret=data,
        member=member,
        places=places,
        tz=catalog.locations_by_id({sold_at})[sold_at].timezone,
        money=lambda amount: format_money(amount, data["currency"]),
    )


def _lines_from_form(ret) -> list[tuple[int, int, str]]:
    """Per return line, the units put back on sale and the units set aside, as the form says."""
    lines = []
    for line in ret.lines:
        for to in services.DESTINATIONS:
            text = request.form.get(f"{to}-{line.order_line_id}", "").strip() or "0"
            if not text.isdigit() or len(text) > 7:
                raise DomainError("invalid_quantity", f"{text!r} is not a number of units.")
            lines.append((line.order_line_id, int(text), to))
    return lines


@bp.post("/staff/returns/<int:return_id>/receive")
@writes
@staff_page()
def receive_return(return_id: int):
    """The clerk inspected the goods and confirmed: stock, then the refund, in one step."""
    ret = _return_for_me(return_id)
    actor = clerk()
    try:
        place = receiving_location(request.form.get("location", ""), actor)
        services.receive(ret, place, _lines_from_form(ret), actor.name)
        data = views.return_json(ret, with_qr=False)
        refund = data["refund"]
        flash(f"Received at {place.name}. Refunded {refund['text']} {refund['how']}.", "info")
    except DomainError as error:
        db.session.rollback()  # the answer is a redirect, which the door would commit
        flash(error.message, "error")
    return redirect(url_for("returns.staff_return", return_id=return_id))


@bp.post("/staff/returns/<int:return_id>/cancel")
@writes
@staff_page()
def cancel_return(return_id: int):
    """Staff give up a return nothing came back for."""
    ret = _return_for_me(return_id)
    try:
        services.cancel_return(ret)
        flash(f"Return {ret.number} cancelled.", "info")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("returns.staff_return", return_id=return_id))
