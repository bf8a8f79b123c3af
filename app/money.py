"""Money is an integer number of minor units and a currency code. Never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, list_currencies

from app.errors import DomainError

KNOWN_CURRENCIES = frozenset(list_currencies())


def check_currency(currency: str) -> str:
    """The upper-cased ISO 4217 code, or a DomainError."""
    code = (currency or "").strip().upper()
    if code not in KNOWN_CURRENCIES:
        raise DomainError("invalid_currency", f"Unknown currency {currency!r}.")
    return code


def parse_amount(text: str, currency: str) -> int:
    """Turn "12.50" into 1250 minor units, refusing more decimals than the currency has."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise DomainError("invalid_price", f"Price {text!r} is not a number.") from None
    if not value.is_finite() or value < 0:
        raise DomainError("invalid_price", f"Price {text!r} must be zero or more.")
    minor = value.scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        raise DomainError("invalid_price", f"Price {text!r} has more decimals than {currency} allows.")
    return int(minor)


def to_decimal_text(amount: int, currency: str) -> str:
    """1250 CNY -> "12.50" (for CSV export and forms)."""
    digits = get_currency_precision(currency)
    return f"{Decimal(amount).scaleb(-digits):.{digits}f}"


def format_money(amount: int, currency: str, locale: str = "en") -> str:
    """1250 CNY -> "CN¥12.50" for people."""
    value = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(value, currency, locale=locale)
