"""The merchant portal (/merchant/): a merchant's own products, stock, sales, returns and statements.

Every page shows the signed-in user's merchant and nothing else: the merchant comes from the
user, never from the URL, and a statement of another merchant is a 404. Shoppers stay
anonymous here: order numbers, SKUs, units and money, never a member's name or contact.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import wraps

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from app import lockout
from app.catalog import services as catalog
from app.errors import Forbidden
from app.extensions import limiter, signin_limit
from app.money import format_money
from app.settlement import merchants, portal, services, statements
from app.settlement.access import is_merchant_user
from app.settlement.api import csv_response, pdf_response
from app.staff import services as staff
from app.staff.routes import SignInForm
from app.stock import services as stock
from app.transaction import writes


def merchant_page(view):
    """Decorate a portal page: a signed-in merchant user (others: 403)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("merchant.login", next=request.path))
        if not is_merchant_user(current_user) or current_user.merchant_id is None:
            raise Forbidden("merchant_only", "The merchant portal is for merchant users.")
        return view(merchants.get_merchant(current_user.merchant_id), *args, **kwargs)

    return wrapper


def _today_start() -> datetime:
    zone = statements.zone()
    return datetime.combine(datetime.now(zone).date(), time(0), tzinfo=zone)


def _render(template: str, merchant, **context):
    return render_template(
        template, merchant=merchant, format_money=format_money, zone=statements.zone().key, **context
    )


@portal.route("/login", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@writes
def login():
    """Merchant sign-in (the same accounts as staff sign-in; merchant users only)."""
    if current_user.is_authenticated and is_merchant_user(current_user):
        return redirect(url_for("merchant.home"))
    form = SignInForm()
    if form.validate_on_submit():
        lockout.check("staff", form.email.data)
        user = staff.authenticate(form.email.data, form.password.data)
        if user is None or not is_merchant_user(user):
            lockout.failed("staff", form.email.data)
            flash("E-mail or password is wrong.", "error")
            return render_template("merchant/login.html", form=form), 401
        login_user(user)
        staff.start_session()
        return redirect(url_for("merchant.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("merchant/login.html", form=form), status


@portal.get("/")
@merchant_page
def home(merchant):
    """Today's sales, live, and the open cycle so far."""
    today = [e for e in statements.recent_entries(merchant.id, since=_today_start(), limit=2000)]
    refs = services.line_refs(today)
    sold = sum(e.gross for e in today if e.kind == "sale")
    back = -sum(e.gross for e in today if e.kind != "sale")
    return _render(
        "merchant/home.html",
        merchant,
        today=today,
        refs=refs,
        sold=sold,
        back=back,
        open=statements.preview(merchant.id),
    )


@portal.get("/products")
@merchant_page
def products(merchant):
    """The merchant's products and their stock at every location."""
    mine = merchants.products_of(merchant.id)
    places = {loc.id: loc for loc in catalog.all_locations()}
    levels = {p.id: [lvl for lvl in stock.levels(p, None) if lvl.location_id in places] for p in mine}
    return _render("merchant/products.html", merchant, products=mine, levels=levels, places=places)


@portal.get("/sales")
@merchant_page
def sales(merchant):
    """Recent sales and refunds of the merchant's products."""
    entries = statements.recent_entries(merchant.id)
    return _render("merchant/sales.html", merchant, entries=entries, refs=services.line_refs(entries))


@portal.get("/returns")
@merchant_page
def returns(merchant):
    """Units of the merchant's products that came back, and what was clawed back."""
    entries = [e for e in statements.recent_entries(merchant.id, limit=2000) if e.kind == "return"][:500]
    numbers = {e.return_id: (services.return_number(e.return_id)) for e in entries}
    return _render(
        "merchant/returns.html", merchant, entries=entries, refs=services.line_refs(entries), numbers=numbers
    )


@portal.get("/statements")
@merchant_page
def statement_list(merchant):
    """The merchant's closed statements."""
    return _render("merchant/statements.html", merchant, statements=statements.statements_of(merchant.id))


@portal.get("/statements/<int:statement_id>.pdf")
@merchant_page
def statement_pdf(merchant, statement_id: int):
    """One of the merchant's statements as PDF (another merchant's: 404)."""
    return pdf_response(statements.get_statement(statement_id, merchant.id))


@portal.get("/statements/<int:statement_id>.csv")
@merchant_page
def statement_csv(merchant, statement_id: int):
    """One of the merchant's statements as CSV (another merchant's: 404)."""
    return csv_response(statements.get_statement(statement_id, merchant.id))
