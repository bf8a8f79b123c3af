"""Pages: the shopper rates what happened (works without script); staff read the ratings, live.

The rating form posts to the same page; the staff page joins each of its stores' staff rooms
(``staff:subscribe``) and adds ``feedback:new`` rows as they come, low ones marked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import render_template, request, url_for
from flask_login import current_user

from app.catalog import services as catalog
from app.errors import DomainError, NotFound
from app.feedback import bp, services
from app.feedback.models import LOW, SUBJECTS
from app.feedback.subjects import Subject, subject_of
from app.members.auth import current_member
from app.orders.phone import guest_receipts
from app.shop.routes import shopper_session
from app.staff.auth import staff_page
from app.transaction import writes

LABELS = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}


def rater() -> services.Rater:
    """This phone: its member, else its shopper session and the guest receipts it keeps."""
    member = current_member()
    session_id, new = shopper_session()
    return services.Rater(member.id if member else None, None if new else session_id, tuple(guest_receipts()))


def _open(kind: str, ref: str) -> Subject | None:
    """The subject if this phone may rate it (else None: it is not theirs to see)."""
    try:
        subject = subject_of(kind, ref)
    except (NotFound, DomainError):
        return None
    return subject if services.may_rate(subject, rater()) else None


@bp.app_template_global("feedback_for")
def feedback_for(kind: str, ref: object) -> dict | None:
    """For a shopper's page: where to rate this subject and the rating given, once it is over."""
    subject = _open(kind, str(ref))
    if subject is None or not subject.over:
        return None
    row = services.given(subject)
    return {"url": url_for("feedback.rate_page", kind=kind, ref=subject.ref), "rating": row.rating if row else None}


@bp.route("/feedback/<kind>/<ref>", methods=["GET", "POST"])
@writes
def rate_page(kind: str, ref: str):
    """Rate an order, a parcel, a return or a help request (1-5, and a comment), once."""
    subject = _open(kind, ref) if kind in SUBJECTS else None
    if subject is None:
        return render_template("feedback/not_found.html"), 404
    row, error = services.given(subject), None
    if request.method == "POST" and row is None:
        try:
            rating = request.form.get("rating", "")
            chosen = int(rating) if rating.isdigit() else None
            row = services.give(subject, rater(), chosen, request.form.get("comment"))
        except DomainError as refused:
            error, row = refused, None
    status = 422 if error is not None else 200
    back = request.args.get("back") or request.form.get("back") or ""
    back = back if back.startswith("/") and not back.startswith("//") else ""
    page = render_template("feedback/rate.html", subject=subject, row=row, error=error, labels=LABELS, back=back)
    return page, status


def _my_store_ids() -> list[int] | None:
    """A clerk's own store; every store for staff without one."""
    return [current_user.location_id] if current_user.location_id else None


def _day(text: str | None) -> date | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.get("/staff/feedback")
@staff_page("clerk")
def staff_feedback():
    """Ratings per store, channel, clerk and week, and the latest ones (low ones marked), live."""
    since, until = services.days_range(_day(request.args.get("from")), _day(request.args.get("to")))
    ids = _my_store_ids()
    chosen = request.args.get("location", type=int)
    if chosen and (ids is None or chosen in ids):
        ids = [chosen]
    rows = services.ratings(ids, since, until)
    stores = [loc for loc in catalog.all_locations() if loc.kind == "store"]
    if _my_store_ids() is not None:
        stores = [loc for loc in stores if loc.id in _my_store_ids()]
    return render_template(
        "feedback/staff.html",
        rows=rows[:100],
        summary=services.summary(rows),
        stores=stores,
        chosen=chosen,
        since=since,
        until=until - timedelta(days=1),
        places={loc.id: loc for loc in stores},
        names={loc.id: loc.name for loc in stores},
        low=LOW,
    )
