"""JSON API for one identity: verify identifiers, reset passwords; staff find, import and merge members."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, jsonify, request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import validate

from app.catalog.schemas import StrictSchema
from app.core.schemas import MEMBER, PUBLIC
from app.errors import DomainError
from app.extensions import limiter, signin_limit
from app.jobs import services as jobs
from app.members import auth, loyalty, merge, services, verification
from app.members.models import Member
from app.scans import services as scans
from app.staff.auth import current_actor, require_api_role
from app.transaction import writes

api = Blueprint(
    "member_identity_api", __name__, url_prefix="/api/v1", description="Member identity: verification, resets, merges"
)


# ---- shapes ----------------------------------------------------------------------------


class IdentifierIn(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(verification.VERIFIABLE_KINDS))
    value = ma.fields.String(required=True, validate=validate.Length(min=1, max=254))


class VerifyIn(IdentifierIn):
    code = ma.fields.String(required=True, validate=validate.Length(max=12))


class ResetIn(StrictSchema):
    login = ma.fields.String(required=True, metadata={"description": "E-mail or phone number of the account."})


class ResetConfirmIn(ResetIn):
    code = ma.fields.String(required=True, validate=validate.Length(max=12))
    password = ma.fields.String(required=True, load_only=True)


class OwnIdentifierOut(ma.Schema):
    kind = ma.fields.String()
    value = ma.fields.String()
    verified = ma.fields.Boolean()


class StaffIdentifierOut(OwnIdentifierOut):
    source = ma.fields.String()
    created_at = ma.fields.DateTime()


class MessageOut(ma.Schema):
    message = ma.fields.String()


class MemberSummary(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    points = ma.fields.Integer()
    merged_into_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    identifiers = ma.fields.List(ma.fields.Nested(StaffIdentifierOut))


class MemberScanOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    channel = ma.fields.String()
    at = ma.fields.DateTime()
    sku = ma.fields.String(allow_none=True)
    product = ma.fields.String(allow_none=True)
    location = ma.fields.String(allow_none=True)


class MergeOut(ma.Schema):
    id = ma.fields.Integer()
    kept_member_id = ma.fields.Integer()
    merged_member_id = ma.fields.Integer()
    staff_user_id = ma.fields.Integer(allow_none=True)
    moved = ma.fields.Dict()
    created_at = ma.fields.DateTime()


class MemberDetail(MemberSummary):
    has_password = ma.fields.Boolean()
    recent_scans = ma.fields.List(ma.fields.Nested(MemberScanOut))
    merges = ma.fields.List(ma.fields.Nested(MergeOut))


class MemberList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MemberSummary))


class SearchArgs(StrictSchema):
    q = ma.fields.String(load_default="", metadata={"description": "Id, e-mail, phone, card, or part of a name."})
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LoyaltyImportArgs(StrictSchema):
    mode = ma.fields.String(load_default="all", validate=validate.OneOf(["all", "valid_only"]))


class MergeFrom(StrictSchema):
    merged = ma.fields.Integer(required=True, data_key="from", metadata={"description": "Member to merge away."})


class PreviewOut(ma.Schema):
    kept = ma.fields.Nested(MemberSummary)
    merged = ma.fields.Nested(MemberSummary)
    moves = ma.fields.Dict(metadata={"description": "How many of each kind would move."})


def summary(member: Member) -> dict:
    """A member as staff see it in lists."""
    return {
        "id": member.id,
        "name": member.name,
        "points": member.points,
        "merged_into_id": member.merged_into_id,
        "created_at": member.created_at,
        "identifiers": services.identifiers_of(member),
    }


def member_by_id(member_id: int) -> Member:
    """The member row itself (not followed through merges), if the caller may see it; else 404."""
    return services.member_for_staff(member_id, current_actor().store_id)


# ---- the signed-in member --------------------------------------------------------------


@api.route("/members/me/identifiers", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@auth.require_member_api
@api.arguments(IdentifierIn())
@api.response(201, OwnIdentifierOut)
@api.doc(security=MEMBER)
def add_identifier(body):
    """Add an e-mail or phone to my account (409 if another member has it); a code is sent to it."""
    identifier = verification.add_identifier(auth.current_member(), body["kind"], body["value"])
    return identifier


@api.route("/members/me/identifiers/verify", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@auth.require_member_api
@api.arguments(VerifyIn())
@api.response(200, OwnIdentifierOut)
@api.doc(security=MEMBER)
def verify_identifier(body):
    """Confirm my e-mail or phone with the code sent to it (5 attempts per code)."""
    with verification.attempts_count():
        identifier = verification.verify_identifier(auth.current_member(), body["kind"], body["value"], body["code"])
    return identifier


@api.route("/members/me/identifiers/resend", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@auth.require_member_api
@api.arguments(IdentifierIn())
@api.response(202, MessageOut)
@api.doc(security=MEMBER)
def resend_code(body):
    """Send a new code to my unverified e-mail or phone."""
    identifier = verification.own_identifier(auth.current_member(), body["kind"], body["value"])
    verification.send_identifier_code(identifier)
    return {"message": "We sent a new code."}


# ---- forgotten passwords ---------------------------------------------------------------

RESET_SENT = "If an account has this e-mail or phone, we sent it a code. It works for 10 minutes."


@api.route("/password-resets", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@api.arguments(ResetIn())
@api.response(202, MessageOut)
@api.doc(security=PUBLIC)
def request_reset(body):
    """Send a reset code to the account's e-mail or phone; the answer is the same for unknown accounts."""
    verification.request_reset(body["login"])
    return {"message": RESET_SENT}


@api.route("/password-resets/confirm", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@api.arguments(ResetConfirmIn())
@api.response(204)
@api.doc(security=PUBLIC)
def confirm_reset(body):
    """Set a new password with the code; every device is signed out. Wrong codes answer 422."""
    with verification.attempts_count():
        verification.reset_password(body["login"], body["code"], body["password"])


# ---- staff -----------------------------------------------------------------------------


@api.route("/members", methods=["GET"])
@require_api_role("clerk", scope="members:read")
@api.arguments(SearchArgs(), location="query")
@api.response(200, MemberList)
def search(args):
    """Find members by id, e-mail, phone, loyalty card, outside id or name (newest first)."""
    found = merge.search_members(args["q"], args["limit"], current_actor().store_id)
    return {"items": [summary(m) for m in found]}


@api.route("/members/<int:member_id>", methods=["GET"])
@require_api_role("clerk", scope="members:read")
@api.response(200, MemberDetail)
def member_detail(member_id: int):
    """One member for staff: identifiers, recent scans, merges."""
    member = member_by_id(member_id)
    items, _ = scans.member_history(member.id, None, 20)
    return {
        **summary(member),
        "has_password": bool(member.password_hash),
        "recent_scans": items,
        "merges": merge.merges_of(member),
    }


@api.route("/members/import", methods=["POST"])
@writes
@require_api_role("admin", scope="members:write")
@api.arguments(LoyaltyImportArgs(), location="query")
@api.response(200, loyalty.LoyaltyImportResult)
@api.alt_response(202, schema=jobs.JobOut, description="A large file: imported in the background.")
def import_members(args):
    """Import the old POS's loyalty members from CSV (multipart ``file`` or a text/csv body).

    Columns: card_number (required), phone, name, points, email. With mode=all nothing is
    written when any row is bad (422 with per-line errors).
    """
    data = request.files["file"].read() if "file" in request.files else request.get_data()
    if not data:
        raise DomainError("empty_file", "Send a CSV file as the 'file' field or as the body.", status=400)
    text = loyalty.decode(data)
    if loyalty.count_rows(text) > current_app.config["IMPORT_SYNC_LIMIT"]:
        job = loyalty.start_import_job(text, args["mode"])
        response = jsonify(jobs.job_json(job))
        response.status_code = 202
        response.headers["Location"] = response.json["status_url"]
        return response
    result = loyalty.import_csv(text, args["mode"])
    if result["errors"] and args["mode"] == "all":
        raise DomainError(
            "invalid_rows", f"{len(result['errors'])} row(s) are not valid; nothing was imported.", details=result
        )
    return result


@api.route("/members/<int:member_id>/merge-preview", methods=["GET"])
@require_api_role("admin", scope="members:read")
@api.arguments(MergeFrom(), location="query")
@api.response(200, PreviewOut)
def merge_preview(args, member_id: int):
    """What merging member ``from`` into this one would move (409 if it cannot be merged)."""
    kept, merged = member_by_id(member_id), member_by_id(args["merged"])
    return {"kept": summary(kept), "merged": summary(merged), "moves": merge.preview(kept, merged)}


@api.route("/members/<int:member_id>/merge", methods=["POST"])
@writes
@require_api_role("admin", scope="members:write")
@api.arguments(MergeFrom())
@api.response(200, MergeOut)
def merge_members(body, member_id: int):
    """Merge member ``from`` into this one: everything moves, and an audit record is kept."""
    kept, merged = member_by_id(member_id), member_by_id(body["merged"])
    actor = current_actor()
    staff_user = current_user._get_current_object() if actor.kind == "staff" else None
    record = merge.merge(kept, merged, staff_user, actor="" if staff_user else f"api-key:{actor.id} {actor.name}")
    return record
