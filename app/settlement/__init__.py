"""Concession merchants: commission, settlement entries and statements, and the merchant portal."""

from flask import Blueprint

bp = Blueprint("settlement", __name__)
portal = Blueprint("merchant", __name__, url_prefix="/merchant")

from app.settlement import access, entries, events, guards, portal_routes, routes  # noqa: E402,F401
