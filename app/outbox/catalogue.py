"""Every domain event Oneshelf records: its name, what it means, and what its data holds.

Integrations rely on these names (webhooks, ``GET /api/v1/events``); add, never rename.
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "product.created": "A product was added to the catalog. Data: sku, name, price, barcode, category.",
    "product.updated": "A product's name, price, barcode, category or status changed. Data: sku and the new values.",
    "stock.changed": (
        "A level's on hand or reserved changed (a movement, a hold, a sale, a release). "
        "Data: sku, location, on_hand, reserved, available, version, movement, kind, delta, reserved_delta, "
        "reference, at."
    ),
    "stock.drift_detected": (
        "An outside count of a location disagreed with the ledger by more than STOCK_DRIFT_ALERT units. "
        "Data: snapshot, location, taken_at, threshold, count, lines (the first 100 over it)."
    ),
    "order.created": (
        "An order was placed and awaits payment. Data: number, status, channel, total, lines (with tax_rate and "
        "tax_amount), tax (per rate: rate, amount, tax)."
    ),
    "order.paid": "An order was paid; its units are sold. Data: number, member, channel, total, lines, tax.",
    "order.cancelled": "An unpaid order was cancelled; its units went back. Data: number, total.",
    "payment.captured": (
        "A card provider confirmed a payment (its notification, or our query when none came). "
        "Data: reference, method, purpose (order or topup), amount, status."
    ),
    "payment.declined": (
        "A card provider declined a payment; nothing was taken. Data: reference, purpose, amount, code."
    ),
    "payment.reconciliation_mismatches": (
        "The daily comparison of the card provider's statement with our payments found lines that disagree. "
        "Data: day, provider, compared (counts), mismatches (kind, reference, message, ours, theirs)."
    ),
    "refund.issued": "Money went back to the payer of an order. Data: order, amount, refunded, status.",
    "parcel.updated": (
        "A parcel of an order moved: picking, packed, shipped, ready, delivered, collected, expired or cancelled. "
        "Data: number (the order), id, status."
    ),
    "return.requested": "A member asked to return units of an order. Data: number, order, channel, status, lines.",
    "return.received": (
        "A return's units were inspected at a location. Data: number, order, location, lines (sellable, quarantined)."
    ),
    "return.refunded": (
        "A return's money and points went back. Data: number, order, refund, points_taken, points_given."
    ),
    "return.cancelled": "A return was given up before anything came back. Data: number, order, channel.",
    "feedback.given": (
        "A shopper rated a purchase, parcel, return or help request. Data: subject, title, location, channel,"
        " clerk, rating (1-5), comment, low."
    ),
    "invoice.requested": (
        "A shopper asked for an invoice (fapiao) of a paid order, or changed a request not issued yet. "
        "Data: id, order, status, title, tax_id, email, currency, amount, tax (per rate), tax_total, requested_at."
    ),
    "invoice.issued": "Staff issued an order's invoice. Data: as invoice.requested, with invoice_number and issued_at.",
    "member.merged": "Two members became one: the merged one's orders, baskets, wallet and points are the kept one's.",
}
