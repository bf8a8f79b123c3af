"""Tax included in prices: a rate per product category, set per deployment, in basis points.

Prices are tax-inclusive, so the tax in an amount is ``amount * rate / (10000 + rate)``,
rounded half up to the minor unit. ``TAX_RATES`` maps a category to its rate ("food=900,
books=900, services=600, export=0" in the environment); every other category has
``TAX_DEFAULT_RATE`` (1300, China's standard 13%).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import current_app

BASIS = 10_000


def parse_rates(text: str) -> dict[str, int]:
    """ "food=900, services=600" -> {"food": 900, "services": 600}; a bad entry raises ValueError."""
    rates: dict[str, int] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        category, _, value = part.partition("=")
        rate = int(value)
        if not category.strip() or not 0 <= rate <= BASIS:
            raise ValueError(f"Bad tax rate {part!r}: write category=basis points (900 for 9%).")
        rates[category.strip().casefold()] = rate
    return rates


def rate_for(category: str | None, rates: Mapping[str, int] | None = None, default: int | None = None) -> int:
    """The rate (basis points) for a product category under this deployment's settings."""
    if rates is None:
        rates = current_app.config["TAX_RATES"]
    if default is None:
        default = current_app.config["TAX_DEFAULT_RATE"]
    return rates.get((category or "").strip().casefold(), default)


def tax_included(amount: int, rate: int) -> int:
    """The tax inside a tax-inclusive ``amount`` at ``rate`` basis points (half up; negative for refunds)."""
    sign = -1 if amount < 0 else 1
    return sign * ((abs(amount) * rate * 2 + (BASIS + rate)) // (2 * (BASIS + rate)))


def tax_by_rate(amounts: Iterable[tuple[int, int]]) -> dict[int, int]:
    """(amount, rate) pairs -> {rate: tax}, each rate's tax taken from the rate's summed amount."""
    totals: dict[int, int] = {}
    for amount, rate in amounts:
        totals[rate] = totals.get(rate, 0) + amount
    return {rate: tax_included(total, rate) for rate, total in sorted(totals.items(), reverse=True)}


def rate_label(rate: int) -> str:
    """1300 -> "13%", 650 -> "6.5%"."""
    whole, rest = divmod(rate, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"
