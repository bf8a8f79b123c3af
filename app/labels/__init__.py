"""QR shelf labels: codes, images, printable sheets and the reprint list."""

from flask import Blueprint

bp = Blueprint("labels", __name__)

from app.labels import routes  # noqa: E402,F401
