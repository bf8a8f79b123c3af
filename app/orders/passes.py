"""Exit passes: a single-use QR the phone shows after payment; a clerk scans it at the door.

The token is derived from the server's secret and the order (so the receipt can show it
again) and only its hash is looked up; a share of passes (EXIT_CHECK_SHARE) asks the clerk to
check the basket against the receipt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select, update

from app.db import utcnow
from app.errors import Conflict, NotFound
from app.extensions import db
from app.orders.models import ExitPass, Order

PREFIX = "EX-"


def token_of(order: Order) -> str:
    """The pass's token: only the server can make it, and it is the same every time it is shown."""
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"exit-pass:{order.id}:{order.number}".encode(), "sha256")
    return PREFIX + base64.b32encode(mac.digest()[:15]).decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(order: Order) -> ExitPass:
    """The exit pass of a paid order (one per order)."""
    existing = db.session.scalar(select(ExitPass).filter_by(order_id=order.id))
    if existing is not None:
        return existing
    share = float(current_app.config["EXIT_CHECK_SHARE"])
    exit_pass = ExitPass(
        order_id=order.id,
        token_hash=_hash(token_of(order)),
        check_basket=secrets.randbelow(10_000) < share * 10_000,
        issued_at=utcnow(),
    )
    db.session.add(exit_pass)
    db.session.flush()
    return exit_pass


def pass_of(order: Order) -> ExitPass | None:
    return db.session.scalar(select(ExitPass).filter_by(order_id=order.id))


def find(token: str) -> tuple[ExitPass, Order]:
    """The pass a clerk scanned (the token, or a URL ending in it)."""
    token = (token or "").strip().rsplit("/", 1)[-1].upper()
    exit_pass = db.session.scalar(select(ExitPass).filter_by(token_hash=_hash(token)))
    if exit_pass is None:
        raise NotFound("exit_pass_not_found", "This is not an exit pass of ours. Ask for the receipt.")
    return exit_pass, db.session.get(Order, exit_pass.order_id)


def use(token: str, clerk: str) -> tuple[ExitPass, Order]:
    """Let the order out, once: one conditional UPDATE decides, a second scan is refused."""
    exit_pass, order = find(token)
    used = db.session.execute(
        update(ExitPass)
        .where(ExitPass.id == exit_pass.id, ExitPass.used_at.is_(None))
        .values(used_at=utcnow(), used_by=clerk[:120])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(exit_pass)
    if not used:
        raise Conflict(
            "exit_pass_used",
            f"This exit pass was already used at {exit_pass.used_at:%H:%M} UTC by {exit_pass.used_by}.",
            details={"order": order.number, "used_at": exit_pass.used_at.isoformat()},
        )
    if order.status not in ("paid", "partially_refunded"):
        raise Conflict("order_not_paid", f"Order {order.number} is {order.status.replace('_', ' ')}: not paid.")
    return exit_pass, order
