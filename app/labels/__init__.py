"""QR shelf labels: codes, images, printable sheets and the reprint list."""

from flask import Blueprint

bp = Blueprint("labels", __name__)

from app.labels import reactions, routes, staff_hooks  # noqa: E402,F401
