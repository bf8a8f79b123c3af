"""Sending messages to members (codes by SMS or e-mail) through one small interface.

``MESSAGE_SENDER`` chooses the sender: "outbox" (the default, for development) logs the
message and keeps it in the outbox staff can read. A real SMS or mail provider plugs in by
``register_sender("name", factory)`` or by naming its class as ``"package.module:Class"``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.members.models import OutboxMessage

log = logging.getLogger(__name__)
CHANNELS = ("email", "sms")


class MessageSender(Protocol):
    def send(self, channel: str, recipient: str, subject: str, body: str) -> None:
        """Deliver one message; ``channel`` is "email" or "sms"."""


class OutboxSender:
    """Development: the message goes to the log and to the staff outbox, never outside."""

    def send(self, channel: str, recipient: str, subject: str, body: str) -> None:
        """Log the message and keep it as an OutboxMessage row (flushed with the caller's work)."""
        log.info("outbox %s to %s: %s | %s", channel, recipient, subject, body)
        message = OutboxMessage(channel=channel, recipient=recipient[:254], subject=subject[:200], body=body[:2000])
        db.session.add(message)
        db.session.flush()


_SENDERS: dict[str, Callable[[], MessageSender]] = {"outbox": OutboxSender}


def register_sender(name: str, factory: Callable[[], MessageSender]) -> None:
    """Make a sender available as ``MESSAGE_SENDER=name``."""
    _SENDERS[name] = factory


def sender() -> MessageSender:
    """The sender configured by MESSAGE_SENDER (default "outbox")."""
    name = current_app.config.get("MESSAGE_SENDER") or "outbox"
    if name in _SENDERS:
        return _SENDERS[name]()
    module, _, attribute = name.partition(":")
    if not attribute:
        raise DomainError("unknown_sender", f"MESSAGE_SENDER {name!r} is not a known sender.", status=500)
    return getattr(importlib.import_module(module), attribute)()


def channel_for(kind: str) -> str:
    """Which channel reaches an identifier of this kind."""
    return "email" if kind == "email" else "sms"


def send(channel: str, recipient: str, subject: str, body: str) -> None:
    """Send one message through the configured sender."""
    if channel not in CHANNELS:
        raise DomainError("invalid_channel", f"Channel must be one of: {', '.join(CHANNELS)}.")
    sender().send(channel, recipient, subject, body)


def recent_outbox(limit: int = 100) -> list[OutboxMessage]:
    """The newest messages the development sender kept, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 500)))
    return list(db.session.scalars(query))
