"""Who is calling: a staff session (pages, and the API with CSRF) or a bearer token (API key, kiosk)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import wraps

from flask import g, redirect, request, url_for
from flask_login import current_user

from app.errors import DomainError, Forbidden
from app.extensions import csrf
from app.staff import registry, services
from app.staff.scopes import SCOPES, describe

# A kiosk device may do less than a clerk, a clerk less than an admin.
# A merchant user ranks below them all: outside its portal it may do nothing (app.settlement.access).
RANK = {"merchant": 0, "kiosk": 1, "clerk": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "key" or "device" (a kiosk)
    id: int
    role: str
    name: str
    # The one store whose members a clerk may see; None for admins, keys and unassigned staff.
    store_id: int | None = None
    # An API key's limits (app.staff.scopes); None: no limit beyond the role (staff, devices, old keys).
    scopes: frozenset[str] | None = None
    location_ids: frozenset[int] | None = None

    def may(self, role: str) -> bool:
        return RANK.get(self.role, 0) >= RANK[role]

    def may_scope(self, scope: str) -> bool:
        """May this caller use operations of ``scope``?"""
        return self.scopes is None or scope in self.scopes

    def may_at(self, location_id: int) -> bool:
        """May this caller act at (or see) this location? The one rule for location-limited keys."""
        return self.location_ids is None or location_id in self.location_ids


class Unauthorized(DomainError):
    status = 401


def _key_actor(token: str) -> Actor | None:
    key = services.verify_api_key(token)
    if key is None:
        return None
    return Actor("key", key.id, key.role, key.name, scopes=key.scopes, location_ids=key.location_ids)


registry.register_bearer(services.KEY_PREFIX, _key_actor, "API key")


def current_actor() -> Actor | None:
    """The authenticated caller of this request, if any."""
    # On g: one request, or one Socket.IO event (whose environ lasts the whole connection).
    if "oneshelf_actor" in g:
        return g.oneshelf_actor
    actor = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        # Each kind of token is verified by the domain that issues it (app.staff.registry).
        bearer = registry.bearer_for(token)
        actor = bearer.verify(token) if bearer else None
        if actor is None:
            what = bearer.what if bearer else "API key"
            raise Unauthorized("invalid_token", f"The {what} is unknown or revoked.")
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # Cookie-authenticated writes must prove they come from our own pages.
            csrf.protect()
        store = current_user.location_id if current_user.role == "clerk" else None
        actor = Actor("staff", current_user.id, current_user.role, current_user.name, store)
    g.oneshelf_actor = actor
    return actor


def _check_scope(actor: Actor, scope: str) -> None:
    if not actor.may_scope(scope):
        raise Forbidden("insufficient_scope", f"This API key lacks the {scope} scope.", details={"scope": scope})


def _documented(wrapper, scope: str) -> None:
    """Name the scope in the operation's OpenAPI description (flask-smorest reads the docstring)."""
    doc = inspect.cleandoc(wrapper.__doc__ or "")
    wrapper.__doc__ = f"{doc}\n\n{describe(scope)}" if doc else describe(scope)


def require_api_role(role: str, scope: str | None = None):
    """Decorate an API view: a bearer key or staff session with at least ``role``.

    ``scope`` (one of app.staff.scopes.SCOPES): a key limited to scopes needs this one too.
    """
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized("unauthorized", "Send 'Authorization: Bearer <key>' or sign in as staff.")
            if not actor.may(role):
                raise Forbidden("forbidden", f"This needs the {role} role.")
            if scope is not None:
                _check_scope(actor, scope)
            elif actor.scopes is not None:
                # An operation that names no scope is closed to limited keys, not open to them.
                raise Forbidden("insufficient_scope", "API keys limited to scopes cannot call this operation.")
            return view(*args, **kwargs)

        if scope is not None:
            _documented(wrapper, scope)
        return wrapper

    return decorate


def require_api_scope(scope: str):
    """Decorate an API view open to other callers too (members): a scoped key needs ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is not None:
                _check_scope(actor, scope)
            return view(*args, **kwargs)

        _documented(wrapper, scope)
        return wrapper

    return decorate


def require_at(location_id: int, code: str = "") -> None:
    """Refuse (403 ``other_location``) a caller that may not act at this location."""
    actor = current_actor()
    if actor is not None and not actor.may_at(location_id):
        place = code or f"location {location_id}"
        raise Forbidden(
            "other_location", f"This API key may not act at {place}.", details={"location": code or location_id}
        )


def allowed_locations() -> frozenset[int] | None:
    """The only locations the caller may see, or None for every one (to filter lists with)."""
    actor = current_actor()
    return actor.location_ids if actor is not None else None


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
