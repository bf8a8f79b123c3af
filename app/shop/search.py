"""Finding products for the web shop: by name (any script), SKU or barcode, in the database's own index.

Every word of three characters or more is looked up in the search index (``search_index``):
FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL; all of them must match, in the name or the
SKU. Shorter words cannot use a trigram index and are matched directly: a short word in Latin
letters or digits matches the start of a word of the name or the start of the SKU ("te" finds
"Green Tea" and "TEA-001"); a short word in another script matches anywhere in the name, since
two Chinese characters ("绿茶") are a whole word. A query that is a barcode finds its product too.

Results come in id order with cursor pages (``app.core.pagination``), only products still sold.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, table, text

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.core.pagination import paginate
from app.errors import DomainError
from app.extensions import db
from app.shop.search_index import FTS_TABLE
from app.stock import services as stock

MAX_QUERY = 100  # characters kept of a query
MAX_WORDS = 8
TRIGRAM = 3  # the shortest word the trigram indexes can look up
MAX_LIMIT = 100


@dataclass(frozen=True)
class Elsewhere:
    """Another location that has the product, and how far it is from the chosen store."""

    location: Location
    available: int
    km: float | None


@dataclass(frozen=True)
class Hit:
    """A product found, with its stock at the chosen store (None: no store chosen) and elsewhere."""

    product: Product
    available_here: int | None
    elsewhere: list[Elsewhere]


def normalise_query(raw: str | None) -> str:
    """The query as searched: control characters out, spaces collapsed, at most MAX_QUERY characters."""
    if not raw:
        return ""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") else c for c in raw)
    return " ".join(unicodedata.normalize("NFKC", kept).split())[:MAX_QUERY]


def words(query: str) -> list[str]:
    """The distinct words of a normalised query, at most MAX_WORDS."""
    seen: list[str] = []
    for word in query.split():
        if word.casefold() not in (w.casefold() for w in seen):
            seen.append(word)
    return seen[:MAX_WORDS]


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column, word: str) -> ColumnElement[bool]:
    return column.ilike(f"%{_like_escape(word)}%", escape="\\")


def _starts(column, prefix: str) -> ColumnElement[bool]:
    return column.ilike(f"{_like_escape(prefix)}%", escape="\\")


def _starts_a_word(column, prefix: str) -> ColumnElement[bool]:
    return column.ilike(f"% {_like_escape(prefix)}%", escape="\\")


def _short_word(word: str, dialect: str) -> ColumnElement[bool]:
    """A word too short for the trigram index: a word start in Latin script, anywhere otherwise."""
    if word.isascii():
        return or_(_starts(Product.name, word), _starts_a_word(Product.name, word), _starts(Product.sku, word))
    if dialect == "postgresql":
        # Not ILIKE: no trigram can be taken from two characters, so the planner would read the whole
        # GIN index for it; a scan in id order stops at the end of the page instead. Words without
        # case (Chinese) skip lower(), which costs more than the search itself.
        if word.lower() == word.upper():
            return func.strpos(Product.name, word) > 0
        return func.strpos(func.lower(Product.name), word.lower()) > 0
    return _contains(Product.name, word)


def _indexed_words(long_words: list[str], dialect: str) -> ColumnElement[bool]:
    """Words of three characters or more, each in the name or the SKU, through the search index."""
    if dialect == "sqlite":
        # FTS5 query: each word a quoted phrase ("" escapes a quote); phrases side by side all match.
        expression = " ".join('"' + word.replace('"', '""') + '"' for word in long_words)
        matched = (
            select(literal_column("rowid"))
            .select_from(table(FTS_TABLE))
            .where(text(f"{FTS_TABLE} MATCH :search_expression").bindparams(search_expression=expression))
        )
        return Product.id.in_(matched)
    # PostgreSQL: ILIKE '%word%' is served by the pg_trgm GIN indexes on name and sku.
    return and_(*(or_(_contains(Product.name, w), _contains(Product.sku, w)) for w in long_words))


def _barcode(query: str) -> str | None:
    """The GTIN-13 a query names, when it is a valid EAN-13 or UPC-A."""
    if not query.isdigit() or len(query) not in (12, 13):
        return None
    try:
        return catalog.normalise_barcode(query)
    except DomainError:
        return None


def matching(query: str, dialect: str) -> ColumnElement[bool] | None:
    """The condition a product must meet to match the query (None: every product)."""
    found = words(query)
    if not found:
        return None
    long_words = [w for w in found if len(w) >= TRIGRAM]
    parts = [_short_word(w, dialect) for w in found if len(w) < TRIGRAM]
    if long_words:
        parts.insert(0, _indexed_words(long_words, dialect))
    condition = and_(*parts)
    barcode = _barcode(query)
    return or_(condition, Product.barcode == barcode) if barcode else condition


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def search_query(query: str = "", category: str | None = None) -> Select:
    """Products still sold that match the query and are in the category (unordered)."""
    statement = select(Product).where(Product.active.is_(True))
    if category:
        statement = statement.where(Product.category == category)
    condition = matching(normalise_query(query), _dialect())
    if condition is not None:
        statement = statement.where(condition)
    return statement


def search_products(
    query: str | None = None,
    *,
    category: str | None = None,
    location: Location | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Hit], str | None]:
    """A page of products matching ``query`` (name, SKU or barcode), with stock at ``location`` and elsewhere."""
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError("invalid_limit", f"limit must be between 1 and {MAX_LIMIT}.", status=400)
    products, next_cursor = paginate(search_query(query or "", category), Product.id, cursor, limit)
    return with_stock(products, location), next_cursor


def with_stock(products: list[Product], location: Location | None) -> list[Hit]:
    """Each product with the units available at ``location`` and at the other locations, nearest first."""
    units = stock.available_by_location([p.id for p in products])
    places = catalog.all_locations()
    km = {p.id: stock.distance_km(location, p) if location is not None else None for p in places}
    hits = []
    for product in products:
        here = units.get(product.id, {})
        others = [
            Elsewhere(place, here[place.id], km[place.id])
            for place in places
            if place.id in here and (location is None or place.id != location.id)
        ]
        others.sort(key=lambda e: (e.km is None, e.km or 0.0, e.location.name))
        available = here.get(location.id, 0) if location is not None else None
        hits.append(Hit(product, available, others))
    return hits


def shop_categories() -> list[str]:
    """The categories that have products still sold, by name."""
    rows = db.session.scalars(
        select(Product.category)
        .distinct()
        .where(Product.active.is_(True), Product.category != "")
        .order_by(Product.category)
    )
    return list(rows)


def stores() -> list[Location]:
    """The stores a shopper can choose, by name."""
    return sorted((x for x in catalog.all_locations() if x.kind == "store"), key=lambda x: x.name)


def store_by_code(code: str | None) -> Location | None:
    """The store with this code, or None for a blank, unknown or warehouse code."""
    if not code or len(code) > 32:
        return None
    try:
        place = catalog.get_location(code)
    except DomainError:
        return None
    return place if place.kind == "store" else None


def nearest_store(latitude: float, longitude: float) -> Location | None:
    """The store closest to a point (stores without coordinates never are)."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    here = Location(latitude=latitude, longitude=longitude)  # a point, never added to the session
    measured = [(stock.distance_km(here, s), s.name, s) for s in stores()]
    known = [row for row in measured if row[0] is not None]
    return min(known, key=lambda row: (row[0], row[1]))[2] if known else None
