"""Members: one shopper, the same in the store and online."""

from flask import Blueprint

bp = Blueprint("members", __name__)

from app.members import reset_routes, routes, staff_routes  # noqa: E402,F401
