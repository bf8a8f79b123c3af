"""Bounds on what a request may carry: ids that fit a 64-bit column, JSON that is not absurdly deep."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

# The largest id a database column holds (signed 64 bits).
MAX_ID = 2**63 - 1
# JSON bodies nested deeper than this are refused before they are parsed.
MAX_JSON_DEPTH = 32


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in a URL: 1 to 2**63-1 and at most 19 digits, so a huge number is a 404, not a crash."""

    regex = r"\d{1,19}"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_depth(raw: bytes) -> int:
    """How deeply ``[`` and ``{`` nest in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def refuse_deep_json():
    """A JSON body nested deeper than MAX_JSON_DEPTH is answered 400 before anything parses it."""
    if not request.is_json:
        return None
    if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        from app.errors import error_response

        return error_response(400, "too_deep", f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.")
    return None


def id_param_schema(converter: BoundedIntegerConverter) -> dict:
    """How the OpenAPI document describes an ``<int:...>`` path part."""
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


def init_app(app: Flask) -> None:
    """Bound ``<int:...>`` URL parts and JSON nesting (call before blueprints are registered)."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(refuse_deep_json)
