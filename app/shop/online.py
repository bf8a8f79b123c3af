"""The web shop on a phone or a desktop: ``/`` (choose a store, browse, search) and ``/shop/p/<sku>``.

The chosen store is remembered in the ``oneshelf_store`` cookie. It is chosen from the list, or
as the nearest to the browser's position (``?lat=&lng=``, sent by the page script when the
shopper allows it). Adding to the basket goes through the carts API, into the same basket as a
shelf scan.
"""

from __future__ import annotations

import math

from flask import Response, make_response, render_template, request

from app.catalog import hours
from app.catalog import services as catalog
from app.catalog.models import Location
from app.errors import NotFound
from app.money import format_money
from app.shop import bp, search
from app.stock import services as stock

STORE_COOKIE = "oneshelf_store"
PAGE_SIZE = 24


def _point() -> tuple[float, float] | None:
    """The browser's position from ``?lat=&lng=``, when both are numbers."""
    try:
        lat, lng = float(request.args["lat"]), float(request.args["lng"])
    except (KeyError, ValueError):
        return None
    return (lat, lng) if math.isfinite(lat) and math.isfinite(lng) else None


def chosen_store() -> tuple[Location | None, bool]:
    """The shopper's store (asked for now, nearest to the position sent, or remembered) and whether it is new."""
    asked = search.store_by_code(request.args.get("store"))
    if asked is not None:
        return asked, True
    point = _point()
    nearest = search.nearest_store(*point) if point else None
    if nearest is not None:
        return nearest, True
    return search.store_by_code(request.cookies.get(STORE_COOKIE)), False


def _page(html: str, store: Location | None, remember: bool) -> Response:
    """The page, never cached (stock changes), remembering the store when it was just chosen."""
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    if remember and store is not None:
        response.set_cookie(
            STORE_COOKIE, store.code, max_age=365 * 86400, httponly=True, samesite="Lax", secure=request.is_secure
        )
    return response


def _store_cards(store: Location | None) -> list[dict]:
    """The stores to choose from, with their hours and distance from the chosen one."""
    return [
        {
            "location": place,
            "hours": hours.describe(place.opening_hours),
            "km": stock.distance_km(store, place) if store is not None else None,
            "current": store is not None and place.id == store.id,
        }
        for place in search.stores()
    ]


@bp.get("/")
def home():
    """The web shop's front page: the store, the categories, and what the shopper searched for."""
    store, remember = chosen_store()
    query = search.normalise_query(request.args.get("q"))
    category = (request.args.get("category") or "").strip()[:80] or None
    hits, next_cursor = search.search_products(
        query, category=category, location=store, cursor=request.args.get("cursor") or None, limit=PAGE_SIZE
    )
    html = render_template(
        "shop/home.html",
        store=store,
        stores=_store_cards(store),
        store_hours=hours.describe(store.opening_hours) if store is not None else [],
        query=query,
        category=category,
        categories=search.shop_categories(),
        hits=hits,
        prices={hit.product.id: format_money(hit.product.price_amount, hit.product.currency) for hit in hits},
        next_cursor=next_cursor,
    )
    return _page(html, store, remember)


@bp.get("/shop/p/<sku>")
def item(sku: str):
    """A product in the web shop: price, stock at the chosen store and nearby, hours, add to basket."""
    store, remember = chosen_store()
    try:
        product = catalog.get_product(sku)
    except NotFound:
        return render_template("shop/item_missing.html", sku=sku), 404
    here, nearby = stock.stock_around(product, store) if store is not None else (None, [])
    if store is None:
        nearby = [(place, stock.level_of(product, place), None) for place in catalog.all_locations()]
    html = render_template(
        "shop/item.html",
        product=product,
        store=store,
        stores=_store_cards(store),
        price=format_money(product.price_amount, product.currency),
        here=here,
        nearby=nearby,
        hours=hours.describe(store.opening_hours) if store is not None else [],
    )
    return _page(html, store, remember)
