"""Which kiosk a screen is: the device token is given once (``/kiosk?token=...``), then a signed cookie."""

from __future__ import annotations

from flask import session

from app.kiosks import services
from app.kiosks.models import Device
from app.staff.auth import Actor, Unauthorized
from app.staff.registry import register_bearer

SCREEN_KEY = "kiosk_device"


def device_actor(token: str) -> Actor | None:
    """The kiosk a bearer device token ("osd_...") belongs to, as an API caller; None if unknown or revoked."""
    device = services.verify_device_token(token)
    return Actor("device", device.id, "kiosk", device.name) if device is not None else None


register_bearer(services.TOKEN_PREFIX, device_actor, "device token")


def remember_screen(device: Device) -> None:
    """This browser is now the screen of ``device`` (until the device is revoked)."""
    session[SCREEN_KEY] = f"{device.id}:{device.token_prefix}"
    session.permanent = True


def forget_screen() -> None:
    session.pop(SCREEN_KEY, None)


def screen_device() -> Device | None:
    """The live device this browser's signed cookie names, if any."""
    device_id, _, prefix = str(session.get(SCREEN_KEY) or "").partition(":")
    if not device_id.isdigit():
        return None
    device = services.live_device(int(device_id))
    # The prefix ties the cookie to this device's token, not only to its row.
    return device if device is not None and device.token_prefix == prefix else None


def calling_screen() -> Device:
    """The kiosk screen making this request; 401 once it is no longer signed in (e.g. revoked)."""
    device = screen_device()
    if device is None:
        raise Unauthorized("kiosk_signed_out", "This screen is no longer signed in as a kiosk.")
    return device
