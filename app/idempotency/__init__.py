"""Idempotency keys: a retried request gets the first answer and has no second effect."""
