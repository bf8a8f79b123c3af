"""JSON API of the web shop: product search, open to everyone."""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint

from app.catalog import services as catalog
from app.core.schemas import PUBLIC
from app.money import format_money
from app.shop import schemas, search

api = Blueprint("shop_api", __name__, url_prefix="/api/v1", description="Web shop")


def _hit_json(hit: search.Hit, location_code: str | None) -> dict:
    product = hit.product
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "image": product.image,
        "barcode": product.barcode,
        "price": {
            "amount": product.price_amount,
            "currency": product.currency,
            "text": format_money(product.price_amount, product.currency),
        },
        "url": url_for("shop.item", sku=product.sku, store=location_code),
        "available_here": hit.available_here,
        "elsewhere": [
            {
                "location": e.location.code,
                "name": e.location.name,
                "kind": e.location.kind,
                "available": e.available,
                "km": None if e.km is None else round(e.km, 2),
            }
            for e in hit.elsewhere
        ],
    }


@api.route("/shop/products", methods=["GET"])
@api.arguments(schemas.SearchArgs(), location="query")
@api.response(200, schemas.ShopProductPage)
@api.doc(security=PUBLIC)
def search_products(args):
    """Products still sold, found by name (any script), SKU or barcode, with stock at a location and elsewhere.

    Pages follow ``next_cursor``. An unknown location is 404 ``location_not_found``.
    """
    location = catalog.get_location(args["location"]) if args["location"] else None
    hits, next_cursor = search.search_products(
        args["q"], category=args["category"], location=location, cursor=args["cursor"], limit=args["limit"]
    )
    code = location.code if location is not None else None
    return {"items": [_hit_json(hit, code) for hit in hits], "next_cursor": next_cursor}
