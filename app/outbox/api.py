"""JSON API: the domain events as a cursor feed, for integrations that poll instead of taking webhooks."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from webargs.fields import DelimitedList

from app.outbox import services
from app.outbox.catalogue import EVENT_TYPES
from app.staff.auth import require_api_role

api = Blueprint("events_api", __name__, url_prefix="/api/v1", description="Domain events")


class EventArgs(ma.Schema):
    after = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0, max=2**62),
        metadata={"description": "the seq of the last event you have; 0 for the first"},
    )
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    types = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf(sorted(EVENT_TYPES))),
        load_default=list,
        metadata={"description": "comma-separated event types; every type when left out"},
    )


class EventOut(ma.Schema):
    id = ma.fields.String(metadata={"description": "unique and stable: the webhook-id of its deliveries"})
    seq = ma.fields.Integer(metadata={"description": "its place in the feed; only grows"})
    type = ma.fields.String()
    resource = ma.fields.String()
    occurred_at = ma.fields.String()
    data = ma.fields.Dict()


class EventPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EventOut))
    next_after = ma.fields.Integer(metadata={"description": "pass as after= for the next page"})
    types = ma.fields.Dict(metadata={"description": "every event type and what it means"})


@api.route("/events")
@api.arguments(EventArgs(), location="query")
@api.response(200, EventPage)
@require_api_role("admin", scope="events:read")
def list_events(args):
    """Published domain events after a cursor, oldest first."""
    rows = services.events_after(args["after"], args["limit"], args["types"])
    items = [services.event_json(row) for row in rows]
    return {"items": items, "next_after": rows[-1].seq if rows else args["after"], "types": EVENT_TYPES}
