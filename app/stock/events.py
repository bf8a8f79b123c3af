"""Socket.IO: subscribe to live stock of a product (at one location or all of them)."""

from __future__ import annotations

from flask_login import current_user
from flask_socketio import join_room

from app.catalog import services as catalog
from app.errors import DomainError, Forbidden, error_ack
from app.extensions import socketio
from app.stock import live, services


@socketio.on("subscribe", namespace="/live")
def subscribe(data):
    """Join the room of {"sku", "location"?}; the ack holds the current level(s)."""
    try:
        if not isinstance(data, dict) or not isinstance(data.get("sku"), str):
            raise DomainError("invalid_subscription", 'Send {"sku": "...", "location": "..."} (location optional).')
        product = catalog.get_product(data["sku"])
        staff = current_user.is_authenticated
        if data.get("location"):
            location = catalog.get_location(str(data["location"]))
            if not staff and location.kind != "store":
                raise Forbidden("staff_only_location", "Only staff may follow the stock of a warehouse.")
            join_room(live.level_room(product.id, location.id))
            rows = [(location, services.level_of(product, location))]
        elif staff:
            join_room(live.product_room(product.id))
            rows = [(loc, services.level_of(product, loc)) for loc in catalog.all_locations()]
        else:
            # Shoppers follow every store, one room each: the product's room also carries warehouses.
            stores = [loc for loc in catalog.all_locations() if loc.kind == "store"]
            for loc in stores:
                join_room(live.level_room(product.id, loc.id))
            rows = [(loc, services.level_of(product, loc)) for loc in stores]
        return {
            "ok": True,
            "levels": [
                live.level_json(product.sku, loc.code, lvl.on_hand, lvl.reserved, lvl.version) for loc, lvl in rows
            ],
        }
    except DomainError as error:
        return error_ack(error)


@socketio.on("staff:subscribe", namespace="/live")
def staff_subscribe(data):
    """Staff screens join their location's room (stock changes and low-stock alerts)."""
    try:
        if not current_user.is_authenticated:
            raise DomainError("unauthorized", "Sign in as staff to follow a location.")
        location = catalog.get_location(str((data or {}).get("location", "")))
        store = current_user.location_id if current_user.role == "clerk" else None
        if store is not None and store != location.id:
            raise Forbidden("other_store", "You can follow your own store only.")
        join_room(live.staff_room(location.id))
        return {"ok": True, "location": location.code}
    except DomainError as error:
        return error_ack(error)
