"""JSON API for members: sign-up, sign-in, profile, member code, redeeming a code."""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_login import current_user
from flask_smorest import Blueprint

from app import lockout
from app.catalog import services as catalog
from app.core.schemas import MEMBER, PUBLIC
from app.extensions import csrf, limiter, signin_limit
from app.idempotency.services import idempotent
from app.members import auth, codes, schemas, services, signals
from app.members.models import Member
from app.scans import services as scans
from app.staff.auth import current_actor, require_api_role
from app.transaction import writes

api = Blueprint("members_api", __name__, url_prefix="/api/v1", description="Members")


def member_out(member: Member) -> dict:
    return {
        "id": member.id,
        "name": member.name,
        "first_name": member.first_name,
        "points": member.points,
        "identifiers": services.identifiers_of(member),
    }


@api.route("/members", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@api.arguments(schemas.SignUpIn())
@api.response(201, schemas.MemberOut)
@api.doc(security=PUBLIC)
def sign_up(body):
    """Create an account with an e-mail or phone number and a password; signs this browser in."""
    member = services.sign_up(body["login"], body["password"], body["name"])
    auth.sign_in(member)
    return member_out(member)


@api.route("/session", methods=["POST"])
@writes
@limiter.limit(signin_limit)
@api.arguments(schemas.SignInIn())
@api.response(200, schemas.MemberOut)
@api.doc(security=PUBLIC)
def sign_in(body):
    """Sign in (a new session id every time); wrong credentials answer 401."""
    lockout.check("member", body["login"])
    member = services.authenticate(body["login"], body["password"])
    if member is None:
        lockout.failed("member", body["login"])
        raise auth.NotSignedIn("wrong_credentials", "E-mail, phone or password is wrong.")
    auth.sign_in(member)
    return member_out(member)


@api.route("/session", methods=["DELETE"])
@writes
@api.response(204)
@api.doc(security=PUBLIC)
def sign_out():
    """Sign this browser out; a signed-in browser proves CSRF first."""
    if auth.current_member() is not None:
        csrf.protect()
    auth.sign_out()


@api.route("/session/all", methods=["DELETE"])
@writes
@auth.require_member_api
@api.response(204)
@api.doc(security=MEMBER)
def sign_out_everywhere():
    """Sign out on every device and invalidate member codes already shown."""
    services.sign_out_everywhere(auth.current_member())
    auth.sign_out()


@api.route("/members/me", methods=["GET"])
@auth.require_member_api
@api.response(200, schemas.MemberOut)
@api.doc(security=MEMBER)
def me():
    """The signed-in member."""
    return member_out(auth.current_member())


@api.route("/members/me", methods=["PATCH"])
@writes
@auth.require_member_api
@api.arguments(schemas.ProfileIn())
@api.response(200, schemas.MemberOut)
@api.doc(security=MEMBER)
def update_me(body):
    """Change the profile."""
    member = services.update_profile(auth.current_member(), body.get("name"))
    return member_out(member)


@api.route("/members/me/code", methods=["GET"])
@auth.require_member_api
@api.response(200, schemas.MemberCodeOut)
@api.doc(security=MEMBER)
def my_code():
    """The member code to show now, and the next ones for a minute without network."""
    ahead = codes.codes_ahead(auth.current_member())
    return {"code": ahead[0].code, "expires_at": ahead[0].expires_at, "ahead": ahead}


def redeem_limit() -> str:
    """Member-code redeems per address, and per caller (REDEEM_RATE_LIMIT)."""
    return current_app.config["REDEEM_RATE_LIMIT"]


def _caller_key() -> str:
    """One kiosk or API key (by its token), or one staff session; else the address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    if current_user.is_authenticated:
        return f"staff:{current_user.id}"
    return "addr:" + (request.remote_addr or "")


@api.route("/member-codes/redeem", methods=["POST"])
@limiter.limit(redeem_limit)
@limiter.limit(redeem_limit, key_func=_caller_key)
@idempotent
@require_api_role("kiosk", scope="members:read")
@api.arguments(schemas.RedeemIn())
@api.response(200, schemas.RedeemOut)
def redeem(body):
    """A kiosk or a clerk scanned a member code: who is it? Each code works once."""
    location = catalog.get_location(body["location"]) if body["location"] else None
    actor = current_actor()
    member = codes.redeem(
        body["code"], redeemed_by=f"{actor.kind}:{actor.id}", location_id=location.id if location else None
    )
    signals.code_redeemed.send(member, actor=actor)  # a kiosk's screen greets the member
    return {"member": member_out(member)}


@api.route("/members/me/scans", methods=["GET"])
@auth.require_member_api
@api.arguments(schemas.ScanArgs(), location="query")
@api.response(200, schemas.ScanPage)
@api.doc(security=MEMBER)
def my_scans(args):
    """What the signed-in member scanned, newest first, in every store and channel."""
    items, cursor = scans.member_history(auth.current_member().id, args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}


@api.route("/members/me/scans", methods=["DELETE"])
@writes
@auth.require_member_api
@api.response(204)
@api.doc(security=MEMBER)
def forget_my_scans():
    """Delete the signed-in member's scan history."""
    scans.forget_member_scans(auth.current_member().id)
