"""Stores, warehouses and products."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

LOCATION_KINDS = ("store", "warehouse")


class Location(db.Model):
    __tablename__ = "locations"
    __table_args__ = (CheckConstraint("kind IN ('store', 'warehouse')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255), default="")
    # Coordinates are not money: floats are fine for a map position.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # What baskets at this location are priced in: a basket takes its store's currency.
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # Opening hours as JSON: {"mon": [["09:00", "21:00"]], ..., "sun": []} in the location's
    # time zone; empty means unknown (always open for collection slots). See catalog.hours.
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    # A fulfilment node: whether online orders may be sent from here, and what a parcel from
    # here costs the router besides distance (minor units; see fulfilment.router).
    ships_online: Mapped[bool] = mapped_column(default=True)
    handling_cost: Mapped[int] = mapped_column(default=0)
    route_priority: Mapped[int] = mapped_column(default=0)
    # The service standard: a shopper's call for help is answered within this many minutes.
    help_answer_minutes: Mapped[int] = mapped_column(default=5, server_default="5")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_amount >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    image: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str] = mapped_column(String(80), default="", index=True)
    # GTIN-13 form of the legacy EAN-13/UPC-A barcode (UPC-A gets a leading zero).
    barcode: Mapped[str | None] = mapped_column(String(13), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # A concession merchant's product (app.settlement owns merchants); None: the operator's own.
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
