"""Staff pages: sign-in, sign-out, the dashboard and API keys."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from app import lockout
from app.errors import DomainError
from app.extensions import limiter, signin_limit
from app.staff import bp, registry, services
from app.staff.auth import staff_page
from app.staff.models import ROLES
from app.staff.scopes import SCOPES
from app.transaction import writes


class SignInForm(FlaskForm):
    # No format check: sign-in only looks the address up (and .local or .test domains are real here).
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=[(r, r) for r in ROLES])
    scopes = CheckboxesField(
        "Scopes",
        choices=[(scope, f"{scope}: {text}") for scope, text in SCOPES.items()],
        description="None ticked: whatever the role allows.",
    )
    locations = CheckboxesField("Locations", coerce=int, description="None ticked: every location.")


def _safe_next(target: str | None) -> str:
    """Only follow redirects within this site."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("staff.dashboard")


@bp.route("/staff/login", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@writes
def login():
    """Staff sign-in form."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        lockout.check("staff", form.email.data)
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            lockout.failed("staff", form.email.data)
            flash("E-mail or password is wrong.", "error")
            return render_template("staff/login.html", form=form), 401
        login_user(user)
        services.start_session()
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/login.html", form=form), status


@bp.post("/staff/logout")
@writes
def logout():
    """Sign out: the session's token changes, so no copy of this cookie works any more.

    The token is the user's, so this ends the user's sessions on other browsers too.
    """
    if current_user.is_authenticated:
        services.sign_out_everywhere(current_user)
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("staff.login"))


@bp.post("/staff/sign-out-everywhere")
@staff_page()
@writes
def sign_out_everywhere():
    """End every session of this staff user, on every browser."""
    services.sign_out_everywhere(current_user)
    logout_user()
    flash("Signed out on every browser.", "info")
    return redirect(url_for("staff.login"))


@bp.get("/staff/")
@staff_page()
def dashboard():
    """The staff home page."""
    return render_template("staff/dashboard.html", tiles=registry.home_tiles())


@bp.route("/staff/keys", methods=["GET", "POST"])
@staff_page("admin")
@writes
def api_keys():
    """List, create and revoke API keys."""
    form = ApiKeyForm()
    places = registry.location_choices()
    form.locations.choices = [(id_, f"{name} ({code})") for id_, code, name in places]
    new_key = None
    if form.validate_on_submit():
        try:
            _, new_key = services.create_api_key(
                form.name.data, form.role.data, form.scopes.data or (), form.locations.data or ()
            )
        except DomainError as error:
            flash(error.message, "error")
    codes = {id_: code for id_, code, _ in places}
    return render_template(
        "staff/keys.html", form=form, keys=services.list_api_keys(), new_key=new_key, location_codes=codes
    )


@bp.post("/staff/keys/<prefix>/revoke")
@staff_page("admin")
@writes
def revoke_key(prefix: str):
    """Revoke one key."""
    services.revoke_api_key(prefix)
    flash(f"Key {prefix} revoked.", "info")
    return redirect(url_for("staff.api_keys"))
