"""What a clerk scanned or typed (label code, label URL, old barcode or SKU), as a product."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.errors import DomainError, NotFound
from app.extensions import db
from app.labels import services as labels

# A label's QR holds BASE/Q/CODE (upper case) or BASE/q/CODE; the host does not matter.
LABEL_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s]+(?:/\S*)?/q/([a-z0-9]+)/?$", re.IGNORECASE)
LABEL_CODE_RE = re.compile(rf"^[{labels.ALPHABET}]{{{labels.CODE_LENGTH}}}$")
BARCODE_RE = re.compile(r"^\d{12,13}$")


@dataclass(frozen=True)
class Scanned:
    """A resolved scan: the product, and the location when the code was a shelf label."""

    product: Product
    location: Location | None
    kind: str  # "label", "barcode" or "sku"
    code: str  # the code as understood: label code, 13-digit barcode or SKU


def unknown(text: str) -> NotFound:
    return NotFound("unknown_code", f"Nothing is known by the code {text!r}: no shelf label, barcode or SKU.")


def resolve_scan(text: str) -> Scanned:
    """A label code or URL → its product and location; an EAN-13/UPC-A → product; else a SKU."""
    raw = (text or "").strip()
    if not raw:
        raise DomainError("missing_code", "Scan or type a code: a shelf label, an old barcode or a SKU.")
    url = LABEL_URL_RE.match(raw)
    if url:
        by_url = _label(url.group(1))
        if by_url is None:
            raise unknown(raw)
        return by_url
    misread: DomainError | None = None
    compact = raw.replace(" ", "").replace("-", "")
    if BARCODE_RE.match(compact):
        try:
            found = _by_barcode(catalog.normalise_barcode(compact))
        except DomainError as error:  # a wrong check digit: a misread, unless it is a SKU
            found, misread = None, error
        if found is not None:
            return Scanned(found, None, "barcode", found.barcode or compact)
    elif LABEL_CODE_RE.match(labels.normalise_code(raw)):
        found_label = _label(raw)
        if found_label is not None:
            return found_label
    for sku in dict.fromkeys((raw, raw.upper())):
        try:
            return Scanned(catalog.get_product(sku), None, "sku", sku)
        except NotFound:
            continue
    raise misread or unknown(raw)


def location_for(scanned: Scanned, chosen: Location | None) -> Location:
    """The location a movement happens at: the chosen one, else the scanned label's."""
    if chosen is None:
        if scanned.location is None:
            raise DomainError(
                "missing_location",
                f"Choose a location: {scanned.kind} {scanned.code} is not tied to one (only shelf labels are).",
            )
        return scanned.location
    if scanned.location is not None and scanned.location.id != chosen.id:
        # A label of another store is almost always the wrong label or the wrong location.
        raise DomainError(
            "label_elsewhere",
            f"Label {scanned.code} is the shelf label at {scanned.location.code}, not at {chosen.code}: "
            "scan the label here, or choose its location.",
        )
    return chosen


def _label(code: str) -> Scanned | None:
    """The label with this code (a retired one leads to the label on the shelf now), or None."""
    try:
        label = labels.current_of(labels.resolve(code))
    except NotFound:
        return None
    return Scanned(label.product, label.location, "label", label.code)


def _by_barcode(barcode: str | None) -> Product | None:
    # The catalog has no lookup by barcode (its search also matches names), so ask Product here.
    if barcode is None:
        return None
    return db.session.scalar(select(Product).filter_by(barcode=barcode))
