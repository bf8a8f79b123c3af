"""JSON API for members: sign-up, sign-in, profile, member code, redeeming a code."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.extensions import db, limiter, signin_limit
from app.idempotency.services import idempotent
from app.members import auth, codes, schemas, services, signals
from app.members.models import Member
from app.scans import services as scans
from app.staff.auth import current_actor, require_api_role

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
@limiter.limit(signin_limit)
@api.arguments(schemas.SignUpIn())
@api.response(201, schemas.MemberOut)
def sign_up(body):
    """Create an account with an e-mail or phone number and a password; signs this browser in."""
    member = services.sign_up(body["login"], body["password"], body["name"])
    auth.sign_in(member)
    db.session.commit()
    return member_out(member)


@api.route("/session", methods=["POST"])
@limiter.limit(signin_limit)
@api.arguments(schemas.SignInIn())
@api.response(200, schemas.MemberOut)
def sign_in(body):
    """Sign in (a new session id every time); wrong credentials answer 401."""
    member = services.authenticate(body["login"], body["password"])
    if member is None:
        raise auth.NotSignedIn("wrong_credentials", "E-mail, phone or password is wrong.")
    auth.sign_in(member)
    db.session.commit()
    return member_out(member)


@api.route("/session", methods=["DELETE"])
@api.response(204)
def sign_out():
    """Sign this browser out."""
    auth.sign_out()
    db.session.commit()


@api.route("/session/all", methods=["DELETE"])
@auth.require_member_api
@api.response(204)
def sign_out_everywhere():
    """Sign out on every device and invalidate member codes already shown."""
    services.sign_out_everywhere(auth.current_member())
    auth.sign_out()
    db.session.commit()


@api.route("/members/me", methods=["GET"])
@auth.require_member_api
@api.response(200, schemas.MemberOut)
def me():
    """The signed-in member."""
    return member_out(auth.current_member())


@api.route("/members/me", methods=["PATCH"])
@auth.require_member_api
@api.arguments(schemas.ProfileIn())
@api.response(200, schemas.MemberOut)
def update_me(body):
    """Change the profile."""
    member = services.update_profile(auth.current_member(), body.get("name"))
    db.session.commit()
    return member_out(member)


@api.route("/members/me/code", methods=["GET"])
@auth.require_member_api
@api.response(200, schemas.MemberCodeOut)
def my_code():
    """The member code to show now, and the next ones for a minute without network."""
    ahead = codes.codes_ahead(auth.current_member())
    return {"code": ahead[0].code, "expires_at": ahead[0].expires_at, "ahead": ahead}


@api.route("/member-codes/redeem", methods=["POST"])
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
def my_scans(args):
    """What the signed-in member scanned, newest first, in every store and channel."""
    items, cursor = scans.member_history(auth.current_member().id, args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}


@api.route("/members/me/scans", methods=["DELETE"])
@auth.require_member_api
@api.response(204)
def forget_my_scans():
    """Delete the signed-in member's scan history."""
    scans.forget_member_scans(auth.current_member().id)
    db.session.commit()
