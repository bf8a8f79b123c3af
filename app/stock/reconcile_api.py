"""JSON API for counts from outside systems: send a count, read its drift report, apply lines."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.core.csvfiles import decode
from app.core.pagination import paginate, paginate_desc
from app.errors import DomainError
from app.extensions import db
from app.idempotency.services import idempotent
from app.jobs import services as jobs
from app.jobs.models import Job
from app.staff.auth import allowed_locations, current_actor, require_api_role, require_at
from app.stock import reconcile
from app.stock.snapshot_models import StockSnapshot, StockSnapshotLine
from app.transaction import writes

api = Blueprint("stock_reconcile_api", __name__, url_prefix="/api/v1", description="Stock counts from outside systems")


class CountLineIn(ma.Schema):
    sku = ma.fields.String(required=True)
    counted = ma.fields.Raw(required=True, metadata={"description": "Units found, 0 to 10,000,000."})


class SnapshotIn(ma.Schema):
    location = ma.fields.String(required=True)
    taken_at = ma.fields.String(required=True, metadata={"description": "When the count was taken (ISO time)."})
    lines = ma.fields.List(ma.fields.Dict(), required=True, metadata={"description": "[{sku, counted}, ...]"})


class SnapshotLineOut(ma.Schema):
    sku = ma.fields.String()
    name = ma.fields.String()
    counted = ma.fields.Integer(allow_none=True)
    ours_then = ma.fields.Integer(metadata={"description": "Our on hand at taken_at."})
    ours_now = ma.fields.Integer(metadata={"description": "Our on hand when the report was made."})
    drift = ma.fields.Integer(allow_none=True, metadata={"description": "counted - ours_then"})
    applied = ma.fields.Boolean()


class SnapshotOut(ma.Schema):
    id = ma.fields.Integer()
    location = ma.fields.String()
    taken_at = ma.fields.String()
    status = ma.fields.String(metadata={"description": "building (a job makes the report) or ready"})
    rows = ma.fields.Integer()
    drift_count = ma.fields.Integer()
    not_counted_count = ma.fields.Integer()
    alert_count = ma.fields.Integer()
    created_at = ma.fields.String()
    status_url = ma.fields.String(allow_none=True)
    url = ma.fields.String()


class SnapshotJobOut(jobs.JobOut):
    snapshot = ma.fields.Nested(
        SnapshotOut, metadata={"description": "The count; its report is ready when the job is done."}
    )


class SnapshotReport(SnapshotOut):
    kind = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(SnapshotLineOut))
    next_cursor = ma.fields.String(allow_none=True)


class SnapshotPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SnapshotOut))
    next_cursor = ma.fields.String(allow_none=True)


class ReportArgs(ma.Schema):
    kind = ma.fields.String(load_default="drift", validate=ma.validate.OneOf(["drift", "not_counted"]))
    cursor = ma.fields.String(load_default=None)
    limit = ma.fields.Integer(load_default=100)


class ListArgs(ma.Schema):
    location = ma.fields.String(load_default=None)
    cursor = ma.fields.String(load_default=None)
    limit = ma.fields.Integer(load_default=50)


class ApplyIn(ma.Schema):
    skus = ma.fields.List(ma.fields.String(), load_default=None)
    all = ma.fields.Boolean(load_default=False)


class ApplyOut(ma.Schema):
    snapshot = ma.fields.Integer()
    applied = ma.fields.List(ma.fields.String())
    already_applied = ma.fields.List(ma.fields.String())


def actor_label() -> str:
    actor = current_actor()
    return f"{actor.kind}:{actor.id} {actor.name}"[:80] if actor else ""


def snapshot_json(snapshot: StockSnapshot, location: Location | None = None) -> dict:
    location = location or db.session.get(Location, snapshot.location_id)
    job = db.session.get(Job, snapshot.job_id) if snapshot.job_id else None
    return {
        "id": snapshot.id,
        "location": location.code,
        "taken_at": snapshot.taken_at.isoformat(),
        "status": snapshot.status,
        "rows": snapshot.rows,
        "drift_count": snapshot.drift_count,
        "not_counted_count": snapshot.not_counted_count,
        "alert_count": snapshot.alert_count,
        "created_at": snapshot.created_at.isoformat(),
        "status_url": jobs.job_json(job)["status_url"] if job else None,
        "url": f"/api/v1/stock/snapshots/{snapshot.id}",
    }


def lines_json(lines: list[StockSnapshotLine]) -> list[dict]:
    products = {}
    if lines:
        ids = {line.product_id for line in lines}
        products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [
        {
            "sku": products[line.product_id].sku,
            "name": products[line.product_id].name,
            "counted": line.counted,
            "ours_then": line.ours_then,
            "ours_now": line.ours_now,
            "drift": line.drift,
            "applied": line.applied_at is not None,
        }
        for line in lines
    ]


def _visible(snapshot_id: int) -> StockSnapshot:
    snapshot = reconcile.get_snapshot(snapshot_id)
    require_at(snapshot.location_id)
    return snapshot


def _received_count() -> tuple[Location, reconcile.Checked]:
    """The count in the request (JSON body, or a CSV with location and taken_at as query/form fields), checked."""
    if request.is_json:
        body = request.get_json()
        errors = SnapshotIn().validate(body if isinstance(body, dict) else {})
        if errors:
            raise DomainError("invalid_body", "Send location, taken_at and lines.", details=errors)
        location_code, taken_at, rows = body["location"], body["taken_at"], reconcile.rows_from_json(body["lines"])
    else:
        data = request.files["file"].read() if "file" in request.files else request.get_data()
        if not data:
            raise DomainError("empty_file", "Send JSON, or a CSV as the 'file' field or as the body.", status=400)
        location_code, taken_at = request.values.get("location", ""), request.values.get("taken_at", "")
        if not location_code or not taken_at:
            raise DomainError("invalid_body", "A CSV count needs location and taken_at (query or form fields).")
        rows = reconcile.rows_from_csv(decode(data))
    location = catalog.get_location(location_code)
    # The location first: a key of another store learns nothing about the file.
    require_at(location.id, location.code)
    return location, reconcile.check(location, reconcile.parse_taken_at(taken_at), rows)


@api.route("/stock/snapshots", methods=["POST"])
@writes
@require_api_role("clerk", scope="stock:write")
@api.response(201, SnapshotReport)
@api.alt_response(
    202, schema=SnapshotJobOut, description="A count of more than 1,000 lines: its report is made by a job."
)
def create_snapshot():
    """Send an outside system's full count of one location; answers where it and the ledger disagree.

    JSON ``{location, taken_at, lines: [{sku, counted}]}`` or a ``sku,counted`` CSV (multipart
    field ``file`` or a text/csv body, with ``location`` and ``taken_at`` as query or form fields),
    up to 100,000 lines. Every line is checked first: 422 naming the bad lines, nothing recorded.
    """
    location, checked = _received_count()
    if len(checked.counts) > reconcile.sync_limit():
        snapshot, job = reconcile.start_snapshot_job(checked, actor_label())
        answer = {**jobs.job_json(job), "snapshot": snapshot_json(snapshot, location)}
        response = jsonify(answer)
        response.status_code = 202
        response.headers["Location"] = answer["status_url"]
        return response
    snapshot = reconcile.record_snapshot(checked, actor_label())
    rows, cursor = paginate(reconcile.lines_query(snapshot), StockSnapshotLine.id, None, 100)
    response = jsonify(
        {**snapshot_json(snapshot, location), "kind": "drift", "items": lines_json(rows), "next_cursor": cursor}
    )
    response.status_code = 201
    return response


@api.route("/stock/snapshots", methods=["GET"])
@api.arguments(ListArgs(), location="query")
@api.response(200, SnapshotPage)
@require_api_role("clerk", scope="stock:read")
def list_snapshots(args):
    """Counts received, newest first, at one location or every one the caller may see."""
    query = reconcile.snapshots_query(allowed_locations())
    if args["location"]:
        location = catalog.get_location(args["location"])
        require_at(location.id, location.code)
        query = query.where(StockSnapshot.location_id == location.id)
    rows, cursor = paginate_desc(query, StockSnapshot.id, args["cursor"], args["limit"])
    return {"items": [snapshot_json(s) for s in rows], "next_cursor": cursor}


@api.route("/stock/snapshots/<int:snapshot_id>", methods=["GET"])
@api.arguments(ReportArgs(), location="query")
@api.response(200, SnapshotReport)
@require_api_role("clerk", scope="stock:read")
def get_snapshot(args, snapshot_id: int):
    """A count's report: its drift lines (or, with kind=not_counted, what it left out), a page at a time."""
    snapshot = _visible(snapshot_id)
    rows, cursor = paginate(
        reconcile.lines_query(snapshot, args["kind"]), StockSnapshotLine.id, args["cursor"], args["limit"]
    )
    return {**snapshot_json(snapshot), "kind": args["kind"], "items": lines_json(rows), "next_cursor": cursor}


@api.route("/stock/snapshots/<int:snapshot_id>/apply", methods=["POST"])
@idempotent
@require_api_role("clerk", scope="stock:write")
@api.arguments(ApplyIn())
@api.response(200, ApplyOut)
def apply_snapshot(body, snapshot_id: int):
    """Correct our stock by the chosen drift lines (``skus``, or ``all: true``): count movements, all or none.

    Send an Idempotency-Key header. A line applied once is never applied again (it is listed
    under already_applied); 409 when a level changed so that a correction would go below zero.
    """
    if not body["all"] and not body["skus"]:
        raise DomainError("nothing_chosen", "Send skus: [...] or all: true.")
    snapshot = _visible(snapshot_id)
    result = reconcile.apply(snapshot, None if body["all"] else body["skus"], actor_label())
    return jsonify(result)
