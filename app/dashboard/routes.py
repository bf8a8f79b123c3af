"""The dashboard on the staff home page, and its fragment that the page fetches again on every change."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from app.catalog import services as catalog
from app.dashboard import bp, services
from app.money import format_money
from app.staff.auth import staff_page


def _stores() -> list:
    """A clerk's own store; for staff of every store, all of them (or the one chosen)."""
    stores = [loc for loc in catalog.all_locations() if loc.kind == "store"]
    if current_user.location_id:
        return [loc for loc in stores if loc.id == current_user.location_id]
    chosen = request.args.get("store")
    return [loc for loc in stores if loc.code == chosen] or stores if chosen else stores


@bp.app_template_global("manager_today")
def manager_today() -> dict:
    """What the staff home page shows of today (the stores this person runs)."""
    stores = _stores()
    data = services.today(stores)
    return {"stores": stores, "data": data, "money": lambda amount: format_money(amount, data["currency"])}


@bp.get("/staff/dashboard/today")
@staff_page("clerk")
def today_fragment():
    """Today's figures as the dashboard shows them (HTML fragment, fetched again live)."""
    return render_template("dashboard/_today.html", today=manager_today())
