"""Pages: scan analytics for a date range and a store, each report also as CSV."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, render_template, request
from flask_login import current_user

from app.analytics import bp, services, views
from app.catalog import services as catalog
from app.staff.auth import staff_page


def _day(text: str | None) -> date | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.get("/staff/analytics/scans")
@staff_page("clerk")
def scans_page():
    """What shoppers scanned, where and when, and what it led to; ?report=NAME&format=csv downloads one."""
    stores = [loc for loc in catalog.all_locations() if loc.kind == "store"]
    if current_user.location_id:
        stores = [loc for loc in stores if loc.id == current_user.location_id]
    chosen = request.args.get("location", "")
    ids = [loc.id for loc in stores if not chosen or loc.code == chosen]
    first, last = views.days(_day(request.args.get("from")), _day(request.args.get("to")))
    window = services.window(first, last, ids)
    wanted = request.args.get("report")
    if request.args.get("format") == "csv":
        if wanted not in services.REPORTS:
            abort(404)
        return views.csv_response(wanted, services.report(wanted, window), first, last)
    reports = {name: services.report(name, window) for name in services.REPORTS}
    return render_template(
        "analytics/scans.html",
        reports=reports,
        titles=views.TITLES,
        columns=views.COLUMNS,
        stores=stores,
        chosen=chosen,
        first=first,
        last=last,
        cell=views.cell,
    )
