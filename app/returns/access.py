"""Who may see and receive a return: one rule for the API and the staff pages."""

from __future__ import annotations

from app.catalog import services as catalog
from app.catalog.models import Location
from app.errors import Forbidden
from app.members.auth import current_member
from app.returns.models import Return
from app.staff.auth import Actor, current_actor, require_at


def clerk() -> Actor | None:
    """The caller, if staff or an integration with at least the clerk role."""
    actor = current_actor()
    if actor is not None and actor.kind in ("staff", "key") and actor.may("clerk"):
        return actor
    return None


def sees_return(ret: Return, actor: Actor | None) -> bool:
    """Its member sees a return; so do staff (a clerk of one store: open ones, and those received there)."""
    member = current_member()
    if member is not None and ret.member_id == member.id:
        return True
    if actor is None:
        return False
    if actor.store_id is not None and ret.status != "requested" and ret.received_location_id != actor.store_id:
        return False
    return ret.received_location_id is None or actor.may_at(ret.received_location_id)


def receiving_location(code: str, actor: Actor) -> Location:
    """Where the goods are received: a clerk of one store receives only at that store."""
    place = catalog.get_location(code)
    if actor.store_id is not None and place.id != actor.store_id:
        raise Forbidden("other_store", f"You receive returns at your own store, not at {place.name}.")
    require_at(place.id, place.code)
    return place
