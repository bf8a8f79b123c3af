"""Kiosks: registered devices, their shopper sessions, and pairing a phone with one."""

from flask import Blueprint

bp = Blueprint("kiosks", __name__)

from app.kiosks import answers, auth, cli, connection, events, routes  # noqa: E402,F401 - auth registers the device tokens
