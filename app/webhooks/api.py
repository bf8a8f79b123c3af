"""JSON API: admins register webhook endpoints, read their delivery log, send again, rotate secrets."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from app.outbox.catalogue import EVENT_TYPES
from app.staff.auth import require_api_role
from app.transaction import writes
from app.webhooks import services

api = Blueprint("webhooks_api", __name__, url_prefix="/api/v1", description="Signed webhooks")

EventType = ma.fields.String(
    validate=ma.validate.OneOf(sorted(EVENT_TYPES), error="Unknown event type {input}; see GET /api/v1/events.")
)


class EndpointIn(ma.Schema):
    url = ma.fields.Url(
        required=True, schemes={"http", "https"}, require_tld=False, validate=ma.validate.Length(max=2000)
    )
    events = ma.fields.List(
        EventType, load_default=list, metadata={"description": "event types to receive; every type when empty"}
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))


class EndpointPatch(ma.Schema):
    url = ma.fields.Url(schemes={"http", "https"}, require_tld=False, validate=ma.validate.Length(max=2000))
    events = ma.fields.List(EventType)
    description = ma.fields.String(validate=ma.validate.Length(max=200))
    enabled = ma.fields.Boolean(metadata={"description": "true re-enables the endpoint and clears its failures"})


class EndpointOut(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    description = ma.fields.String()
    events = ma.fields.List(ma.fields.String(), attribute="event_types")
    enabled = ma.fields.Boolean()
    disabled_reason = ma.fields.String(allow_none=True)
    disabled_at = ma.fields.DateTime(allow_none=True)
    failing_since = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    previous_secret_expires_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "until then the previous secret signs too"}
    )


class EndpointWithSecret(EndpointOut):
    secret = ma.fields.String(metadata={"description": "the signing secret: shown only now, keep it"})


class EndpointList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EndpointOut))
    notices = ma.fields.List(ma.fields.String(), metadata={"description": "endpoints the system disabled, and why"})


class DeliveryArgs(ma.Schema):
    cursor = ma.fields.String(load_default=None)
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class DeliveryOut(ma.Schema):
    id = ma.fields.Integer()
    event_id = ma.fields.Function(lambda d: d.event.uid)
    event_type = ma.fields.Function(lambda d: d.event.type)
    resource = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime(allow_none=True)
    last_status_code = ma.fields.Integer(allow_none=True)
    last_response = ma.fields.String(allow_none=True, metadata={"description": "the first 500 characters"})
    last_duration_ms = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    delivered_at = ma.fields.DateTime(allow_none=True)


class DeliveryPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DeliveryOut))
    next_cursor = ma.fields.String(allow_none=True)


@api.route("/webhooks")
class Endpoints(MethodView):
    @api.response(200, EndpointList)
    @require_api_role("admin", scope="webhooks:admin")
    def get(self):
        """Every webhook endpoint, with notices about endpoints the system disabled."""
        return {"items": services.list_endpoints(), "notices": services.notices()}

    @writes
    @api.arguments(EndpointIn())
    @api.response(201, EndpointWithSecret)
    @require_api_role("admin", scope="webhooks:admin")
    def post(self, body):
        """Register an endpoint; the answer holds its signing secret, shown only this once."""
        endpoint = services.create_endpoint(body["url"], body["events"], body["description"])
        return endpoint


@api.route("/webhooks/<int:endpoint_id>")
class EndpointById(MethodView):
    @api.response(200, EndpointOut)
    @require_api_role("admin", scope="webhooks:admin")
    def get(self, endpoint_id):
        """One endpoint."""
        return services.get_endpoint(endpoint_id)

    @writes
    @api.arguments(EndpointPatch())
    @api.response(200, EndpointOut)
    @require_api_role("admin", scope="webhooks:admin")
    def patch(self, body, endpoint_id):
        """Change the URL, events, description, or enable/disable the endpoint."""
        if "events" in body:
            body["event_types"] = body.pop("events")
        endpoint = services.update_endpoint(endpoint_id, **body)
        return endpoint

    @writes
    @api.response(204)
    @require_api_role("admin", scope="webhooks:admin")
    def delete(self, endpoint_id):
        """Remove an endpoint and its delivery log."""
        services.delete_endpoint(endpoint_id)


@api.route("/webhooks/<int:endpoint_id>/deliveries")
@api.arguments(DeliveryArgs(), location="query")
@api.response(200, DeliveryPage)
@require_api_role("admin", scope="webhooks:admin")
def list_deliveries(args, endpoint_id):
    """An endpoint's deliveries, newest first (page on with the cursor)."""
    items, cursor = services.list_deliveries(endpoint_id, args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}


@api.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
@writes
@api.response(202, DeliveryOut)
@require_api_role("admin", scope="webhooks:admin")
def retry_delivery(endpoint_id, delivery_id):
    """Send a delivery again, now (it gets a fresh series of attempts)."""
    delivery = services.retry_delivery(endpoint_id, delivery_id)
    return delivery


@api.route("/webhooks/<int:endpoint_id>/rotate-secret", methods=["POST"])
@writes
@api.response(200, EndpointWithSecret)
@require_api_role("admin", scope="webhooks:admin")
def rotate_secret(endpoint_id):
    """Give the endpoint a new secret (shown only now); the old one keeps signing for 24 hours."""
    endpoint = services.rotate_secret(endpoint_id)
    return endpoint
