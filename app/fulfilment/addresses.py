"""A member's delivery addresses, and the address a parcel is sent to (checked the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.fulfilment.models import Address

MAX_ADDRESSES = 20
FIELDS = {"recipient": 120, "phone": 32, "line1": 200, "line2": 200, "city": 80, "postcode": 16, "country": 2}
REQUIRED = ("recipient", "line1", "city")


def check(raw: Any) -> dict:
    """An address as given (API or page), checked: the fields a parcel needs, coordinates in range."""
    if not isinstance(raw, dict):
        raise DomainError("invalid_address", "An address is an object with recipient, line1 and city.")
    unknown = set(raw) - set(FIELDS) - {"latitude", "longitude"}
    if unknown:
        raise DomainError("invalid_address", f"Unknown address field(s): {', '.join(sorted(unknown))}.")
    address: dict[str, Any] = {}
    for name, longest in FIELDS.items():
        value = raw.get(name, "")
        if not isinstance(value, str):
            raise DomainError("invalid_address", f"address.{name} is text.")
        value = value.strip()
        if len(value) > longest:
            raise DomainError("invalid_address", f"address.{name} is at most {longest} characters.")
        address[name] = value
    missing = [name for name in REQUIRED if not address[name]]
    if missing:
        raise DomainError("invalid_address", f"The address needs {', '.join(missing)}.")
    address["country"] = (address["country"] or "CN").upper()
    lat, lng = raw.get("latitude"), raw.get("longitude")
    if (lat is None) != (lng is None):
        raise DomainError("invalid_address", "Give both latitude and longitude, or neither.")
    if lat is not None:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng)):
            raise DomainError("invalid_address", "latitude and longitude are numbers.")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise DomainError("invalid_address", "Latitude must be within ±90 and longitude within ±180.")
    address["latitude"], address["longitude"] = lat, lng
    return address


def as_dict(address: Address) -> dict:
    return {"id": address.id} | {name: getattr(address, name) for name in (*FIELDS, "latitude", "longitude")}


def one_line(address: dict) -> str:
    """How a parcel's address reads on a page: "Li Lei, 1 Nanjing Rd, Shanghai 200001"."""
    place = " ".join(x for x in (address.get("city", ""), address.get("postcode", "")) if x)
    return ", ".join(x for x in (address.get("recipient"), address.get("line1"), address.get("line2"), place) if x)


def addresses_of(member_id: int) -> list[Address]:
    return list(db.session.scalars(select(Address).where(Address.member_id == member_id).order_by(Address.id)))


def get_address(member_id: int, address_id: int) -> Address:
    """One of this member's addresses (another member's is as unknown as a missing one)."""
    address = db.session.get(Address, address_id)
    if address is None or address.member_id != member_id:
        raise NotFound("address_not_found", f"No address {address_id}.")
    return address


def add_address(member_id: int, raw: Any) -> Address:
    fields = check(raw)
    count = db.session.scalar(select(func.count(Address.id)).where(Address.member_id == member_id)) or 0
    if count >= MAX_ADDRESSES:
        raise Conflict("too_many_addresses", f"Keep at most {MAX_ADDRESSES} addresses; remove one first.")
    address = Address(member_id=member_id, **fields)
    db.session.add(address)
    db.session.flush()
    return address


def remove_address(member_id: int, address_id: int) -> None:
    """Forget an address; parcels already sent there keep their own copy."""
    db.session.delete(get_address(member_id, address_id))
    db.session.flush()
