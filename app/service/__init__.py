"""Service on the shop floor: shoppers call staff from a kiosk or their phone, clerks answer."""

from flask import Blueprint

bp = Blueprint("service", __name__)

from app.service import events, routes  # noqa: E402,F401 - registers the pages and socket events
