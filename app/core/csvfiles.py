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


# A spreadsheet reads a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading formula character is escaped with a quote.

    A value that already starts with a quote before such a character gets one more quote, so
    ``unescape_cell`` gives every value back exactly.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or (text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS)):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The value ``spreadsheet_safe`` escaped: one quote before a formula character is taken off."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text
