"""JSON shapes of recorded scans."""

from __future__ import annotations

import marshmallow as ma

from app.catalog.schemas import PageArgs
from app.scans.models import CHANNELS


class ScanArgs(PageArgs):
    channel = ma.fields.String(load_default=None, validate=ma.validate.OneOf(CHANNELS))
    location = ma.fields.String(load_default=None, metadata={"description": "Location code."})
    device = ma.fields.String(
        load_default=None, metadata={"description": "Kiosk device id, or the prefix of its token."}
    )
    since = ma.fields.AwareDateTime(load_default=None, metadata={"description": "Recorded at or after (ISO 8601)."})


class RecordedScanOut(ma.Schema):
    id = ma.fields.Integer()
    client_id = ma.fields.String(allow_none=True, metadata={"description": "The kiosk's own id for the scan."})
    code = ma.fields.String()
    symbology = ma.fields.String(allow_none=True)
    channel = ma.fields.String()
    outcome = ma.fields.String(allow_none=True, metadata={"description": "product, member, refused or unknown."})
    sku = ma.fields.String(allow_none=True)
    location = ma.fields.String(allow_none=True)
    device = ma.fields.Integer(allow_none=True)
    member = ma.fields.Integer(allow_none=True)
    seen_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()


class RecordedScanPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RecordedScanOut))
    next_cursor = ma.fields.String(allow_none=True)
