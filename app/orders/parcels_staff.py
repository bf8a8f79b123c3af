"""The staff page of a location's parcels: pick by scanning, pack, send, mark ready, hand over.

The page reads and acts through the JSON API (``fulfilment_api``), so its rules are the API's;
it follows the location's staff room live.
"""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from app.catalog import services as catalog
from app.errors import NotFound
from app.orders import bp
from app.staff.auth import staff_page


@bp.get("/staff/parcels")
@staff_page()
def staff_parcels():
    """One location's parcels to pick, pack and send, and those waiting here for their shopper."""
    places = [x for x in catalog.all_locations()]
    if current_user.role == "clerk" and current_user.location_id is not None:
        places = [x for x in places if x.id == current_user.location_id]
    wanted = (request.args.get("location") or "").strip().upper()
    chosen = next((x for x in places if x.code == wanted), None) if wanted else (places[0] if places else None)
    if wanted and chosen is None:
        raise NotFound("location_not_found", f"No location {wanted} of yours.")
    return render_template("orders/staff/parcels.html", places=places, place=chosen)
