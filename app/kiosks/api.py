"""JSON API for kiosk devices: their sessions, pairing codes and identifying a member.

Every endpoint here acts as the calling device (``Authorization: Bearer osd_...``).
"""

from __future__ import annotations

from flask_smorest import Blueprint

from app.errors import Forbidden, NotFound
from app.kiosks import schemas, services
from app.kiosks.models import Device
from app.staff.auth import Unauthorized, current_actor, require_api_role
from app.transaction import writes

api = Blueprint("kiosks_api", __name__, url_prefix="/api/v1", description="Kiosk devices")


def calling_device() -> Device:
    """The kiosk making this request; staff and integration keys are refused."""
    actor = current_actor()
    if actor is None or actor.kind != "device":
        raise Forbidden("device_only", "Only a kiosk can do this: send 'Authorization: Bearer <device token>'.")
    device = services.live_device(actor.id)
    if device is None:
        raise Unauthorized("invalid_token", "The device token is unknown or revoked.")
    return device


@api.route("/kiosk/sessions", methods=["POST"])
@writes
@require_api_role("kiosk")
@api.response(201, schemas.KioskSessionOut)
def start_session():
    """Start a new, anonymous kiosk session (the previous shopper's ends)."""
    kiosk_session = services.start_session(calling_device())
    return schemas.session_json(kiosk_session)


@api.route("/kiosk/sessions/current", methods=["GET"])
@require_api_role("kiosk")
@api.response(200, schemas.KioskSessionOut)
def current_session():
    """The kiosk's open session: who it belongs to, if anyone yet."""
    kiosk_session = services.current_session(calling_device())
    if kiosk_session is None:
        raise NotFound("no_kiosk_session", "This kiosk has no open session; start one.")
    return schemas.session_json(kiosk_session)


@api.route("/kiosk/sessions/current/end", methods=["POST"])
@writes
@require_api_role("kiosk")
@api.response(204)
def end_session():
    """End the kiosk's open session (the shopper is done)."""
    kiosk_session = services.current_session(calling_device())
    if kiosk_session is not None:
        services.end_session(kiosk_session)


@api.route("/kiosk/pairing", methods=["POST"])
@writes
@require_api_role("kiosk")
@api.response(201, schemas.PairingOut)
def new_pairing_code():
    """A new single-use pairing code for the open session (started if there is none), valid 90 s."""
    token, plain = services.issue_pairing_token(services.ensure_session(calling_device()))
    return schemas.pairing_json(token, plain)


@api.route("/kiosk/identify", methods=["POST"])
@writes
@require_api_role("kiosk")
@api.arguments(schemas.IdentifyIn())
@api.response(200, schemas.IdentifyOut)
def identify(body):
    """The kiosk scanned a member code: the open session becomes the member's and the screen greets them."""
    kiosk_session, member = services.identify_by_member_code(calling_device(), body["code"])
    return {"session": schemas.session_json(kiosk_session), "member": schemas.member_json(member)}
