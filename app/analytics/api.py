"""JSON API: one scan analytics report for a date range and a store."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from app.analytics import services, views
from app.catalog import services as catalog
from app.catalog.schemas import StrictSchema
from app.errors import Forbidden
from app.staff.auth import current_actor, require_api_role

api = Blueprint("analytics_api", __name__, url_prefix="/api/v1", description="Scan analytics")


class ReportQuery(StrictSchema):
    report = ma.fields.String(
        required=True,
        validate=validate.OneOf(services.REPORTS),
        metadata={"description": "products, stores, hours, not_bought, out_of_stock or unknown."},
    )
    location = ma.fields.String(load_default=None, metadata={"description": "A store's code (default: every one)."})
    first = ma.fields.Date(
        load_default=None, data_key="from", metadata={"description": "First day (default: 6 days ago)."}
    )
    last = ma.fields.Date(
        load_default=None, data_key="to", metadata={"description": "Last day, included (default today)."}
    )


class ReportOut(ma.Schema):
    report = ma.fields.String()
    first = ma.fields.String(data_key="from", metadata={"description": "The first of the stores' days counted."})
    last = ma.fields.String(data_key="to", metadata={"description": "The last of the stores' days counted."})
    rows = ma.fields.List(ma.fields.Dict(), metadata={"description": "The report's rows, at most 100 (by hour: all)."})


def _store_ids(location: str | None) -> list[int]:
    """The stores this caller may read, or the one it names."""
    actor = current_actor()
    stores = [loc for loc in catalog.all_locations() if loc.kind == "store" and actor.may_at(loc.id)]
    if actor.store_id:
        stores = [loc for loc in stores if loc.id == actor.store_id]
    if location:
        place = catalog.get_location(location)
        if place.id not in {loc.id for loc in stores}:
            raise Forbidden("other_store", "You can read your own stores' analytics only.")
        return [place.id]
    return [loc.id for loc in stores]


@api.route("/analytics/scans", methods=["GET"])
@api.arguments(ReportQuery(), location="query")
@api.response(200, ReportOut)
@require_api_role("clerk", scope="scans:analytics")
def scan_report(args):
    """A scan analytics report over the stores' own days (each report is described in the page's help)."""
    first, last = views.days(args["first"], args["last"])
    rows = services.report(args["report"], services.window(first, last, _store_ids(args["location"])))
    return {
        "report": args["report"],
        "first": first.isoformat(),
        "last": last.isoformat(),
        "rows": views.json_rows(rows),
    }


@api.route("/analytics/scans.csv", methods=["GET"])
@api.arguments(ReportQuery(), location="query")
@api.response(200, description="The report as CSV, with a header row.", content_type="text/csv")
@require_api_role("clerk", scope="scans:analytics")
def scan_report_csv(args):
    """The same report as a CSV download."""
    first, last = views.days(args["first"], args["last"])
    rows = services.report(args["report"], services.window(first, last, _store_ids(args["location"])))
    return views.csv_response(args["report"], rows, first, last)
