"""Who is calling: a staff session (pages, and the API with CSRF) or a bearer API key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, redirect, request, url_for
from flask_login import current_user

from app.errors import DomainError, Forbidden
from app.extensions import csrf
from app.staff import services

# A kiosk device may do less than a clerk, a clerk less than an admin.
RANK = {"kiosk": 1, "clerk": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "key" or "device" (a kiosk)
    id: int
    role: str
    name: str
    # The one store whose members a clerk may see; None for admins, keys and unassigned staff.
    store_id: int | None = None

    def may(self, role: str) -> bool:
        return RANK.get(self.role, 0) >= RANK[role]


class Unauthorized(DomainError):
    status = 401


def current_actor() -> Actor | None:
    """The authenticated caller of this request, if any."""
    # On g: one request, or one Socket.IO event (whose environ lasts the whole connection).
    if "oneshelf_actor" in g:
        return g.oneshelf_actor
    actor = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        if token.startswith("osd_"):
            from app.kiosks.services import verify_device_token  # kiosks build on staff, not the reverse

            device = verify_device_token(token)
            if device is None:
                raise Unauthorized("invalid_token", "The device token is unknown or revoked.")
            actor = Actor("device", device.id, "kiosk", device.name)
        else:
            key = services.verify_api_key(token)
            if key is None:
                raise Unauthorized("invalid_token", "The API key is unknown or revoked.")
            actor = Actor("key", key.id, key.role, key.name)
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # Cookie-authenticated writes must prove they come from our own pages.
            csrf.protect()
        store = current_user.location_id if current_user.role == "clerk" else None
        actor = Actor("staff", current_user.id, current_user.role, current_user.name, store)
    g.oneshelf_actor = actor
    return actor


def require_api_role(role: str):
    """Decorate an API view: a bearer key or staff session with at least ``role``."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized("unauthorized", "Send 'Authorization: Bearer <key>' or sign in as staff.")
            if not actor.may(role):
                raise Forbidden("forbidden", f"This needs the {role} role.")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def staff_page(role: str = "clerk"):
    """Decorate a staff page: sign in first, and have at least ``role``."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            if RANK.get(current_user.role, 0) < RANK[role]:
                raise Forbidden("forbidden", f"This page is for staff with the {role} role.")
            return view(*args, **kwargs)

        return wrapper

    return decorate
