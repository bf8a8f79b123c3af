"""Payments: member wallets, card and counter payments, refunds, and the sandbox card gateway."""

from app.payments import merging  # noqa: E402,F401 - merge reactions
