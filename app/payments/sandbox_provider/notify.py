"""The sandbox provider's asynchronous notifications: signed, sent until the merchant answers success.

Body: JSON ``{"notify_id", "reference", "provider_ref", "status" (captured or declined),
"amount", "currency", "card_last4", "decline_code", "paid_at"}``. Header
``Sandbox-Signature``: the hex HMAC-SHA256 of the exact body bytes under the shared secret
``SANDBOX_PAY_SECRET``. The merchant answers ``200`` with the plain text ``success``; anything
else is retried after ``store.RETRY_DELAYS`` (at least once: the merchant deduplicates by
``notify_id``).

How it travels. The sandbox lives in our own process, so a notification to our own address
(``PUBLIC_BASE_URL``) is posted through our WSGI application, the whole stack a real post
would meet (routing, signature check, the transaction door) without a network hop; that works
the same under ``make run``, in a separate job worker and in the tests. Any other address gets
a real HTTP POST. Sending is the job runner's work (``app.payments.tasks``), never the page's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import urlsplit

import requests
from flask import current_app

from app.payments.sandbox_provider import store

log = logging.getLogger(__name__)
HEADER = "Sandbox-Signature"


def secret() -> bytes:
    """The secret the provider and the merchant share."""
    return current_app.config["SANDBOX_PAY_SECRET"].encode()


def sign(body: bytes) -> str:
    """The signature of a notification body."""
    return hmac.new(secret(), body, hashlib.sha256).hexdigest()


def deliver_due(limit: int = 20) -> int:
    """Send every notification due now; returns how many were attempted."""
    attempted = 0
    for owed in store.due_notifications(limit):
        if not store.claim(owed):
            continue  # another sender took this attempt
        attempted += 1
        error = _send(owed)
        if error is None:
            store.delivered(owed)
        else:
            log.warning("notification %s to %s failed: %s", owed.notify_id, owed.url, error)
            store.failed(owed, error)
    return attempted


def _send(owed: store.Owed) -> str | None:
    """Post one notification; None when the merchant answered success, else what went wrong."""
    body = owed.body.encode()
    headers = {HEADER: sign(body), "Content-Type": "application/json"}
    base = current_app.config["PUBLIC_BASE_URL"]
    try:
        if owed.url.startswith(base + "/"):
            answer = current_app.test_client().post(urlsplit(owed.url).path, data=body, headers=headers, base_url=base)
            status, text = answer.status_code, answer.get_data(as_text=True)
        else:
            sent = requests.post(owed.url, data=body, headers=headers, timeout=10, allow_redirects=False)
            status, text = sent.status_code, sent.text
    except Exception as error:  # noqa: BLE001 - any failure to reach the merchant is retried
        return f"{type(error).__name__}: {error}"
    if status == 200 and text.strip() == "success":
        return None
    return f"answered {status}: {text[:120]}"
