"""Phone pages: sign up, sign in, account, member code, my scans."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app import lockout
from app.catalog import services as catalog
from app.errors import DomainError
from app.extensions import limiter, signin_limit
from app.members import auth, bp, codes, services
from app.members import points as ledger
from app.scans import services as scans
from app.transaction import writes


class SignUpForm(FlaskForm):
    name = StringField("Your name", validators=[Length(max=120)])
    login = StringField("E-mail or mobile number", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password (8 characters or more)", validators=[DataRequired()])


class SignInForm(FlaskForm):
    login = StringField("E-mail or mobile number", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])


def _next_url() -> str:
    target = request.args.get("next") or ""
    # Browsers read "/\host" as "//host": a backslash or a control character is never ours.
    plain = "\\" not in target and target.isprintable()
    if plain and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("members.account")


@bp.route("/account/signup", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@writes
def sign_up_page():
    """Create an account in seconds."""
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            member = services.sign_up(form.login.data, form.password.data, form.name.data or "")
            auth.sign_in(member)
            flash(f"Welcome, {member.first_name}! Show your member code at the till or a kiosk.", "info")
            return redirect(_next_url())
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("members/signup.html", form=form), status


@bp.route("/account/signin", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@writes
def sign_in_page():
    """Sign in with e-mail or phone."""
    form = SignInForm()
    if form.validate_on_submit():
        lockout.check("member", form.login.data)
        member = services.authenticate(form.login.data, form.password.data)
        if member is not None:
            auth.sign_in(member)
            return redirect(_next_url())
        lockout.failed("member", form.login.data)
        form.form_errors.append("E-mail, phone or password is wrong.")
        return render_template("members/signin.html", form=form), 401
    status = 422 if form.errors else 200
    return render_template("members/signin.html", form=form), status


@bp.post("/account/signout")
@writes
def sign_out_page():
    """Sign this phone out."""
    auth.sign_out()
    flash("Signed out.", "info")
    return redirect(url_for("members.sign_in_page"))


@bp.post("/account/signout-everywhere")
@auth.member_page
@writes
def sign_out_everywhere_page():
    """Sign out on every device; codes already shown stop working."""
    services.sign_out_everywhere(auth.current_member())
    auth.sign_out()
    flash("Signed out on every device.", "info")
    return redirect(url_for("members.sign_in_page"))


@bp.get("/account")
@auth.member_page
def account():
    """The member's home: name, identifiers, points and their history, links."""
    member = auth.current_member()
    before = request.args.get("points_before", "")
    entries, more = ledger.history(member.id, int(before) if before.isdigit() and len(before) < 19 else None)
    return render_template(
        "members/account.html",
        member=member,
        identifiers=services.identifiers_of(member),
        points_history=entries,
        points_more=more,
        timezone=next((loc.timezone for loc in catalog.all_locations() if loc.kind == "store"), "UTC"),
    )


@bp.get("/account/code")
@auth.member_page
def member_code():
    """The rotating member code, for a kiosk or a clerk to scan."""
    member = auth.current_member()
    return render_template("members/code.html", member=member, ahead=codes.codes_ahead(member))


@bp.route("/account/scans", methods=["GET", "POST"])
@auth.member_page
@writes
def my_scans():
    """What the member scanned, in every store and channel; they may delete it."""
    member = auth.current_member()
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            raise DomainError("csrf_failed", "The form expired. Please try again.", status=400)
        removed = scans.forget_member_scans(member.id)
        flash(f"Deleted {removed} scan(s) from your history.", "info")
        return redirect(url_for("members.my_scans"))
    items, cursor = scans.member_history(member.id, request.args.get("cursor"), 50)
    return render_template("members/scans.html", items=items, next_cursor=cursor, form=FlaskForm())
