"""Invoice (fapiao) requests: a shopper asks for one for a paid order; staff issue it. Functions flush.

One request per order. A later request replaces the details while the invoice is not issued
yet; once issued it is final (a correction is a matter for the tax office's red-letter
process, outside Oneshelf). The buyer's tax id is the unified social credit code (18
characters) or an older tax registration number: 15 to 20 letters and digits.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.orders import taxes
from app.orders.models import INVOICE_TRANSITIONS, InvoiceRequest, Order
from app.outbox import services as outbox

TAX_ID = re.compile(r"[0-9A-Z]{15,20}")
INVOICEABLE = ("paid", "partially_refunded")


class InvoiceError(DomainError):
    """A request the form or the API refuses as it stands (422)."""

    status = 422


def move(request: InvoiceRequest, status: str) -> InvoiceRequest:
    """Move a request along INVOICE_TRANSITIONS, or refuse."""
    if status not in INVOICE_TRANSITIONS[request.status]:
        raise Conflict("invoice_already_issued", f"The invoice was issued already ({request.invoice_number}).")
    request.status = status
    return request


def clean_tax_id(text: str | None) -> str:
    """The tax id upper-cased without spaces, or a 422 saying what a good one looks like."""
    value = re.sub(r"[\s-]", "", text or "").upper()
    if not TAX_ID.fullmatch(value):
        raise InvoiceError(
            "invalid_tax_id",
            "The tax id is the unified social credit code: 15 to 20 letters and digits (18 for most companies).",
        )
    return value


def _clean(title: str | None, tax_id: str | None, email: str | None) -> tuple[str, str, str | None]:
    """The request's fields checked and tidied (422 with the first problem)."""
    title = " ".join((title or "").split())
    if not 1 <= len(title) <= 200:
        raise InvoiceError("invalid_title", "Give the invoice title: a company's name or your own (up to 200).")
    tax_id = clean_tax_id(tax_id)
    email = (email or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvoiceError("invalid_email", f"{email!r} is not an e-mail address.") from None
    return title, tax_id, email


def order_by_number_or_id(text: str) -> Order | None:
    """An order by its number, or else by its id."""
    order = db.session.scalar(select(Order).filter_by(number=(text or "").strip().upper()))
    if order is None and text.isdigit() and len(text) <= 18:
        order = db.session.get(Order, int(text))
    return order


def request_of(order: Order) -> InvoiceRequest | None:
    """The order's invoice request, if any."""
    return db.session.scalar(select(InvoiceRequest).filter_by(order_id=order.id))


def request_invoice(order: Order, title: str | None, tax_id: str | None, email: str | None = None) -> InvoiceRequest:
    """Ask for an invoice of a paid order, or replace the details of a request not issued yet."""
    title, tax_id, email = _clean(title, tax_id, email)
    if order.status not in INVOICEABLE:
        raise Conflict("not_invoiceable", f"Order {order.number} is {order.status.replace('_', ' ')}: no invoice.")
    request = request_of(order)
    if request is None:
        request = InvoiceRequest(order_id=order.id, member_id=order.member_id, status="requested")
        db.session.add(request)
    else:
        move(request, "requested")
    request.title, request.tax_id, request.email = title, tax_id, email
    request.requested_at = utcnow()
    db.session.flush()
    outbox.record("invoice.requested", f"order:{order.number}", _event(request, order), order=order)
    return request


def issue(request: InvoiceRequest, invoice_number: str | None, clerk: str) -> InvoiceRequest:
    """Staff issued the invoice: it is final, with its number."""
    number = (invoice_number or "").strip()
    if not 1 <= len(number) <= 64:
        raise InvoiceError("invalid_invoice_number", "Give the number of the invoice issued (up to 64 characters).")
    move(request, "issued")
    request.invoice_number, request.issued_by, request.issued_at = number, clerk, utcnow()
    db.session.flush()
    order = db.session.get(Order, request.order_id)
    outbox.record("invoice.issued", f"order:{order.number}", _event(request, order), order=order)
    return request


def get_request(request_id: int, store_id: int | None = None) -> InvoiceRequest:
    """One request; staff limited to a store see only that store's (404 for another's)."""
    request = db.session.get(InvoiceRequest, request_id)
    order = db.session.get(Order, request.order_id) if request else None
    if request is None or store_id is not None and order.location_id != store_id:
        raise NotFound("invoice_request_not_found", f"No invoice request {request_id}.")
    return request


def waiting(
    store_id: int | None = None, status: str = "requested", limit: int = 200
) -> list[tuple[InvoiceRequest, Order]]:
    """Requests with their orders, oldest first (a clerk's store only when ``store_id`` is given)."""
    query = select(InvoiceRequest, Order).join(Order, Order.id == InvoiceRequest.order_id)
    query = query.where(InvoiceRequest.status == status)
    if store_id is not None:
        query = query.where(Order.location_id == store_id)
    order_by = InvoiceRequest.requested_at if status == "requested" else InvoiceRequest.issued_at.desc()
    return [(r, o) for r, o in db.session.execute(query.order_by(order_by, InvoiceRequest.id).limit(limit)).all()]


def as_json(request: InvoiceRequest, order: Order) -> dict:
    """A request as the API and the staff list show it: with the order's amount and tax per rate."""
    return {
        "id": request.id,
        "order": order.number,
        "status": request.status,
        "title": request.title,
        "tax_id": request.tax_id,
        "email": request.email,
        "invoice_number": request.invoice_number,
        "currency": order.currency,
        "amount": order.total,
        "tax": taxes.by_rate(order),
        "tax_total": taxes.total_tax(order),
        "requested_at": request.requested_at,
        "issued_at": request.issued_at,
    }


def _event(request: InvoiceRequest, order: Order) -> dict:
    data = as_json(request, order)
    return data | {
        "requested_at": data["requested_at"].isoformat(),
        "issued_at": None if not request.issued_at else request.issued_at.isoformat(),
    }
