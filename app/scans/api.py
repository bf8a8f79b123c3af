"""JSON API: the scans recorded at every channel, oldest first (staff and integrations)."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.scans import schemas, services
from app.staff.auth import current_actor, require_api_role

api = Blueprint("scans_api", __name__, url_prefix="/api/v1", description="Recorded scans")


@api.route("/scans")
@api.arguments(schemas.ScanArgs(), location="query")
@api.response(200, schemas.RecordedScanPage)
@require_api_role("clerk")
def list_scans(args):
    """Scans in the order they were recorded, filtered by channel, location, kiosk device and time."""
    items, cursor = services.list_scans(
        channel=args["channel"],
        location=args["location"],
        device=args["device"],
        since=args["since"],
        cursor=args["cursor"],
        limit=args["limit"],
        store_id=current_actor().store_id,
    )
    return {"items": items, "next_cursor": cursor}
