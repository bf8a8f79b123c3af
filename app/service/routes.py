"""Pages: a kiosk screen calls staff; the staff's shop-floor page claims and answers help requests live."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.catalog import services as catalog
from app.catalog.models import Location
from app.db import utcnow
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.kiosks import auth as kiosk_auth
from app.kiosks import services as kiosks
from app.scans.models import Scan
from app.service import bp, services
from app.staff.auth import staff_page
from app.transaction import writes

UNKNOWN_CODES_DAYS = 7


@bp.post("/kiosk/help")
@writes
def kiosk_call_staff():
    """The shopper pressed "Call staff" on the kiosk screen (JSON; CSRF in the X-CSRFToken header)."""
    device = kiosk_auth.calling_screen()
    body = request.get_json(silent=True) or {}
    topic = body.get("topic") if isinstance(body.get("topic"), str) else ""
    help_request = services.call_staff(device, kiosks.ensure_session(device), topic)
    return jsonify(services.help_json(help_request)), 201


@bp.post("/kiosk/help/cancel")
@writes
def kiosk_cancel_help():
    """The shopper no longer needs help."""
    device = kiosk_auth.calling_screen()
    kiosk_session = kiosks.current_session(device)
    help_request = services.open_request_of(kiosk_session.id) if kiosk_session else None
    if help_request is not None and help_request.status == "open":
        services.move(help_request, "cancelled", by="shopper")
    return jsonify(services.help_json(help_request) if help_request else {"status": "none"})


def _my_locations():
    """The stores this clerk looks after: their own, or every one."""
    if current_user.location_id:
        return [db.session.get(Location, current_user.location_id)]
    return [loc for loc in catalog.all_locations() if loc.kind == "store"]


def unknown_codes(location_ids: list[int]) -> list[dict]:
    """Codes scanned in these stores lately that nobody knew, most recent first."""
    since = utcnow() - timedelta(days=UNKNOWN_CODES_DAYS)
    rows = db.session.execute(
        select(Scan.code, Scan.location_id, func.count(), func.max(Scan.created_at))
        .where(Scan.outcome == "unknown", Scan.created_at >= since, Scan.location_id.in_(location_ids))
        .group_by(Scan.code, Scan.location_id)
        .order_by(func.max(Scan.created_at).desc())
        .limit(100)
    )
    return [{"code": code, "location_id": loc, "times": n, "last": last} for code, loc, n, last in rows]


@bp.get("/staff/help")
@staff_page("clerk")
def help_desk():
    """Help requests from the kiosks (live) and the codes shoppers scanned that nobody knew."""
    locations = _my_locations()
    ids = [loc.id for loc in locations]
    template = "service/_requests.html" if request.args.get("part") == "requests" else "service/help.html"
    now = utcnow()
    requests = services.active_requests(ids)
    return render_template(
        template,
        locations=locations,
        by_id={loc.id: loc for loc in locations},
        requests=requests,
        late={item.id for item in requests if services.is_late(item, now)},
        deadline=services.deadline,
        unknown=unknown_codes(ids),
        days=UNKNOWN_CODES_DAYS,
    )


@bp.post("/staff/help/<int:request_id>/<action>")
@staff_page("clerk")
@writes
def answer_help(request_id: int, action: str):
    """ "On my way" (claimed; a kiosk's: answered), "Answered" or "Done" (closed)."""
    help_request = services.get_request(request_id)
    if current_user.location_id and help_request.location_id != current_user.location_id:
        raise Forbidden("other_store", "This help request is at another store.")
    status = {"claim": "claimed", "answer": "answered", "close": "closed"}.get(action)
    if status is None:
        return redirect(url_for("service.help_desk"))
    try:
        services.move(help_request, status, by=current_user.name)
        flash(f"Help request at {help_request.location.name} marked {status}.", "info")
    except DomainError as error:  # another clerk was quicker
        db.session.rollback()  # the answer is a redirect, which the door would commit
        flash(error.message, "error")
    return redirect(url_for("service.help_desk"))
