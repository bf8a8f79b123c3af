"""JSON API: a shopper rates what happened to them; staff read ratings with their summary.

A shopper is the phone's signed-in member or, for a guest, its shopper session and the guest
receipts it keeps: cookies, so the write proves CSRF.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.core.schemas import PUBLIC
from app.errors import Forbidden
from app.extensions import csrf
from app.feedback import schemas, services
from app.feedback.routes import rater
from app.feedback.subjects import subject_of
from app.staff.auth import current_actor, require_api_role
from app.transaction import writes

api = Blueprint("feedback_api", __name__, url_prefix="/api/v1", description="Feedback")


@api.route("/feedback", methods=["POST"])
@writes
@api.arguments(schemas.FeedbackIn())
@api.response(201, schemas.FeedbackOut)
@api.alt_response(409, description="Not over yet (not_finished), or rated already (already_rated).")
@api.doc(security=PUBLIC)
def give_feedback(body):
    """Rate an order, a parcel, a return or a help request of this shopper's, 1 to 5, once."""
    csrf.protect()
    subject = subject_of(body["subject"], body["ref"])
    return services.feedback_json(services.give(subject, rater(), body["rating"], body["comment"])), 201


@api.route("/feedback", methods=["GET"])
@api.arguments(schemas.FeedbackQuery(), location="query")
@api.response(200, schemas.FeedbackListOut)
@require_api_role("clerk", scope="feedback:read")
def list_feedback(args):
    """Ratings in a date range at a store (a clerk sees their own store), with per-group counts."""
    actor = current_actor()
    since, until = services.days_range(args["since"], args["until"])
    ids: list[int] | None = [actor.store_id] if actor.store_id else None
    if args["location"]:
        location = catalog.get_location(args["location"])
        if (ids is not None and location.id not in ids) or not actor.may_at(location.id):
            raise Forbidden("other_store", "You can read your own store's feedback only.")
        ids = [location.id]
    elif actor.location_ids is not None:
        ids = sorted(actor.location_ids) if ids is None else [i for i in ids if i in actor.location_ids]
    rows = services.ratings(ids, since, until)
    return {"items": [services.feedback_json(row) for row in rows[:500]], "summary": services.summary(rows)}
