"""The shopper's pages on the phone, reached by scanning a shelf label."""

from flask import Blueprint

bp = Blueprint("shop", __name__)

from app.shop import routes  # noqa: E402,F401
