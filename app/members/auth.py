"""Who is the shopper: the member of this browser's session, if signed in."""

from __future__ import annotations

from functools import wraps

from flask import g, redirect, request, session, url_for

from app.errors import DomainError
from app.extensions import csrf
from app.idempotency import services as idempotency
from app.members import services
from app.members.models import Member
from app.scans import services as scans

SESSION_KEY = "member_session"


class NotSignedIn(DomainError):
    status = 401


def current_member() -> Member | None:
    """The signed-in member of this request (cached on the request)."""
    # On g: one request, or one Socket.IO event (whose environ lasts the whole connection).
    if "oneshelf_member" not in g:
        g.oneshelf_member = services.member_for_token(session.get(SESSION_KEY))
    return g.oneshelf_member


def _idempotency_scope() -> str | None:
    member = current_member()
    return f"member:{member.id}" if member is not None else None


idempotency.register_caller(_idempotency_scope)  # a member's keys are their own


def sign_in(member: Member) -> None:
    """Start a new session for ``member`` in this browser (a new session id every time)."""
    services.end_session(session.get(SESSION_KEY))
    session.clear()
    session[SESSION_KEY] = services.start_session(member)
    session.permanent = True
    # What this phone scanned before signing in is the member's too.
    scans.attach_to_member(request.cookies.get(scans.SHOPPER_COOKIE), member.id)
    g.oneshelf_member = member


def sign_out() -> None:
    services.end_session(session.pop(SESSION_KEY, None))
    g.oneshelf_member = None


def require_member_api(view):
    """Decorate a member API view: 401 unless signed in; cookie writes prove CSRF."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_member() is None:
            raise NotSignedIn("not_signed_in", "Sign in first.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        return view(*args, **kwargs)

    return wrapper


def member_page(view):
    """Decorate a phone page: sign in first."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_member() is None:
            return redirect(url_for("members.sign_in_page", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
