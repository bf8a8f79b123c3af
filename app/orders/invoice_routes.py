"""Invoice (fapiao) pages: the shopper's form on the receipt, and the staff list of requests to issue."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from app import tax
from app.catalog import services as catalog
from app.errors import DomainError, NotFound
from app.extensions import db
from app.money import format_money
from app.orders import bp, invoices, phone, services
from app.staff.auth import staff_page
from app.transaction import writes

FIELDS = ("title", "tax_id", "email")


@bp.app_template_filter("tax_rate")
def _tax_rate(rate: int) -> str:
    """1300 -> "13%" on the pages."""
    return tax.rate_label(rate)


@bp.post("/orders/<number>/invoice-request")
@writes
def request_invoice_page(number: str):
    """The receipt's invoice form: the request is kept, or the receipt comes back with what to fix."""
    try:
        order = services.get_order(number)
    except NotFound:
        return phone._not_found(number)
    if not phone._may_see(order):
        return phone._not_found(number)
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        invoices.request_invoice(order, form["title"], form["tax_id"], form["email"])
    except DomainError as error:
        # The receipt again, with the shopper's input and the reason; the status rolls back.
        g.invoice_form = form | {"error": error.message, "code": error.code}
        response = phone.receipt_page(number)
        response.status_code = error.status if error.status >= 400 else 422
        return response
    flash("Invoice requested. We will send it when it is issued.", "info")
    return redirect(url_for("orders.receipt_page", number=order.number, _anchor="invoice"))


def _my_store_id() -> int | None:
    """The one store a clerk works at; None for admins (every store)."""
    return current_user.location_id if current_user.role == "clerk" else None


@bp.get("/staff/invoices")
@staff_page()
def staff_invoices():
    """Invoice requests waiting to be issued (oldest first), and those issued lately; a clerk's store only."""
    store_id = _my_store_id()
    places = {loc.id: loc for loc in catalog.all_locations()}
    shown = request.args.get("show") == "issued"
    rows = invoices.waiting(store_id, "issued" if shown else "requested")
    return render_template(
        "orders/staff/invoices.html",
        rows=[(invoices.as_json(r, o), places[o.location_id]) for r, o in rows],
        my_store=places.get(store_id) if store_id else None,
        show_issued=shown,
        money=format_money,
    )


@bp.post("/staff/invoices/<int:request_id>/issue")
@writes
@staff_page()
def issue_invoice(request_id: int):
    """A clerk issued the invoice and records its number; the request leaves the waiting list."""
    item = invoices.get_request(request_id, _my_store_id())
    try:
        invoices.issue(item, request.form.get("invoice_number"), current_user.name)
        flash(f"Invoice {item.invoice_number} issued.", "info")
    except DomainError as error:
        db.session.rollback()  # the answer is a redirect, which the door would commit
        flash(error.message, "error")
    return redirect(url_for("orders.staff_invoices"))
