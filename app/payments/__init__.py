"""Payments: member wallets, card and counter payments, refunds, and the sandbox card gateway."""
