"""What catalog gives the staff domain: the home page's counts and the location directory."""

from __future__ import annotations

from flask import url_for

from app.catalog import services
from app.staff.registry import HomeTile, register_home_tile, register_locations


def _locations_tile() -> HomeTile:
    counts = services.counts()
    return HomeTile(url_for("catalog.locations"), ((counts["stores"], "stores"), (counts["warehouses"], "warehouses")))


def _products_tile() -> HomeTile:
    return HomeTile(url_for("catalog.products"), ((services.counts()["products"], "products"),))


def _resolve(code: str) -> int:
    return services.get_location(code).id


def _choices() -> list[tuple[int, str, str]]:
    return [(location.id, location.code, location.name) for location in services.all_locations()]


register_home_tile("catalog.locations", _locations_tile, order=10)
register_home_tile("catalog.products", _products_tile, order=20)
register_locations(_resolve, _choices)
