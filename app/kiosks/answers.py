"""What the kiosks domain answers the domains below it."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.kiosks import services
from app.kiosks.models import Device
from app.members import signals as member_signals
from app.scans import signals as scan_signals


@scan_signals.devices_named.connect
def _devices_named(name: str, **_) -> list[int]:
    """A token prefix, or an id: a prefix can be all digits too, so it is either."""
    by = (Device.token_prefix == name) | (Device.id == int(name)) if name.isdigit() else (Device.token_prefix == name)
    return list(db.session.scalars(select(Device.id).where(by)))


@member_signals.code_redeemed.connect
def _greet(member, actor, **_) -> None:
    """A kiosk scanned a member code: its screen greets the member, the basket joins theirs."""
    if actor is not None and actor.kind == "device":
        services.identify_at_device(services.live_device(actor.id), member)
