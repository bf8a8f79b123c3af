"""The store manager's dashboard: today at a glance, live."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from app.dashboard import routes  # noqa: E402,F401 - registers the pages
