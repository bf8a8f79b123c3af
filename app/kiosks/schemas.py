"""JSON shapes for kiosks (also the source of the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma

from app.catalog.schemas import StrictSchema
from app.kiosks import services
from app.labels.qr import qr_svg


class KioskMemberOut(ma.Schema):
    """What a kiosk may know of a member: enough to greet them, nothing to contact them by."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    first_name = ma.fields.String()
    points = ma.fields.Integer()


class KioskSessionOut(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String(metadata={"description": "Record the kiosk's scans with this shopper_session."})
    kiosk = ma.fields.String(metadata={"description": 'How shoppers know the kiosk, e.g. "kiosk 3".'})
    location = ma.fields.String(metadata={"description": "Store code."})
    started_at = ma.fields.DateTime()
    identified_at = ma.fields.DateTime(allow_none=True)
    identified_by = ma.fields.String(allow_none=True, metadata={"description": '"pairing" or "member_code".'})
    member = ma.fields.Nested(KioskMemberOut, allow_none=True)


class PairingOut(ma.Schema):
    url = ma.fields.String(metadata={"description": "Show this as a QR; the shopper's phone opens it."})
    expires_at = ma.fields.DateTime()
    renew_in = ma.fields.Integer(metadata={"description": "Ask for a new code after this many seconds."})
    svg = ma.fields.String(metadata={"description": "The QR of url, as SVG."})


class IdentifyIn(StrictSchema):
    code = ma.fields.String(required=True, metadata={"description": "The member code the kiosk scanned."})


class IdentifyOut(ma.Schema):
    session = ma.fields.Nested(KioskSessionOut)
    member = ma.fields.Nested(KioskMemberOut)


def member_json(member) -> dict | None:
    if member is None:
        return None
    return {"id": member.id, "name": member.name, "first_name": member.first_name, "points": member.points}


def session_json(kiosk_session) -> dict:
    """A kiosk session as the kiosk sees it."""
    device = kiosk_session.device
    return {
        "id": kiosk_session.id,
        "key": kiosk_session.key,
        "kiosk": device.label,
        "location": device.location.code,
        "started_at": kiosk_session.started_at,
        "identified_at": kiosk_session.identified_at,
        "identified_by": kiosk_session.identified_by,
        "member": member_json(services.member_of(kiosk_session)),
    }


def pairing_json(token, plain: str) -> dict:
    """A pairing code to show: its URL, its QR and when to ask for the next one."""
    url = services.pairing_url(plain)
    return {
        "url": url,
        "expires_at": token.expires_at,
        "renew_in": services.PAIRING_SECONDS - services.RENEW_BEFORE_SECONDS,
        "svg": qr_svg(url),
    }


class KioskScanIn(StrictSchema):
    """A scan sent by the kiosk program (Socket.IO ``kiosk:scan``)."""

    id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=512))
    symbology = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=16))
    seen_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
