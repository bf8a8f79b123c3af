"""Uploaded CSV files: decoded as UTF-8, rows counted for progress."""

from __future__ import annotations

import csv
import io

from app.errors import DomainError


def decode(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else a clear error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("invalid_encoding", "Save the CSV as UTF-8 and upload it again.", status=400) from None


def count_rows(text: str) -> int:
    """Data lines in the CSV (the header not counted)."""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
