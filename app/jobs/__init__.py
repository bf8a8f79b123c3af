"""Jobs with progress (big label PDFs, big imports) and the job runner every domain queues work on."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)

from app.jobs import routes  # noqa: E402,F401
