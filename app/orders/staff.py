"""Staff pages: orders (search, detail), taking payment at the counter, checking exit passes."""

from __future__ import annotations

from app.orders import bp  # noqa: F401
