"""Feedback: give a rating once, and read ratings per store, channel, clerk and week.

Services flush; the door commits. A low rating is pushed to the store's staff room once the
rating is committed, and recorded in the outbox for integrations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.catalog import services as catalog
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden
from app.extensions import db
from app.feedback.models import LOW, Feedback
from app.feedback.subjects import Subject
from app.outbox import services as outbox
from app.realtime import queue_event
from app.stock import live as stock_live

COMMENT_MAX = 1000


@dataclass(frozen=True)
class Rater:
    """Who is rating: a signed-in member, else this phone's shopper session and kept guest receipts."""

    member_id: int | None
    shopper_session: str | None = None
    guest_orders: tuple[str, ...] = ()


def may_rate(subject: Subject, rater: Rater) -> bool:
    """Only the shopper it served: the member, or the guest phone that asked or paid."""
    if subject.member_id is not None:
        return rater.member_id == subject.member_id
    if subject.shopper_session is not None:
        return rater.shopper_session == subject.shopper_session
    return subject.kind == "order" and subject.ref in rater.guest_orders


def given(subject: Subject) -> Feedback | None:
    """The rating already given for this subject, if any."""
    return db.session.scalar(select(Feedback).filter_by(subject=subject.kind, subject_id=subject.id))


def _check(rating: object, comment: object) -> tuple[int, str]:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise DomainError("invalid_rating", "Choose a rating from 1 (very poor) to 5 (excellent).", status=422)
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise DomainError("invalid_comment", "The comment must be text.", status=422)
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError("comment_too_long", f"Keep the comment under {COMMENT_MAX} characters.", status=422)
    return rating, comment


def give(subject: Subject, rater: Rater, rating: object, comment: object = "") -> Feedback:
    """Record the shopper's rating of ``subject``; refused if not theirs, not over, or rated already."""
    rating, comment = _check(rating, comment)
    if not may_rate(subject, rater):
        raise Forbidden("not_yours", "Only the shopper who was served can rate this.")
    if not subject.over:
        raise Conflict("not_finished", f"{subject.title} can be rated once it is over.")
    if given(subject) is not None:
        raise Conflict("already_rated", f"{subject.title} was rated already: thank you.")
    row = Feedback(
        subject=subject.kind,
        subject_id=subject.id,
        title=subject.title[:120],
        location_id=subject.location_id,
        channel=subject.channel,
        clerk=subject.clerk[:120],
        member_id=subject.member_id,
        rating=rating,
        comment=comment,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # The same shopper pressed twice at once: the first press is the rating.
        raise Conflict("already_rated", f"{subject.title} was rated already: thank you.") from None
    _announce(row)
    return row


def feedback_json(row: Feedback) -> dict:
    """A rating as staff pages, the API and live pushes show it."""
    return {
        "id": row.id,
        "subject": row.subject,
        "title": row.title,
        "location": row.location_id,
        "channel": row.channel,
        "clerk": row.clerk,
        "rating": row.rating,
        "comment": row.comment,
        "low": row.rating <= LOW,
        "created_at": row.created_at.isoformat(),
    }


def _announce(row: Feedback) -> None:
    data = feedback_json(row)
    queue_event(db.session, "feedback:new", data, room=stock_live.staff_room(row.location_id))
    outbox.record("feedback.given", f"feedback/{row.id}", {k: v for k, v in data.items() if k != "id"})


def ratings(location_ids: Iterable[int] | None, since: datetime, until: datetime) -> list[Feedback]:
    """Ratings given in [since, until) at these stores (every store when None), newest first."""
    query = select(Feedback).where(Feedback.created_at >= since, Feedback.created_at < until)
    if location_ids is not None:
        query = query.where(Feedback.location_id.in_(list(location_ids)))
    return list(db.session.scalars(query.order_by(Feedback.created_at.desc(), Feedback.id.desc())))


def _week_of(moment: datetime, timezone: str) -> str:
    """The ISO week, in the store's time zone, that a moment falls in ("2026-W49")."""
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def summary(rows: list[Feedback]) -> dict[str, list[dict]]:
    """Count, average and low ratings per store, channel, clerk and week (the store's own weeks)."""
    places = catalog.locations_by_id({row.location_id for row in rows})
    groups: dict[str, dict[str, list[int]]] = {key: defaultdict(list) for key in ("store", "channel", "clerk", "week")}
    for row in rows:
        place = places.get(row.location_id)
        groups["store"][place.name if place else str(row.location_id)].append(row.rating)
        groups["channel"][row.channel].append(row.rating)
        groups["clerk"][row.clerk or "(no clerk)"].append(row.rating)
        groups["week"][_week_of(row.created_at, place.timezone if place else "UTC")].append(row.rating)
    return {key: [_stats(name, values) for name, values in sorted(found.items())] for key, found in groups.items()}


def _stats(name: str, values: list[int]) -> dict:
    # The average is shown to one decimal: ten times it, rounded half up, in whole numbers.
    tenths = (sum(values) * 20 + len(values)) // (2 * len(values))
    return {
        "name": name,
        "count": len(values),
        "average": f"{tenths // 10}.{tenths % 10}",
        "low": sum(1 for v in values if v <= LOW),
    }


def days_range(first: date | None, last: date | None, days: int = 28) -> tuple[datetime, datetime]:
    """[first day 00:00, the day after the last 00:00) in UTC; by default the last ``days`` days to today."""
    last = last or utcnow().date()
    first = first or last - timedelta(days=days - 1)
    start = datetime.combine(first, time(), UTC)
    return start, datetime.combine(last + timedelta(days=1), time(), UTC)
