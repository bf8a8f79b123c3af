"""Per-account sign-in limits: too many wrong passwords lock the account for a while, from any address.

Counted in the rate limiter's storage (Redis when configured), so every server process sees the
same count. While locked, even the right password is refused with 429 and Retry-After.
"""

from __future__ import annotations

import time

from flask import current_app
from limits import parse

from app.errors import DomainError
from app.extensions import limiter


class AccountLocked(DomainError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            "account_locked",
            f"Too many wrong passwords for this account. Try again in {minutes} minute{'s' * (minutes != 1)}.",
        )
        self.headers = {"Retry-After": str(retry_after)}


def _key(kind: str, login: str) -> tuple[str, str, str]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", f"lockout-{kind}", login.strip().lower())


def check(kind: str, login: str) -> None:
    """Refuse (429 ``account_locked``) while this account is locked."""
    if not limiter.enabled:
        return
    item = parse(current_app.config["SIGNIN_ACCOUNT_LIMIT"])
    if not limiter.limiter.test(item, *_key(kind, login)):
        reset_at, _ = limiter.limiter.get_window_stats(item, *_key(kind, login))
        raise AccountLocked(max(1, int(reset_at - time.time()) + 1))


def failed(kind: str, login: str) -> None:
    """Count one wrong password for this account."""
    if limiter.enabled:
        limiter.limiter.hit(parse(current_app.config["SIGNIN_ACCOUNT_LIMIT"]), *_key(kind, login))
