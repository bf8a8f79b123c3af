"""Recording scans."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from app.errors import DomainError
from app.extensions import db
from app.scans.models import CHANNELS, Scan

# The phone's anonymous shopper session lives in this cookie.
SHOPPER_COOKIE = "oneshelf_shopper"


def record_scan(
    code: str,
    channel: str,
    *,
    label=None,
    shopper_session: str | None = None,
    member_id: int | None = None,
    device: str | None = None,
    product_id: int | None = None,
    location_id: int | None = None,
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
        product_id=label.product_id if label else product_id,
        location_id=label.location_id if label else location_id,
    )
    db.session.add(scan)
    db.session.flush()
    return scan


def scans_of_session(shopper_session: str, limit: int = 50) -> list[Scan]:
    """The latest scans of one shopper session, newest first."""
    query = select(Scan).where(Scan.shopper_session == shopper_session).order_by(Scan.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def attach_to_member(shopper_session: str | None, member_id: int) -> int:
    """The session's anonymous scans become the member's (on sign-in or identification)."""
    if not shopper_session:
        return 0
    return db.session.execute(
        update(Scan)
        .where(Scan.shopper_session == shopper_session, Scan.member_id.is_(None))
        .values(member_id=member_id)
        .execution_options(synchronize_session=False)
    ).rowcount


def member_history(member_id: int, cursor: str | None = None, limit: int = 50) -> tuple[list[dict], str | None]:
    """A member's scans, newest first, a page at a time, with what and where."""
    from app.catalog.models import Location, Product
    from app.core.pagination import paginate_desc

    rows, next_cursor = paginate_desc(select(Scan).where(Scan.member_id == member_id), Scan.id, cursor, limit)
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({r.product_id for r in rows})))
    }
    places = {
        x.id: x for x in db.session.scalars(select(Location).where(Location.id.in_({r.location_id for r in rows})))
    }
    items = []
    for row in rows:
        product, place = products.get(row.product_id), places.get(row.location_id)
        items.append(
            {
                "id": row.id,
                "code": row.code,
                "channel": row.channel,
                "at": row.created_at,
                "sku": product.sku if product else None,
                "product": product.name if product else None,
                "location": place.code if place else None,
                "location_name": place.name if place else None,
                "timezone": place.timezone if place else "UTC",
            }
        )
    return items, next_cursor


def forget_member_scans(member_id: int) -> int:
    """Delete a member's scan history (the member asked)."""
    return db.session.execute(delete(Scan).where(Scan.member_id == member_id)).rowcount


def move_scans(from_member_id: int, to_member_id: int) -> int:
    """Give one member's scans to another (merging members)."""
    return db.session.execute(
        update(Scan)
        .where(Scan.member_id == from_member_id)
        .values(member_id=to_member_id)
        .execution_options(synchronize_session=False)
    ).rowcount


def members_seen_at(location_id: int):
    """A query of the ids of members who scanned something at a location."""
    return select(Scan.member_id).where(Scan.location_id == location_id, Scan.member_id.is_not(None))
