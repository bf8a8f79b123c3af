"""Rules for locations and products. Functions flush, callers commit."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select
from stdnum import ean
from stdnum.exceptions import ValidationError

from app.catalog import hours, signals
from app.catalog.images import check_image_url
from app.catalog.models import LOCATION_KINDS, Location, Product
from app.core.pagination import paginate
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.money import check_currency
from app.outbox import services as outbox

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Words that are pages under /staff/products/ and /staff/stock/.
RESERVED_SKUS = frozenset({"new", "import", "export.csv", "move", "low"})
PRODUCT_FIELDS = ("name", "description", "price_amount", "currency", "image", "category", "barcode", "active")


def normalise_barcode(raw: str | None) -> str | None:
    """A verified EAN-13 or UPC-A, returned as 13 digits; None when blank."""
    if raw is None or not str(raw).strip():
        return None
    digits = str(raw).strip().replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in (12, 13):
        raise DomainError("invalid_barcode", f"Barcode {raw!r} must be 12 (UPC-A) or 13 (EAN-13) digits.")
    try:
        ean.validate(digits)
    except ValidationError:
        raise DomainError("invalid_barcode", f"Barcode {raw!r} has a wrong check digit.") from None
    return digits.zfill(13)


def check_timezone(name: str) -> str:
    """An IANA time zone name, or a DomainError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError("invalid_timezone", f"Unknown time zone {name!r}.") from None
    return name


def timezone_names() -> list[str]:
    return sorted(available_timezones())


# ---- locations -------------------------------------------------------------------------


def create_location(
    code: str,
    name: str,
    kind: str,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    timezone: str = "UTC",
    currency: str = "CNY",
    opening_hours: str | dict | None = None,
    help_answer_minutes: int = 5,
) -> Location:
    """Add a store or warehouse (its baskets priced in ``currency``); every active product gets a label there."""
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise DomainError("invalid_code", "A location code is 1-32 letters, digits or dashes.")
    if kind not in LOCATION_KINDS:
        raise DomainError("invalid_kind", "Kind must be 'store' or 'warehouse'.")
    if not name.strip():
        raise DomainError("invalid_name", "A location needs a name.")
    _check_coordinates(latitude, longitude)
    if not 1 <= help_answer_minutes <= 240:
        raise DomainError("invalid_help_answer_minutes", "Answer help within 1 to 240 minutes.")
    if db.session.scalar(select(Location.id).filter_by(code=code)):
        raise Conflict("location_exists", f"Location {code} already exists.")
    location = Location(
        code=code,
        name=name.strip(),
        kind=kind,
        address=address.strip(),
        latitude=latitude,
        longitude=longitude,
        timezone=check_timezone(timezone),
        currency=check_currency(currency),
        opening_hours=hours.normalise(json.dumps(opening_hours) if isinstance(opening_hours, dict) else opening_hours),
        help_answer_minutes=help_answer_minutes,
    )
    db.session.add(location)
    db.session.flush()
    signals.locations_added.send([location])
    return location


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise DomainError("invalid_coordinates", "Give both latitude and longitude, or neither.")
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError("invalid_coordinates", "Latitude must be within ±90 and longitude within ±180.")


def get_location(code: str) -> Location:
    """The location with this code (any case), or 404."""
    location = db.session.scalar(select(Location).filter_by(code=code.strip().upper()))
    if location is None:
        raise NotFound("location_not_found", f"No location with code {code!r}.")
    return location


def list_locations(kind: str | None = None, cursor: str | None = None, limit: int = 50):
    """A page of locations, optionally of one kind."""
    query = select(Location)
    if kind:
        query = query.where(Location.kind == kind)
    return paginate(query, Location.id, cursor, limit)


def all_locations() -> list[Location]:
    return list(db.session.scalars(select(Location).order_by(Location.kind, Location.name)))


# ---- products --------------------------------------------------------------------------


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise product fields shared by create and update."""
    out = dict(fields)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise DomainError("invalid_name", "A product needs a name.")
    if "currency" in out:
        out["currency"] = check_currency(out["currency"])
    if "price_amount" in out:
        amount = out["price_amount"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise DomainError("invalid_price", "price.amount must be a whole number of minor units, zero or more.")
    if "barcode" in out:
        out["barcode"] = normalise_barcode(out["barcode"])
    for text_field in ("description", "category"):
        if text_field in out:
            out[text_field] = (out[text_field] or "").strip()
    if "image" in out:
        out["image"] = check_image_url(out["image"])
    return out


def _check_barcode_free(barcode: str | None, product_id: int | None = None) -> None:
    if barcode is None:
        return
    owner = db.session.scalar(select(Product).filter_by(barcode=barcode))
    if owner is not None and owner.id != product_id:
        raise Conflict("barcode_taken", f"Barcode {barcode} already belongs to {owner.sku}.")


def create_product(sku: str, name: str, price_amount: int, currency: str, **fields: Any) -> Product:
    """Add a product; it gets a label at every location."""
    sku = (sku or "").strip()
    if not SKU_RE.match(sku):
        raise DomainError("invalid_sku", "A SKU is 1-64 letters, digits, dots, dashes or underscores.")
    if sku.lower() in RESERVED_SKUS:
        raise DomainError("invalid_sku", f"{sku!r} names a page; choose another SKU.")
    if db.session.scalar(select(Product.id).filter_by(sku=sku)):
        raise Conflict("sku_taken", f"A product with SKU {sku} already exists.")
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise DomainError("unknown_field", f"Unknown product fields: {', '.join(sorted(unknown))}.")
    values = _validated({"name": name, "price_amount": price_amount, "currency": currency, **fields})
    _check_barcode_free(values.get("barcode"))
    product = Product(sku=sku, **values)
    db.session.add(product)
    db.session.flush()
    announce_created([product])
    return product


def update_product(product: Product, **changes: Any) -> Product:
    """Change a product; a new price or name puts its labels on the reprint list."""
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise DomainError("unknown_field", f"Unknown product fields: {', '.join(sorted(unknown))}.")
    values = _validated(changes)
    if "barcode" in values:
        _check_barcode_free(values["barcode"], product.id)
    changed = {field for field, value in values.items() if getattr(product, field) != value}
    for field, value in values.items():
        setattr(product, field, value)
    db.session.flush()
    if changed:
        signals.product_changed.send(product, fields=changed)
        outbox.record(
            "product.updated", f"product:{product.sku}", {**product_event(product), "changed": sorted(changed)}
        )
    return product


def product_event(product: Product) -> dict[str, Any]:
    """A product as its events carry it."""
    return {
        "sku": product.sku,
        "name": product.name,
        "price": {"amount": product.price_amount, "currency": product.currency},
        "barcode": product.barcode,
        "category": product.category,
        "active": product.active,
    }


def announce_created(products: list[Product]) -> None:
    """New products: labels everywhere (in-process) and a ``product.created`` event each."""
    signals.products_added.send(products)
    outbox.record_many("product.created", [(f"product:{p.sku}", product_event(p)) for p in products])


def get_product(sku: str) -> Product:
    """The product with this SKU, or 404."""
    product = db.session.scalar(select(Product).filter_by(sku=sku))
    if product is None:
        raise NotFound("product_not_found", f"No product with SKU {sku!r}.")
    return product


def products_by_id(ids: Collection[int]) -> dict[int, Product]:
    """The products with these ids, by id (one query; none for no ids)."""
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(sorted(ids))))}


def locations_by_id(ids: Collection[int]) -> dict[int, Location]:
    """The locations with these ids, by id (one query; none for no ids)."""
    if not ids:
        return {}
    return {x.id: x for x in db.session.scalars(select(Location).where(Location.id.in_(sorted(ids))))}


def find_products(skus: list[str]) -> list[Product]:
    """The products with these SKUs; 404 naming the first unknown one."""
    found = {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_(skus)))}
    missing = [s for s in skus if s not in found]
    if missing:
        raise NotFound("product_not_found", f"No product with SKU {missing[0]!r}.", details={"missing": missing})
    return [found[s] for s in skus]


def list_products(
    category: str | None = None,
    q: str | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    """A page of products, filtered by category, search text or active flag."""
    query = select(Product)
    if category:
        query = query.where(Product.category == category)
    if active is not None:
        query = query.where(Product.active.is_(active))
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            func.lower(Product.name).like(like) | func.lower(Product.sku).like(like) | (Product.barcode == q.strip())
        )
    return paginate(query, Product.id, cursor, limit)


def categories() -> list[str]:
    return list(
        db.session.scalars(select(Product.category).distinct().where(Product.category != "").order_by(Product.category))
    )


def counts() -> dict[str, int]:
    """Numbers for the staff dashboard."""
    return {
        "stores": db.session.scalar(select(func.count()).select_from(Location).where(Location.kind == "store")),
        "warehouses": db.session.scalar(select(func.count()).select_from(Location).where(Location.kind == "warehouse")),
        "products": db.session.scalar(select(func.count()).select_from(Product)),
    }
