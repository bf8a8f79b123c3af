"""Staff users, their sign-in, and API keys for integrations."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.staff import cli, routes  # noqa: E402,F401
