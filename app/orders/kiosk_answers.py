"""What the kiosk shows from orders: what others bought with the product scanned."""

from __future__ import annotations

from app.kiosks import signals
from app.orders import services


@signals.bought_together.connect
def _bought_together(product, **_) -> list:
    return services.bought_together(product.id)
