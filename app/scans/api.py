"""JSON API: the scans recorded at every channel, oldest first (staff and integrations)."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.scans import schemas, services
from app.staff.auth import allowed_locations, current_actor, require_api_role, require_at

api = Blueprint("scans_api", __name__, url_prefix="/api/v1", description="Recorded scans")


@api.route("/scans")
@api.arguments(schemas.ScanArgs(), location="query")
@api.response(200, schemas.RecordedScanPage)
@require_api_role("clerk", scope="scans:read")
def list_scans(args):
    """Scans in the order they were recorded, filtered by channel, location, kiosk device and time."""
    if args["location"]:
        place = catalog.get_location(args["location"])
        require_at(place.id, place.code)
    items, cursor = services.list_scans(
        channel=args["channel"],
        location=args["location"],
        device=args["device"],
        since=args["since"],
        cursor=args["cursor"],
        limit=args["limit"],
        store_id=current_actor().store_id,
        within=allowed_locations(),
    )
    return {"items": items, "next_cursor": cursor}
