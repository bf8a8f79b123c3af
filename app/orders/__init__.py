"""Orders: what was bought, how it was paid, and the exit pass that lets it out of the store."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from app.orders import (  # noqa: E402,F401 - pages, kiosk and merge reactions
    invoice_routes,
    kiosk_answers,
    merging,
    parcels_staff,
    phone,
    points_links,
    recommend,
    staff,
)
