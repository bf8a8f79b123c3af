"""The shopper's pages: the web shop (home, search, product pages) and the page a shelf label opens."""

from flask import Blueprint

bp = Blueprint("shop", __name__)

from app.shop import online, routes, search_index  # noqa: E402,F401
