"""Asking another domain without importing it: a signal whose receivers answer.

A lower domain declares the question (a blinker signal) and asks it; the domain that knows
the answer, built on top, connects a receiver. ``answer`` returns the first answer that is
not None, or ``default`` when nobody answers (that domain is not installed).
"""

from __future__ import annotations

from typing import Any

from blinker import Signal


def answer(question: Signal, sender: Any, default: Any = None, **kwargs: Any) -> Any:
    """The first non-None answer of the receivers of ``question``."""
    for _receiver, value in question.send(sender, **kwargs):
        if value is not None:
            return value
    return default
