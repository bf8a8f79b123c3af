"""What labels gives the staff home page: printing, and how many labels need reprinting."""

from __future__ import annotations

from flask import url_for

from app.labels import services
from app.staff.registry import HomeTile, register_home_tile


def _print_tile() -> HomeTile:
    return HomeTile(url_for("labels.print_labels"), (("Print", "QR shelf labels"),))


def _reprint_tile() -> HomeTile:
    count = services.reprint_count()
    return HomeTile(url_for("labels.reprint"), ((count, "labels to reprint"),), warn=bool(count))


register_home_tile("labels.print", _print_tile, order=30)
register_home_tile("labels.reprint", _reprint_tile, order=40)
