"""Background jobs with progress: big label PDFs and big imports."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)

from app.jobs import routes  # noqa: E402,F401
