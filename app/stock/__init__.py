"""One stock ledger across stores and warehouses: movements, levels, reservations, live pushes."""

from flask import Blueprint

bp = Blueprint("stock", __name__)

from app.stock import events, reconcile_routes, routes  # noqa: E402,F401
