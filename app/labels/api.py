"""JSON API for labels: list, print as PDF, QR images, replace."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.core.schemas import PUBLIC
from app.jobs import services as jobs
from app.labels import qr, schemas, services
from app.staff.auth import require_api_role, require_at
from app.transaction import writes

api = Blueprint("labels_api", __name__, url_prefix="/api/v1", description="QR shelf labels")


def _here(code: str) -> None:
    """403 when the caller may not act at the location with this code."""
    location = catalog.get_location(code)
    require_at(location.id, location.code)


@api.route("/labels")
@api.arguments(schemas.LabelArgs(), location="query")
@api.response(200, schemas.LabelPage)
@require_api_role("clerk", scope="labels:read")
def list_labels(args):
    """Current labels, filtered by location code and/or SKU."""
    if args["location"]:
        _here(args["location"])
    items, cursor = services.list_labels(args["location"], args["sku"], args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}


@api.route("/labels", methods=["POST"])
@writes
@api.arguments(schemas.PrintIn())
@api.response(200, description="A PDF of labels.", content_type="application/pdf")
@api.alt_response(202, schema=jobs.JobOut, description="A big job: made in the background; poll status_url.")
@require_api_role("clerk", scope="labels:write")
def print_labels(body):
    """Print labels for a location as a PDF (A4 sheets of 24, or 50x30 mm thermal labels)."""
    _here(body["location"])
    labels = services.labels_to_print(body["location"], body["skus"])
    if body["background"] or len(labels) > current_app.config["LABELS_SYNC_LIMIT"]:
        job = services.start_print_job(labels, body["format"])
        response = jsonify(jobs.job_json(job))
        response.status_code = 202
        response.headers["Location"] = jobs.job_json(job)["status_url"]
        return response
    pdf = services.render_now(labels, body["format"])
    name = f"labels-{body['location'].upper()}-{body['format']}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@api.route("/labels/<code>", methods=["GET"])
@api.response(200, schemas.LabelOut)
@require_api_role("clerk", scope="labels:read")
def get_label(code: str):
    """One label by code."""
    return services.resolve(code)


@api.route("/labels/<code>/replace", methods=["POST"])
@writes
@api.response(201, schemas.LabelOut)
@require_api_role("clerk", scope="labels:write")
def replace_label(code: str):
    """Retire a label and issue a new code; scans of the old code go to the new one."""
    label = services.resolve(code)
    require_at(label.location_id, label.location.code)
    new = services.replace_label(label)
    return new


@lru_cache(maxsize=4096)
def _qr_image(url: str, kind: str) -> bytes:
    return qr.qr_png(url) if kind == "png" else qr.qr_svg(url).encode()


def _qr_response(code: str, kind: str) -> Response:
    label = services.resolve(code)
    url = services.label_url(label.code)
    etag = hashlib.sha256(f"{url}|{kind}".encode()).hexdigest()[:32]
    response = Response(mimetype="image/png" if kind == "png" else "image/svg+xml")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    if request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    response.set_data(_qr_image(url, kind))
    return response


@api.route("/labels/<code>/qr.png")
@api.response(200, description="The label's QR code as PNG.", content_type="image/png")
@api.doc(security=PUBLIC)
def label_qr_png(code: str):
    """The QR image of a label (public: it holds only the label's URL)."""
    return _qr_response(code, "png")


@api.route("/labels/<code>/qr.svg")
@api.response(200, description="The label's QR code as SVG.", content_type="image/svg+xml")
@api.doc(security=PUBLIC)
def label_qr_svg(code: str):
    """The QR image of a label as SVG."""
    return _qr_response(code, "svg")
