"""Cursor pagination: ``{"items": [...], "next_cursor": ...}``, stable under inserts."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Select

from app.errors import DomainError
from app.extensions import db

MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise DomainError("invalid_cursor", "The cursor is not one this API gave out.", status=400) from None


def paginate(query: Select, id_column: Any, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of ``query`` ordered by ``id_column`` after ``cursor``."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        query = query.where(id_column > decode_cursor(cursor))
    rows = list(db.session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)


def paginate_desc(query: Select, id_column: Any, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of ``query``, newest (highest id) first, before ``cursor``."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        query = query.where(id_column < decode_cursor(cursor))
    rows = list(db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)
