"""Feedback: a shopper rates a purchase, a collection, a return or a help request, once."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)

from app.feedback import routes  # noqa: E402,F401 - registers the pages
