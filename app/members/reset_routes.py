"""Phone pages: verify an e-mail or phone, reset a forgotten password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.errors import DomainError
from app.extensions import limiter, signin_limit
from app.members import auth, bp, services, verification
from app.transaction import writes

RESET_SENT = "If an account has this e-mail or phone, we sent it a code. It works for 10 minutes."


class ResetRequestForm(FlaskForm):
    login = StringField("E-mail or mobile number", validators=[DataRequired(), Length(max=254)])


class ResetConfirmForm(FlaskForm):
    login = StringField("E-mail or mobile number", validators=[DataRequired(), Length(max=254)])
    code = StringField("Code", validators=[DataRequired(), Length(max=12)])
    password = PasswordField("New password (8 characters or more)", validators=[DataRequired()])


class AddIdentifierForm(FlaskForm):
    kind = SelectField("Add", choices=[("email", "E-mail address"), ("phone", "Mobile number")])
    value = StringField("E-mail or mobile number", validators=[DataRequired(), Length(max=254)])


class VerifyForm(FlaskForm):
    identifier = SelectField("To confirm", choices=[])
    code = StringField("Code", validators=[Length(max=12)])


@bp.route("/account/reset", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@writes
def reset_request_page():
    """Ask for a reset code; the answer is the same whether the account exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            verification.request_reset(form.login.data)
            flash(RESET_SENT, "info")
            return redirect(url_for("members.reset_confirm_page", login=form.login.data))
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("members/reset/request.html", form=form), status


@bp.route("/account/reset/confirm", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@writes
def reset_confirm_page():
    """Enter the code and a new password; every device is signed out."""
    form = ResetConfirmForm()
    if request.method == "GET":
        form.login.data = request.args.get("login", "")
    if form.validate_on_submit():
        try:
            with verification.attempts_count():
                verification.reset_password(form.login.data, form.code.data, form.password.data)
            flash("Your password is changed. Sign in with the new one.", "info")
            return redirect(url_for("members.sign_in_page"))
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("members/reset/confirm.html", form=form), status


def _verify_page(add_form=None, verify_form=None, error: str | None = None):
    """The verify page with its two forms; an error shows on the form that failed."""
    member = auth.current_member()
    identifiers = [i for i in services.identifiers_of(member) if i.kind in verification.VERIFIABLE_KINDS]
    add_form = add_form or AddIdentifierForm(prefix="add")
    verify_form = verify_form or _verify_form(identifiers)
    failed = add_form if request.endpoint == "members.add_identifier_page" else verify_form
    if error:
        failed.form_errors.append(error)
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "members/reset/verify.html", add_form=add_form, verify_form=verify_form, identifiers=identifiers
    )
    return page, status


def _verify_form(identifiers=None) -> VerifyForm:
    if identifiers is None:
        identifiers = services.identifiers_of(auth.current_member())
    form = VerifyForm(prefix="verify")
    form.identifier.choices = [
        (f"{i.kind}:{i.value}", i.value)
        for i in identifiers
        if i.kind in verification.VERIFIABLE_KINDS and not i.verified
    ]
    if request.method == "GET" and request.args.get("identifier"):
        form.identifier.data = request.args["identifier"]
    return form


def _done(message: str, identifier: str | None = None):
    flash(message, "info")
    return redirect(url_for("members.verify_page", identifier=identifier))


@bp.route("/account/verify", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@auth.member_page
@writes
def verify_page():
    """Confirm my e-mail or phone with the code sent to it (5 attempts per code)."""
    form = _verify_form()
    if request.method == "GET":
        return _verify_page(verify_form=form)
    if not form.validate_on_submit():
        return _verify_page(verify_form=form)
    kind, _, value = form.identifier.data.partition(":")
    try:
        with verification.attempts_count():
            identifier = verification.verify_identifier(auth.current_member(), kind, value, form.code.data or "")
    except DomainError as error:
        return _verify_page(verify_form=form, error=error.message)
    return _done(f"{identifier.value} is confirmed.")


@bp.post("/account/verify/resend")
@limiter.limit(signin_limit)
@auth.member_page
@writes
def resend_code_page():
    """Send a new code to one of my unverified identifiers."""
    form = _verify_form()
    if not form.validate_on_submit():
        return _verify_page(verify_form=form)
    kind, _, value = form.identifier.data.partition(":")
    try:
        verification.send_identifier_code(verification.own_identifier(auth.current_member(), kind, value))
    except DomainError as error:
        return _verify_page(verify_form=form, error=error.message)
    return _done(f"We sent a new code to {value}.", form.identifier.data)


@bp.post("/account/verify/add")
@limiter.limit(signin_limit)
@auth.member_page
@writes
def add_identifier_page():
    """Add an e-mail or phone to my account; a code is sent to it."""
    form = AddIdentifierForm(prefix="add")
    if not form.validate_on_submit():
        return _verify_page(add_form=form)
    try:
        identifier = verification.add_identifier(auth.current_member(), form.kind.data, form.value.data)
    except DomainError as error:
        return _verify_page(add_form=form, error=error.message)
    if identifier.verified:
        return _done(f"{identifier.value} is already confirmed.")
    return _done(f"We sent a code to {identifier.value}.", f"{identifier.kind}:{identifier.value}")
