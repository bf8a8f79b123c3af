"""A shelf label: one short random code for one product at one location."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Location, Product
from app.db import UTCDateTime, utcnow
from app.extensions import db


class Label(db.Model):
    __tablename__ = "labels"
    __table_args__ = (
        # One current label per product and location; retired ones stay for old prints.
        Index(
            "uq_labels_current",
            "product_id",
            "location_id",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    # Grows when what the label shows (name, price, barcode) changes.
    version: Mapped[int] = mapped_column(default=1)
    # The version last printed; 0 = never printed.
    printed_version: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")

    @property
    def needs_reprint(self) -> bool:
        return 0 < self.printed_version < self.version and self.retired_at is None
