"""Pages: the kiosk screen, the phone's "connect to this kiosk?" page, and the staff's kiosk list."""

from __future__ import annotations

from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.catalog import services as catalog
from app.core import hooks
from app.errors import DomainError, NotFound
from app.extensions import db
from app.kiosks import auth, bp, schemas, services, signals
from app.kiosks.models import Device, KioskSession
from app.members.auth import current_member
from app.staff.auth import staff_page
from app.transaction import writes

# ---- the kiosk screen ------------------------------------------------------------------


def _not_registered(message: str):
    return render_template("kiosks/not_registered.html", message=message), 401


def _screen_state(device: Device) -> dict:
    """The open session and, while nobody is identified, a fresh pairing code."""
    kiosk_session = services.ensure_session(device)
    pairing = None
    if kiosk_session.member_id is None:
        token, plain = services.issue_pairing_token(kiosk_session)
        pairing = schemas.PairingOut().dump(schemas.pairing_json(token, plain))
    return {
        "session": schemas.KioskSessionOut().dump(schemas.session_json(kiosk_session)),
        "pairing": pairing,
        "cart": _cart_of(kiosk_session),
    }


def _cart_of(kiosk_session: KioskSession) -> dict | None:
    """The basket of whoever is at the kiosk, if there is one yet."""
    return hooks.answer(signals.basket_of, kiosk_session)


@bp.get("/kiosk")
@writes
def kiosk_screen():
    """The full-screen kiosk page; open it once as ``/kiosk?token=<device token>``."""
    if "token" in request.args:
        device = services.verify_device_token(request.args["token"])
        if device is None:
            auth.forget_screen()
            return _not_registered("This kiosk token is unknown or was revoked. Ask staff for a new one.")
        auth.remember_screen(device)
        # The token leaves the address bar (and the browser history) at once.
        return redirect(url_for("kiosks.kiosk_screen"))
    device = auth.screen_device()
    if device is None:
        return _not_registered("This screen is not signed in as a kiosk. Staff: open /kiosk?token=<device token>.")
    state = _screen_state(device)
    response = make_response(
        render_template(
            "kiosks/screen.html", device=device, state=state, idle_seconds=current_app.config["KIOSK_IDLE_SECONDS"]
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/kiosk/pairing")
@writes
def kiosk_pairing():
    """The screen asks for its next pairing code (JSON; CSRF in the X-CSRFToken header)."""
    state = _screen_state(auth.calling_screen())
    return jsonify(state)


@bp.post("/kiosk/session/end")
@writes
def kiosk_session_end():
    """The shopper is done: a new, anonymous session starts (JSON)."""
    device = auth.calling_screen()
    services.start_session(device)
    state = _screen_state(device)
    return jsonify(state)


# ---- the phone: connect to a kiosk -----------------------------------------------------


class PairForm(FlaskForm):
    """Yes or No, CSRF-protected."""


def _refused(error: DomainError):
    return render_template("kiosks/pair_refused.html", error=error), error.status


def _kiosk_in_use(kiosk_session: KioskSession) -> DomainError:
    return DomainError(
        "kiosk_in_use", f"{kiosk_session.device.label.capitalize()} is being used by another member.", status=409
    )


@bp.get("/pair/<token>")
def pair(token: str):
    """What the kiosk's QR opens: "Connect to kiosk 3 at <store>?"."""
    try:
        pairing = services.check_pairing_token(token)
    except DomainError as error:
        return _refused(error)
    member = current_member()
    if member is None:
        return redirect(url_for("members.sign_in_page", next=request.path))
    kiosk_session = pairing.kiosk_session
    if kiosk_session.member_id not in (None, member.id):
        return _refused(_kiosk_in_use(kiosk_session))
    response = make_response(
        render_template("kiosks/pair_confirm.html", device=kiosk_session.device, member=member, form=PairForm())
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/pair/<token>")
@writes
def pair_answer(token: str):
    """The phone said yes (the kiosk session becomes the member's) or no (nothing happens)."""
    if not PairForm().validate_on_submit():
        return _refused(DomainError("form_expired", "The form expired. Scan the code on the kiosk again.", status=400))
    member = current_member()
    if member is None:
        return redirect(url_for("members.sign_in_page", next=request.path))
    if request.form.get("answer") != "yes":
        return render_template("kiosks/pair_declined.html")
    try:
        kiosk_session = services.confirm_pairing(token, member)
    except DomainError as error:
        return _refused(error)
    return redirect(url_for("kiosks.paired", session_id=kiosk_session.id))


@bp.get("/pair/done/<int:session_id>")
def paired(session_id: int):
    """The phone is connected: say so, naming the kiosk and the store."""
    member = current_member()
    if member is None:
        return redirect(url_for("members.sign_in_page", next=request.path))
    kiosk_session = db.session.get(KioskSession, session_id)
    if kiosk_session is None or kiosk_session.member_id != member.id:
        raise NotFound("kiosk_session_not_found", "You are not connected to this kiosk.")
    return render_template(
        "kiosks/paired.html", device=kiosk_session.device, member=member, kiosk_session=kiosk_session
    )


# ---- staff: register and revoke kiosks -------------------------------------------------


class DeviceForm(FlaskForm):
    location = SelectField("Store", validators=[DataRequired()])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], description='For staff, e.g. "Kiosk 3".')
    number = IntegerField(
        "Number in the store",
        validators=[Optional(), NumberRange(min=1, max=9999)],
        description="What shoppers see; empty takes it from the name or the next free one.",
    )


@bp.route("/staff/kiosks", methods=["GET", "POST"])
@staff_page("admin")
@writes
def devices():
    """List, register and revoke kiosks; a new kiosk's token is shown once."""
    form = DeviceForm()
    form.location.choices = [(loc.code, f"{loc.name} ({loc.code})") for loc in catalog.all_locations()]
    new_device, new_token, status = None, None, 200
    if form.validate_on_submit():
        try:
            new_device, new_token = services.create_device(form.location.data, form.name.data, form.number.data)
            form.name.data, form.number.data = "", None  # ready for the next kiosk
        except DomainError as error:
            flash(error.message, "error")
            status = 422
    screen_url = f"{current_app.config['PUBLIC_BASE_URL']}{url_for('kiosks.kiosk_screen')}"
    return render_template(
        "kiosks/devices.html",
        form=form,
        devices=services.list_devices(),
        new_device=new_device,
        new_token=new_token,
        screen_url=screen_url,
    ), status


@bp.post("/staff/kiosks/<prefix>/revoke")
@staff_page("admin")
@writes
def revoke_device(prefix: str):
    """Revoke one kiosk: its token and its screen stop working at once."""
    device = services.revoke_device(prefix)
    flash(f"{device.name} ({device.label} at {device.location.name}) revoked.", "info")
    return redirect(url_for("kiosks.devices"))
