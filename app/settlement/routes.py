"""Admin pages: merchants, their rates and statements; closing statements now (as a job)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.errors import DomainError
from app.money import format_money
from app.settlement import bp, merchants, services, statements
from app.staff.auth import staff_page
from app.staff.registry import HomeTile, register_home_tile
from app.transaction import writes


class MerchantForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    payout_account = StringField("Payout account", validators=[Length(max=200)])
    settlement_days = IntegerField("Settled T+", default=1, validators=[NumberRange(min=1, max=90)])
    rate = IntegerField("Commission (basis points)", default=1000, validators=[NumberRange(min=0, max=10000)])


class RateForm(FlaskForm):
    rate = IntegerField("Rate (basis points)", validators=[DataRequired(), NumberRange(min=0, max=10000)])
    category = StringField("Category (empty: general)", validators=[Optional(), Length(max=80)])


class RunForm(FlaskForm):
    """Only the CSRF token: closing now needs nothing else."""


@bp.route("/staff/merchants", methods=["GET", "POST"])
@staff_page("admin")
@writes
def merchant_list():
    """Merchants with their rates, open cycle and latest statements; add a merchant."""
    form = MerchantForm(prefix="new")
    if form.validate_on_submit():
        try:
            merchant = merchants.create_merchant(
                form.code.data, form.name.data, form.payout_account.data or "", form.settlement_days.data
            )
            merchants.set_rate(merchant, form.rate.data)
            flash(f"Merchant {merchant.code} added.", "info")
            return redirect(url_for("settlement.merchant_list"))
        except DomainError as error:
            flash(error.message, "error")
    rows = services.overview()
    for row in rows:
        row["open"] = statements.preview(row["merchant"].id)
    return render_template(
        "settlement/merchants.html",
        form=form,
        rows=rows,
        rate_form=RateForm(prefix="rate"),
        run_form=RunForm(prefix="run"),
        batches=statements.batches(10),
        zone=statements.zone().key,
        format_money=format_money,
    )


@bp.post("/staff/merchants/<int:merchant_id>/rates")
@staff_page("admin")
@writes
def add_rate(merchant_id: int):
    """A new commission rate from now on."""
    merchant = merchants.get_merchant(merchant_id)
    form = RateForm(prefix="rate")
    if not form.validate_on_submit():
        flash("Enter a rate of 0 to 10000 basis points.", "error")
        return redirect(url_for("settlement.merchant_list"))
    merchants.set_rate(merchant, form.rate.data, form.category.data or None)
    flash(f"New rate for {merchant.code} from now on.", "info")
    return redirect(url_for("settlement.merchant_list"))


@bp.post("/staff/settlement/run")
@staff_page("admin")
@writes
def run_now():
    """Close every open cycle now, on the job runner; its page shows the progress."""
    if not RunForm(prefix="run").validate_on_submit():
        flash("The form expired. Please submit it again.", "error")
        return redirect(url_for("settlement.merchant_list"))
    job = services.start_close_job()
    return redirect(url_for("jobs.job_page", job_id=job.id))


def _tile() -> HomeTile | None:
    if not current_user.is_admin:
        return None  # the page is the admins'
    found = merchants.list_merchants()
    return HomeTile(url_for("settlement.merchant_list"), ((len(found), "merchants"),)) if found else None


register_home_tile("settlement.merchants", _tile, order=80)
