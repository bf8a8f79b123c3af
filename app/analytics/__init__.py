"""Scan analytics: what shoppers scanned, where and when, and what it led to."""

from flask import Blueprint

bp = Blueprint("analytics", __name__)

from app.analytics import routes  # noqa: E402,F401 - registers the pages
