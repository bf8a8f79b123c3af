"""The kiosk's basket: what a kiosk scans goes into the basket of whoever is there, and joins the member's."""

from __future__ import annotations

from app.carts import services
from app.errors import DomainError
from app.extensions import db
from app.kiosks import signals


def _basket(kiosk_session, create: bool):
    if kiosk_session.member_id is not None:
        who = {"member_id": kiosk_session.member_id}
    else:
        who = {"kiosk_session_id": kiosk_session.id}
    return services.open_cart(**who) if create else services.open_cart_of(**who)


@signals.add_to_basket.connect
def _add_scanned(kiosk_session, sku: str, location: str, **_) -> dict:
    """One scanned unit into the basket, held at the kiosk's store; refused ones are shown, not added."""
    cart = _basket(kiosk_session, create=True)
    try:
        with db.session.begin_nested():
            services.add_line(cart, sku=sku, qty=1, location=location)
    except DomainError as refused:  # none left here, too many
        return {"cart": cart.id, "added": False, "message": refused.message}
    return {"cart": cart.id, "added": True}


@signals.basket_of.connect
def _basket_json(kiosk_session, **_) -> dict | None:
    cart = _basket(kiosk_session, create=False)
    return services.cart_json(cart) if cart is not None else None


@signals.member_identified.connect
def _join_member(kiosk_session, member, **_) -> None:
    """What the shopper put in the kiosk's basket is now in the member's (shown on their phone too)."""
    from app.kiosks.models import Device

    device = db.session.get(Device, kiosk_session.device_id)
    services.merge_into_member(kiosk_session.id, member.id, device.location_id if device else None)
