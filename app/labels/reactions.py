"""Labels follow the catalog: every new product or location gets its labels, a changed one is reprinted."""

from __future__ import annotations

from app.catalog import signals
from app.labels import services

PRINTED_FIELDS = {"name", "price_amount", "currency", "barcode"}


@signals.products_added.connect
def _label_new_products(products, **_) -> None:
    services.ensure_labels(products=products)


@signals.locations_added.connect
def _label_new_location(locations, **_) -> None:
    services.ensure_labels(locations=locations)


@signals.product_changed.connect
def _reprint_changed(product, fields=(), **_) -> None:
    if PRINTED_FIELDS & set(fields):
        services.mark_changed(product)


@signals.labels_of.connect
def _labels_of(product, **_) -> list:
    items, _next = services.list_labels(None, product.sku, None, 200)
    return items
