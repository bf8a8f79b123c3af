"""The tax of an order: per line as sold, and per rate for receipts, invoices and the API.

Prices include tax (``app.tax``). A line's tax is taken from what was actually paid for it: its
total less its share of the order's discount (points spent). The discount is shared by the
lines in proportion to their totals, by largest remainder, so the shares add up to the discount
exactly and the lines' paid amounts to the order's total. The tax of a rate is the sum of its
lines' taxes, so the rates add up to the order's tax and each line's tax is the one printed.

After returns, a line's tax left is its tax less the returned units' share of it (rounded down),
so a line returned in full has no tax left. Money refunded without a return (a refund by an
admin, an uncollected parcel) is not tied to lines and does not change the tax shown.
"""

from __future__ import annotations

from app import tax
from app.orders.models import Order, OrderLine


def spread(total: int, weights: list[int]) -> list[int]:
    """Share ``total`` by ``weights`` by largest remainder: whole shares that add up to ``total``."""
    whole = sum(weights)
    if not whole or not total:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def paid_amounts(order: Order) -> list[int]:
    """What was paid for each line (its total less its share of the discount), in line order."""
    totals = [line.line_total for line in order.lines]
    return [amount - share for amount, share in zip(totals, spread(order.discount, totals), strict=True)]


def record_line_taxes(order: Order) -> None:
    """Set each line's tax from what was paid for it (the lines' ``tax_rate`` set already)."""
    for line, paid in zip(order.lines, paid_amounts(order), strict=True):
        line.tax_amount = tax.tax_included(paid, line.tax_rate)


def tax_left(line: OrderLine) -> int:
    """The line's tax less the share of the units that came back."""
    if not line.quantity:
        return 0
    return line.tax_amount - line.tax_amount * line.returned_quantity // line.quantity


def by_rate(order: Order) -> list[dict]:
    """The order's tax per rate, highest rate first: what was paid at it, its tax, and its tax after returns."""
    rates: dict[int, dict] = {}
    for line, paid in zip(order.lines, paid_amounts(order), strict=True):
        row = rates.setdefault(
            line.tax_rate,
            {"rate": line.tax_rate, "rate_text": tax.rate_label(line.tax_rate), "amount": 0, "tax": 0, "tax_left": 0},
        )
        row["amount"] += paid
        row["tax"] += line.tax_amount
        row["tax_left"] += tax_left(line)
    return [rates[rate] for rate in sorted(rates, reverse=True)]


def total_tax(order: Order) -> int:
    """The tax in the order's total (the sum of its lines', and of its rates')."""
    return sum(line.tax_amount for line in order.lines)
