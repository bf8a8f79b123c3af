"""Signed webhooks: admins register endpoints, every published domain event they want is POSTed to them.

Deliveries follow the Standard Webhooks spec (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``), are retried with back-off for about three
days, and keep their order per (endpoint, resource). ``delivery.py`` has the schedule and the
rules of sending; ``tasks.py`` wires it to the job runner.
"""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from app.webhooks import routes, services  # noqa: E402,F401 - pages, and the fan-out receiver
