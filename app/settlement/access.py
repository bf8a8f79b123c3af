"""A merchant user sees the merchant portal and nothing else, and only its own merchant there.

Every other page and API answers 403 to a merchant's session (one gate, before anything
else of the request runs), and on Socket.IO a merchant's session counts as signed in only on
the portal's own namespace, so no staff room of ``/live`` takes it in.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import current_user

from app.db import begin_write
from app.errors import Forbidden
from app.extensions import db
from app.settlement import bp
from app.settlement.live import NAMESPACE
from app.transaction import SAFE_METHODS

MERCHANT = "merchant"
# Besides the portal: static files, signing in and out, the error pages' assets.
OPEN_TO_MERCHANTS = frozenset({"static", "staff.login", "staff.logout"})


def is_merchant_user(user) -> bool:
    """Is this a merchant's user (as opposed to the operator's staff)?"""
    return getattr(user, "role", None) == MERCHANT


def visible_user(user):
    """The signed-in user as this context may see it: a merchant's only on the portal's socket namespace."""
    namespace = getattr(request, "namespace", None)
    if user is not None and is_merchant_user(user) and namespace is not None and namespace != NAMESPACE:
        return None
    return user


def merchant_gate():
    """Refuse a merchant's session everywhere but the portal (its staff home leads to the portal)."""
    if request.method not in SAFE_METHODS:
        # As the transaction door does, and before it: loading the user is this request's first
        # read, and on SQLite a transaction that read first cannot become a writer once a job
        # worker has committed meanwhile ("database is locked" at once).
        begin_write(db.session)
    if not is_merchant_user(current_user) or not current_user.is_authenticated:
        return None
    endpoint = request.endpoint or ""
    if endpoint.startswith("merchant.") or endpoint in OPEN_TO_MERCHANTS:
        return None
    if endpoint == "staff.dashboard":
        return redirect(url_for("merchant.home"))
    raise Forbidden("merchant_portal_only", "Merchant users may use the merchant portal only.")


@bp.record_once
def _install(state) -> None:
    app: Flask = state.app
    # First of all before-request functions: a merchant's write is refused before CSRF or limits look.
    app.before_request_funcs.setdefault(None, []).insert(0, merchant_gate)
