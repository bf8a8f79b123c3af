"""Recording scans."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from app.core import hooks
from app.errors import DomainError
from app.extensions import db
from app.scans import signals
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


def seen_together(product_id: int, limit: int = 3) -> list:
    """Products most often scanned in the same shopper sessions as this one (busiest first)."""
    from app.catalog.models import Product

    this, other = aliased(Scan), aliased(Scan)
    sessions = func.count(func.distinct(other.shopper_session))
    query = (
        select(other.product_id, sessions)
        .join(this, this.shopper_session == other.shopper_session)
        .where(this.product_id == product_id, other.product_id.is_not(None), other.product_id != product_id)
        .group_by(other.product_id)
        .order_by(sessions.desc(), other.product_id)
        .limit(limit)
    )
    ids = [row[0] for row in db.session.execute(query)]
    found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids), Product.active))}
    return [found[i] for i in ids if i in found]


def list_scans(
    *,
    channel: str | None = None,
    location: str | None = None,
    device: str | None = None,
    since=None,
    cursor: str | None = None,
    limit: int = 50,
    store_id: int | None = None,
    within: Collection[int] | None = None,
) -> tuple[list[dict], str | None]:
    """Recorded scans, oldest first, a page at a time; ``store_id`` keeps a clerk to their store.

    ``within``: only scans at these location ids (what a location-limited API key may see).
    """
    from app.catalog import services as catalog
    from app.catalog.models import Location, Product
    from app.core.pagination import paginate
    from app.errors import Forbidden

    query = select(Scan)
    if channel:
        query = query.where(Scan.channel == channel)
    if location:
        place = catalog.get_location(location)
        if store_id is not None and place.id != store_id:
            raise Forbidden("other_store", "You can see the scans of your own store only.")
        query = query.where(Scan.location_id == place.id)
    else:
        if store_id is not None:
            query = query.where(Scan.location_id == store_id)
        if within is not None:
            query = query.where(Scan.location_id.in_(sorted(within)))
    if device:
        query = query.where(Scan.device_id.in_(hooks.answer(signals.devices_named, device, default=[])))
    if since is not None:
        query = query.where(Scan.created_at >= since)
    rows, next_cursor = paginate(query, Scan.id, cursor, limit)
    skus = dict(
        db.session.execute(select(Product.id, Product.sku).where(Product.id.in_({r.product_id for r in rows}))).all()
    )
    codes = dict(
        db.session.execute(
            select(Location.id, Location.code).where(Location.id.in_({r.location_id for r in rows}))
        ).all()
    )
    items = [
        {
            "id": r.id,
            "client_id": r.client_id,
            "code": r.code,
            "symbology": r.symbology,
            "channel": r.channel,
            "outcome": r.outcome,
            "sku": skus.get(r.product_id),
            "location": codes.get(r.location_id),
            "device": r.device_id,
            "member": r.member_id,
            "seen_at": r.seen_at,
            "created_at": r.created_at,
        }
        for r in rows
    ]
    return items, next_cursor


def products_scanned_by(member_id: int, limit: int = 20) -> list[int]:
    """The products this member scanned, most recently scanned first (ids)."""
    last = func.max(Scan.created_at)
    rows = db.session.execute(
        select(Scan.product_id, last)
        .where(Scan.member_id == member_id, Scan.product_id.is_not(None))
        .group_by(Scan.product_id)
        .order_by(last.desc(), Scan.product_id)
        .limit(limit)
    )
    return [row[0] for row in rows]
