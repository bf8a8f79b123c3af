"""Service on the shop floor: shoppers call staff from a kiosk, clerks answer."""

from flask import Blueprint

bp = Blueprint("service", __name__)

from app.service import routes  # noqa: E402,F401 - registers the pages
