"""Locations (stores and warehouses) and products."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from app.catalog import routes, staff_hooks  # noqa: E402,F401
