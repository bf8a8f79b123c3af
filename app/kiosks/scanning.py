"""What a kiosk scanned: a shelf label, an old barcode or a member code. Functions flush, callers commit.

Each scan arrives with the kiosk's own id for it and is recorded once per device, however often
the kiosk sends it again (after a network cut, a crash or a restart). The answer goes to the
kiosk's screen; a code nobody knows is shown to staff, who can reprint the label or add the
product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.catalog.models import Location, Product
from app.core import hooks
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.kiosks import services, signals
from app.kiosks.models import Device
from app.money import format_money
from app.realtime import queue_event
from app.scans import services as scans
from app.scans.models import Scan
from app.stock import live as stock_live
from app.stock import scanning as stock_scanning
from app.stock import services as stock

MEMBER_CODE_PREFIX = "MC-"
# A scan older than this when it arrives (sent again after a network cut) is recorded but no
# longer shown: the shopper who made it has long moved on.
SHOW_WITHIN = timedelta(seconds=60)
NEARBY_SHOWN = 4
ASK_STAFF = "We could not find this code. Please ask a member of staff."


@dataclass
class Received:
    """A recorded kiosk scan and what the screen was told."""

    scan: Scan
    duplicate: bool
    result: dict


def find_scan(device: Device, client_id: str) -> Scan | None:
    """The scan this device already sent with this id, if any."""
    return db.session.scalar(select(Scan).where(Scan.device_id == device.id, Scan.client_id == client_id))


def receive_scan(
    device: Device,
    client_id: str,
    code: str,
    *,
    symbology: str | None = None,
    seen_at: datetime | None = None,
    now: datetime | None = None,
) -> Received:
    """Record a kiosk scan once (by its client id), resolve it and tell the kiosk's screen."""
    earlier = find_scan(device, client_id)
    if earlier is not None:
        return Received(earlier, True, result_of(earlier, device.location))
    now = now or utcnow()
    seen_at = min(seen_at or now, now)
    kiosk_session = services.ensure_session(device)
    show = now - seen_at <= SHOW_WITHIN
    code = code.strip()
    if code.upper().startswith(MEMBER_CODE_PREFIX):
        outcome, result, member_id = _member_code(device, code, now, show)
        product_id = location_id = None
    else:
        outcome, result, product_id, location_id = _product_code(device, code, kiosk_session if show else None)
        member_id = kiosk_session.member_id
    scan = scans.record_scan(
        # A member code's MAC is a one-time secret: the record keeps whose code it was, not the code.
        code.rsplit("-", 1)[0] if outcome in ("member", "refused") else code,
        "kiosk",
        shopper_session=kiosk_session.key,
        member_id=member_id,
        device=f"device:{device.id}",
        product_id=product_id,
        location_id=location_id or device.location_id,
    )
    scan.device_id, scan.client_id, scan.seen_at, scan.outcome = device.id, client_id, seen_at, outcome
    scan.symbology = (symbology or "")[:16] or None
    if outcome == "product" and scan.location_id == device.location_id:
        scan.available = result["product"]["here"]["available"]
    if show:
        _tell_screen(device, kiosk_session.id, scan, result)
    if outcome == "unknown":
        queue_event(
            db.session,
            "scan:unknown",
            {"code": scan.code, "kiosk": device.label, "location": device.location.code, "at": now.isoformat()},
            room=stock_live.staff_room(device.location_id),
        )
    return Received(scan, False, {**result, "shown": show})


def _member_code(device: Device, code: str, now: datetime, show: bool) -> tuple[str, dict, int | None]:
    """A member code: the kiosk session becomes the member's (the screen greets them), or why not."""
    try:
        _, member = services.identify_by_member_code(device, code, now if show else None)
    except DomainError as refused:
        return "refused", {"kind": "refused", "code": refused.code, "message": refused.message}, None
    return "member", {"kind": "member", "first_name": member.first_name}, member.id


def _product_code(device: Device, code: str, kiosk_session) -> tuple[str, dict, int | None, int | None]:
    """A shelf label or an old barcode: into the basket (with a ``kiosk_session``), shown as this store has it."""
    try:
        scanned = stock_scanning.resolve_scan(code)
    except DomainError:
        return "unknown", {"kind": "unknown", "message": ASK_STAFF}, None, None
    label_location = scanned.location.id if scanned.location else None
    basket = _add_to_basket(device, kiosk_session, scanned.product.sku) if kiosk_session is not None else None
    view = product_view(scanned.product, device.location)
    result = {"kind": "product", "product": view, "basket": basket}
    return "product", result, scanned.product.id, label_location


def _add_to_basket(device: Device, kiosk_session, sku: str) -> dict | None:
    """Put one in the basket of whoever is at the kiosk (held here); what happened, for the screen."""
    return hooks.answer(signals.add_to_basket, kiosk_session, sku=sku, location=device.location.code)


def _tell_screen(device: Device, kiosk_session_id: int, scan: Scan, result: dict) -> None:
    room = services.kiosk_room(kiosk_session_id)
    base = {"session": kiosk_session_id, "scan": scan.id, "client_id": scan.client_id}
    if result["kind"] == "product":
        shown = {**base, "product": result["product"], "basket": result.get("basket")}
        queue_event(db.session, "kiosk:product", shown, room=room)
    elif result["kind"] == "unknown":
        queue_event(db.session, "kiosk:unknown", {**base, "code": scan.code, "message": ASK_STAFF}, room=room)
    elif result["kind"] == "refused":
        queue_event(db.session, "kiosk:notice", {**base, "message": result["message"]}, room=room)


def result_of(scan: Scan, location: Location) -> dict:
    """What a recorded scan turned out to be (for a kiosk that sends it again)."""
    if scan.outcome == "product" and scan.product_id is not None:
        product = db.session.get(Product, scan.product_id)
        if product is not None:
            return {"kind": "product", "product": product_view(product, location), "shown": False}
    if scan.outcome == "member":
        return {"kind": "member", "shown": False}
    if scan.outcome == "refused":
        return {"kind": "refused", "shown": False}
    return {"kind": "unknown", "message": ASK_STAFF, "shown": False}


def product_view(product: Product, here: Location) -> dict:
    """A product as a kiosk shows it: price, stock here and nearby, and what goes with it."""
    level, around = stock.stock_around(product, here)
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "description": product.description,
        "image": product.image,
        "price": format_money(product.price_amount, product.currency),
        "price_amount": product.price_amount,
        "currency": product.currency,
        "active": product.active,
        "here": _level(here, level),
        "nearby": [{**_level(loc, lvl), "km": _km(km)} for loc, lvl, km in around[:NEARBY_SHOWN]],
        **_together(product),
    }


def _together(product: Product) -> dict:
    """What others bought with it; until there are such orders, what others looked at with it."""
    bought = hooks.answer(signals.bought_together, product, default=[])
    items = bought or scans.seen_together(product.id)
    return {
        "together_title": "Often bought together" if bought else "Others also looked at",
        "together": [
            {"sku": p.sku, "name": p.name, "image": p.image, "price": format_money(p.price_amount, p.currency)}
            for p in items
        ],
    }


def _level(location: Location, level) -> dict:
    return {
        "location": location.code,
        "name": location.name,
        "kind": location.kind,
        "available": level.available,
        "version": level.version,
    }


def _km(km: float | None) -> float | None:
    return None if km is None else round(km, 1)
