"""Socket.IO ``/merchant``: a merchant user's screens hear that merchant's sales live.

Only a signed-in merchant user may connect; ``merchant:subscribe`` joins the room of the
user's own merchant, chosen on the server. Asking for another merchant is refused.
"""

from __future__ import annotations

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from app.errors import DomainError, Forbidden, error_ack
from app.extensions import socketio
from app.settlement.access import is_merchant_user
from app.settlement.live import NAMESPACE, merchant_room


def _merchant_id() -> int | None:
    if current_user.is_authenticated and is_merchant_user(current_user):
        return current_user.merchant_id
    return None


@socketio.on("connect", namespace=NAMESPACE)
def merchant_connect(auth=None) -> bool:
    """Merchant users only (by their signed-in session)."""
    if _merchant_id() is None:
        raise ConnectionRefusedError({"code": "unauthorized", "message": "Sign in as a merchant user."})
    return True


@socketio.on("merchant:subscribe", namespace=NAMESPACE)
def merchant_subscribe(data=None):
    """Join the own merchant's room; a request for another merchant is refused."""
    try:
        mine = _merchant_id()
        if mine is None:
            raise DomainError("unauthorized", "Sign in as a merchant user.")
        wanted = (data or {}).get("merchant") if isinstance(data, dict) else None
        if wanted is not None and wanted != mine:
            raise Forbidden("other_merchant", "You can follow your own merchant only.")
        join_room(merchant_room(mine))
        return {"ok": True, "merchant": mine}
    except DomainError as error:
        return error_ack(error)
