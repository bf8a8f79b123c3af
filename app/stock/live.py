"""Live stock: the rooms a screen joins and the events queued for after the commit."""

from __future__ import annotations

from datetime import datetime

from app.catalog.models import Location, Product
from app.extensions import db
from app.realtime import queue_event
from app.stock.models import LocationRef, ProductRef


def level_room(product_id: int, location_id: int) -> str:
    """Screens showing one product at one location."""
    return f"level:{product_id}:{location_id}"


def product_room(product_id: int) -> str:
    """Screens showing a product at every location (the phone's "nearby" list)."""
    return f"product:{product_id}"


def staff_room(location_id: int) -> str:
    """Staff screens of one location."""
    return f"staff:{location_id}"


def level_json(sku: str, location_code: str, on_hand: int, reserved: int, version: int) -> dict:
    return {
        "sku": sku,
        "location": location_code,
        "on_hand": on_hand,
        "reserved": reserved,
        "available": on_hand - reserved,
        "version": version,
    }


def level_changed(
    product: Product | ProductRef,
    location: Location | LocationRef,
    on_hand: int,
    reserved: int,
    version: int,
    low_stock_at: int,
    at: datetime,
) -> None:
    """Queue stock:changed for the level's, the product's and the store staff's rooms, and stock:low for staff.

    One emit for the three rooms: a screen that is in several of them gets the event once.
    """
    payload = {**level_json(product.sku, location.code, on_hand, reserved, version), "at": at.isoformat()}
    rooms = [level_room(product.id, location.id), product_room(product.id), staff_room(location.id)]
    queue_event(db.session, "stock:changed", payload, room=rooms)
    if on_hand - reserved <= low_stock_at:
        low = {**payload, "name": product.name, "low_stock_at": low_stock_at}
        queue_event(db.session, "stock:low", low, room=staff_room(location.id))
