"""The shopper's pages on the phone: basket, checkout, receipt with the exit pass, my orders, wallet."""

from __future__ import annotations

from app.orders import bp  # noqa: F401
