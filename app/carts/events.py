"""Socket.IO on /live: every screen showing a cart (the phone, the kiosk) follows it live.

The server joins the room after checking the cart is the caller's: a member's own cart (or the
cart of the member identified at this kiosk screen), the kiosk session's cart, or a guest
cart, whose id alone is the key to it.
"""

from __future__ import annotations

from flask import session
from flask_socketio import join_room

from app.carts import services
from app.errors import DomainError, error_ack
from app.extensions import socketio
from app.kiosks import auth as kiosk_auth
from app.kiosks import services as kiosks
from app.members import auth as member_auth
from app.members import services as members


@socketio.on("cart:subscribe", namespace="/live")
def cart_subscribe(data=None):
    """Join the room of {"cart": id}; the acknowledgement carries the cart as it is now."""
    try:
        cart_id = data.get("cart") if isinstance(data, dict) else None
        if not isinstance(cart_id, str):
            raise DomainError("invalid_subscription", 'Send {"cart": "<cart id>"}.')
        cart = services.get_cart(cart_id)
        # Not current_member(): it caches on the environ, which lives as long as the connection.
        member = members.member_for_token(session.get(member_auth.SESSION_KEY))
        device = kiosk_auth.screen_device()
        kiosk_session = kiosks.current_session(device) if device is not None else None
        services.check_access(
            cart,
            member_id=member.id if member else None,
            kiosk_member_id=kiosk_session.member_id if kiosk_session else None,
            kiosk_session_id=kiosk_session.id if kiosk_session else None,
        )
        join_room(services.cart_room(cart.id), namespace="/live")
        return {"ok": True, "cart": services.cart_json(cart)}
    except DomainError as error:
        return error_ack(error)
