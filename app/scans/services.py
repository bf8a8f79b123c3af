"""Recording scans."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.scans.models import CHANNELS, Scan


def record_scan(
    code: str,
    channel: str,
    *,
    label=None,
    shopper_session: str | None = None,
    member_id: int | None = None,
    device: str | None = None,
) -> Scan:
    """Record that ``code`` was scanned; a label gives the product and location."""
    if channel not in CHANNELS:
        raise DomainError("invalid_channel", f"Channel must be one of: {', '.join(CHANNELS)}.")
    scan = Scan(
        code=code[:64],
        channel=channel,
        shopper_session=shopper_session,
        member_id=member_id,
        device=device,
        label_id=label.id if label else None,
        product_id=label.product_id if label else None,
        location_id=label.location_id if label else None,
    )
    db.session.add(scan)
    db.session.flush()
    return scan


def scans_of_session(shopper_session: str, limit: int = 50) -> list[Scan]:
    """The latest scans of one shopper session, newest first."""
    query = select(Scan).where(Scan.shopper_session == shopper_session).order_by(Scan.id.desc()).limit(limit)
    return list(db.session.scalars(query))
