"""Importing the old POS's loyalty members from CSV: card_number, phone, name, points (, email).

Every row is checked before anything is written. With mode "all" one bad row means nothing
is written; with "valid_only" the good rows are imported and the bad ones listed.

Each good row goes to one member, in this order:

1. The card is already known: that member. Nothing changes (the name is filled in if the
   member has none) and the points are NOT added again, so importing the same file twice
   is harmless; the row counts as "unchanged".
2. A member has the row's phone, or e-mail, *verified*: the card is attached to that member
   (verified, source "loyalty-import") and the row's points are added. A phone and an e-mail
   verified by two different members is an error: staff decide, then merge.
3. Otherwise a new member without a password: the card (verified: it was in the shop's own
   POS), the phone and e-mail unverified (nobody proved they hold them yet) when no other
   member has them, and the points. They claim the account with a reset code sent to that
   phone. A later line with the same phone or e-mail joins the member an earlier line created.
   An unverified phone of another member is never taken: the row gets a new member and a
   warning, and staff can merge after checking.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import marshmallow as ma
from sqlalchemy import select

from app.core.csvfiles import count_rows, decode  # noqa: F401 - callers use them from here
from app.errors import DomainError
from app.extensions import db
from app.members import points as ledger
from app.members import services
from app.members.models import Member, MemberIdentifier

COLUMNS = ["card_number", "phone", "name", "points", "email"]
REQUIRED = ("card_number",)
SOURCE = "loyalty-import"
CARD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
MAX_POINTS = 100_000_000


class LoyaltyRowError(ma.Schema):
    line = ma.fields.Integer()
    card_number = ma.fields.String(allow_none=True)
    field = ma.fields.String(allow_none=True)
    message = ma.fields.String()


class LoyaltyImportResult(ma.Schema):
    rows = ma.fields.Integer()
    created = ma.fields.Integer(metadata={"description": "New members."})
    attached = ma.fields.Integer(
        metadata={"description": "Cards attached to a member with that verified phone/e-mail."}
    )
    unchanged = ma.fields.Integer(metadata={"description": "Cards already imported: points not added again."})
    points_added = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(LoyaltyRowError))
    warnings = ma.fields.List(ma.fields.Nested(LoyaltyRowError))
    written = ma.fields.Boolean(metadata={"description": "False when nothing was written."})


class _FieldError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        self.field, self.message = field, message


def _parse_row(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as values; raises _FieldError naming the bad field."""
    if None in row:
        raise _FieldError(None, "This line has more values than the header has columns.")
    card = (row.get("card_number") or "").strip()
    if not card:
        raise _FieldError("card_number", "card_number is required.")
    if not CARD_RE.match(card):
        raise _FieldError("card_number", "A card number is up to 64 letters, digits, spaces, dots or dashes.")
    values: dict[str, Any] = {"card_number": card, "name": (row.get("name") or "").strip()[:120]}
    for kind in ("phone", "email"):
        raw = (row.get(kind) or "").strip()
        try:
            values[kind] = services.normalise_identifier(kind, raw) if raw else None
        except DomainError as error:
            raise _FieldError(kind, error.message) from None
    points = (row.get("points") or "").strip() or "0"
    if not points.isascii() or not points.isdigit() or len(points) > 12 or int(points) > MAX_POINTS:
        raise _FieldError("points", f"points must be a whole number from 0 to {MAX_POINTS}.")
    values["points"] = int(points)
    return values


def _owners(kind: str, values: set[str]) -> dict[str, tuple[int, bool]]:
    """value -> (member id, verified) for the identifiers of ``kind`` among ``values``."""
    found: dict[str, tuple[int, bool]] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), 500):
        rows = db.session.execute(
            select(MemberIdentifier.value, MemberIdentifier.member_id, MemberIdentifier.verified).where(
                MemberIdentifier.kind == kind, MemberIdentifier.value.in_(ordered[start : start + 500])
            )
        )
        found.update({value: (member_id, verified) for value, member_id, verified in rows})
    return found


def check_rows(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict]]:
    """Parse and check every row: (good rows, errors, owners of the file's cards/phones/e-mails)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DomainError(
            "invalid_header",
            f"The first line must name the columns; missing: {', '.join(missing)}.",
            details={"expected": COLUMNS},
        )
    reader.fieldnames = header
    parsed, errors = [], []
    seen_card: dict[str, int] = {}
    for index, row in enumerate(reader):
        line = index + 2  # the header is line 1
        card = (row.get("card_number") or "").strip() or None
        try:
            values = _parse_row(row)
            if card in seen_card:
                raise _FieldError("card_number", f"Card {card} is also on line {seen_card[card]}.")
        except _FieldError as error:
            errors.append({"line": line, "card_number": card, "field": error.field, "message": error.message})
            continue
        seen_card[card] = line
        parsed.append({**values, "line": line})
    owners = {
        kind: _owners(kind, {v[column] for v in parsed if v[column]})
        for kind, column in (("loyalty", "card_number"), ("phone", "phone"), ("email", "email"))
    }
    good = []
    for values in parsed:
        if values["card_number"] not in owners["loyalty"]:
            verified = {
                owners[kind][values[kind]][0]
                for kind in ("phone", "email")
                if values[kind] in owners[kind] and owners[kind][values[kind]][1]
            }
            if len(verified) > 1:
                errors.append(
                    {
                        "line": values["line"],
                        "card_number": values["card_number"],
                        "field": "phone",
                        "message": "The phone and the e-mail are verified by two different members; merge them first.",
                    }
                )
                continue
            values["match_id"] = verified.pop() if verified else None
        good.append(values)
    errors.sort(key=lambda e: e["line"])
    return good, errors, owners


def import_csv(text: str, mode: str = "all", report=None) -> dict[str, Any]:
    """Check every row, then write them all (or only the good ones with mode="valid_only")."""
    good, errors, owners = check_rows(text)
    result: dict[str, Any] = {
        "rows": len(good) + len(errors),
        "created": 0,
        "attached": 0,
        "unchanged": 0,
        "points_added": 0,
        "errors": errors,
        "warnings": [],
        "written": False,
    }
    if errors and mode == "all" or not good:
        return result
    claimed: dict[tuple[str, str], tuple[Member, int]] = {}
    for index, values in enumerate(good):
        _import_row(values, owners, claimed, result)
        if report and index % 200 == 0:
            report(index, len(good))
    db.session.flush()
    result["written"] = True
    if report:
        report(len(good), len(good))
    return result


def _import_row(values: dict, owners: dict[str, dict], claimed: dict, result: dict) -> None:
    """Write one checked row (see the module docstring for the order of matching).

    ``claimed`` maps (kind, value) to (member, line) for phones and e-mails this import gave
    to new members, so a later line with the same phone or e-mail joins that member.
    """
    card = values["card_number"]
    if card in owners["loyalty"]:
        member = services.get_member(owners["loyalty"][card][0])
        _fill_name(member, values["name"])
        result["unchanged"] += 1
        return
    member = services.get_member(values["match_id"]) if values["match_id"] else None
    if member is None:
        earlier = next((claimed[(k, values[k])] for k in ("phone", "email") if (k, values[k]) in claimed), None)
        if earlier:
            member = earlier[0]
            _warn(result, values, f"Same phone or e-mail as line {earlier[1]}: the card joins that member.")
    if member is not None:
        services.add_identifier(member, "loyalty", card, verified=True, source=SOURCE)
        _fill_name(member, values["name"])
        result["attached"] += 1
    else:
        member = _new_member(values, owners, claimed, result)
        result["created"] += 1
    ledger.record(member.id, values["points"], "imported")
    result["points_added"] += values["points"]


def _new_member(values: dict, owners: dict[str, dict], claimed: dict, result: dict) -> Member:
    """A member without a password: the card verified, a free phone and e-mail unverified."""
    member = Member(name=values["name"], code_secret=services.new_code_secret())
    db.session.add(member)
    db.session.flush()
    services.add_identifier(member, "loyalty", values["card_number"], verified=True, source=SOURCE)
    for kind in ("phone", "email"):
        value = values[kind]
        if value and value in owners[kind]:
            _warn(result, values, f"The {kind} {value} is on member {owners[kind][value][0]} (unverified): not added.")
        elif value:
            services.add_identifier(member, kind, value, source=SOURCE)
            claimed[(kind, value)] = (member, values["line"])
    return member


def _fill_name(member: Member, name: str) -> None:
    if name and not member.name.strip():
        member.name = name


def _warn(result: dict, values: dict, message: str) -> None:
    result["warnings"].append(
        {"line": values["line"], "card_number": values["card_number"], "field": None, "message": message}
    )


def start_import_job(text: str, mode: str):
    """Import a big file in the background; the job shows progress and then the result."""
    from app.jobs import services as jobs

    return jobs.start_import("loyalty_import", count_rows(text), import_csv, text, mode)
