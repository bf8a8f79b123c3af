"""What an API key may be limited to: the scopes, each one family of API operations.

A key with no scopes recorded may call whatever its role allows (keys made before scopes
existed keep working). A scoped key may call only the operations of its scopes, and never
more than its role allows: a clerk key with ``catalog:write`` still cannot create products.
An operation that names no scope is closed to scoped keys. Kiosk operations take a device
token, not an API key, and have no scope; member operations take a member's session.
"""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "catalog:read": "Read locations and products, export products as CSV.",
    "catalog:write": "Create locations, create and change products, import products.",
    "labels:read": "Read shelf labels.",
    "labels:write": "Print label sheets and replace labels.",
    "jobs:read": "Follow background jobs and download what they made.",
    "stock:read": "Read stock levels, movement history and reservations.",
    "stock:write": "Record movements, batches and counts, transfer stock, hold, release and sell reservations.",
    "orders:read": "Search orders and read one order.",
    "orders:write": "Refund, confirm counter payments and use exit passes.",
    "members:read": "Search members, read a member, preview a merge, redeem a member code.",
    "members:write": "Import members and merge two members.",
    "scans:read": "List recorded scans.",
    "webhooks:admin": "Manage webhook subscriptions.",
    "events:read": "Read the feed of domain events.",
    "scans:analytics": "Read scan analytics: scans per product, store and hour, scanned not bought, out of stock.",
    "feedback:read": "Read shoppers' ratings and their summary per store, channel, clerk and week.",
}


def describe(scope: str) -> str:
    """The sentence the API description adds to an operation of ``scope``."""
    return f"Scope: `{scope}` (API keys limited to scopes need it)."
