"""Returns of goods through any channel: at a store, by mail, or by pickup."""

from flask import Blueprint

bp = Blueprint("returns", __name__)

from app.returns import routes, staff  # noqa: E402,F401 - the member's and the staff's pages
