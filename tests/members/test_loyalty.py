"""Loyalty CSV import: match by card, then by VERIFIED phone or e-mail, else a new member."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from app.errors import DomainError
from app.members import loyalty, services
from app.members.models import Member, MemberIdentifier

HEADER = "card_number,phone,name,points\n"


def _members(db) -> int:
    return db.session.scalar(select(func.count(Member.id)))


def _identifier(db, kind, value) -> MemberIdentifier | None:
    return db.session.scalar(select(MemberIdentifier).filter_by(kind=kind, value=value))


def verified_member(db, make_member, login, phone=None):
    member = make_member(login=login)
    for identifier in services.identifiers_of(member):
        identifier.verified = True
    if phone:
        services.add_identifier(member, "phone", phone, verified=True)
    db.session.commit()
    return member


def test_card_attaches_to_the_member_with_the_same_verified_phone(db, make_member):
    online = verified_member(db, make_member, "mei@example.com", phone="13800138000")
    before = _members(db)
    result = loyalty.import_csv(HEADER + "LC-1001,138 0013 8000,Mei Lin,250\n")
    db.session.commit()
    assert result["attached"] == 1 and result["created"] == 0 and result["written"]
    assert _members(db) == before
    card = _identifier(db, "loyalty", "LC-1001")
    assert card.member_id == online.id and card.verified and card.source == "loyalty-import"
    assert db.session.get(Member, online.id).points == 250


def test_an_unverified_phone_is_not_a_match(db, make_member):
    online = make_member(login="13800138000")  # signed up with the phone, never verified it
    result = loyalty.import_csv(HEADER + "LC-1001,13800138000,Mei Lin,250\n")
    db.session.commit()
    assert result["created"] == 1 and result["attached"] == 0
    card = _identifier(db, "loyalty", "LC-1001")
    assert card.member_id != online.id
    # The phone stays with its member (an identifier belongs to one member); staff are told.
    assert _identifier(db, "phone", "+8613800138000").member_id == online.id
    assert result["warnings"][0]["line"] == 2 and "unverified" in result["warnings"][0]["message"]
    assert db.session.get(Member, online.id).points == 0


def test_matches_by_verified_email_when_given(db, make_member):
    online = verified_member(db, make_member, "mei@example.com")
    result = loyalty.import_csv("card_number,email,points\nLC-7,MEI@example.com,40\n")
    db.session.commit()
    assert result["attached"] == 1
    assert _identifier(db, "loyalty", "LC-7").member_id == online.id
    assert db.session.get(Member, online.id).points == 40


def test_new_members_have_no_password_a_verified_card_and_an_unverified_phone(db):
    result = loyalty.import_csv(HEADER + "LC-2001,13900139000,Wang Fang,120\nLC-2002,,,0\n")
    db.session.commit()
    assert result["created"] == 2 and result["points_added"] == 120
    card = _identifier(db, "loyalty", "LC-2001")
    member = db.session.get(Member, card.member_id)
    assert member.name == "Wang Fang" and member.points == 120 and member.password_hash == ""
    assert card.verified
    phone = _identifier(db, "phone", "+8613900139000")
    assert phone.member_id == member.id and not phone.verified and phone.source == "loyalty-import"


def test_importing_the_same_file_twice_adds_no_points(db, make_member):
    online = verified_member(db, make_member, "mei@example.com", phone="13800138000")
    text = HEADER + "LC-1001,13800138000,Mei Lin,250\nLC-1002,13900139000,Wang Fang,80\n"
    loyalty.import_csv(text)
    db.session.commit()
    members = _members(db)
    again = loyalty.import_csv(text)
    db.session.commit()
    assert again["unchanged"] == 2 and again["created"] == again["attached"] == 0 and again["points_added"] == 0
    assert _members(db) == members
    assert db.session.get(Member, online.id).points == 250


def test_same_phone_on_two_lines_is_one_member_with_two_cards(db):
    result = loyalty.import_csv(HEADER + "LC-1,13900139000,Wang Fang,10\nLC-2,139-0013-9000,Wang Fang,5\n")
    db.session.commit()
    assert result["created"] == 1 and result["attached"] == 1
    first, second = _identifier(db, "loyalty", "LC-1"), _identifier(db, "loyalty", "LC-2")
    assert first.member_id == second.member_id
    assert db.session.get(Member, first.member_id).points == 15


def test_bad_rows_are_listed_by_line_and_nothing_is_written(db):
    text = (
        HEADER
        + "LC-1,13900139000,Good Row,10\n"
        + ",13900139001,No Card,5\n"
        + "LC-3,not-a-phone,Bad Phone,5\n"
        + "LC-4,,Bad Points,-5\n"
        + "LC-1,,Duplicate,1\n"
        + "LC-6,,Too,Many,Values\n"
    )
    result = loyalty.import_csv(text)
    assert not result["written"] and _members(db) == 0
    assert [(e["line"], e["field"]) for e in result["errors"]] == [
        (3, "card_number"),
        (4, "phone"),
        (5, "points"),
        (6, "card_number"),
        (7, None),
    ]
    assert "also on line 2" in result["errors"][3]["message"]
    db.session.rollback()
    valid_only = loyalty.import_csv(text, "valid_only")
    db.session.commit()
    assert valid_only["written"] and valid_only["created"] == 1 and len(valid_only["errors"]) == 5
    assert _members(db) == 1


def test_phone_and_email_verified_by_two_members_is_an_error(db, make_member):
    verified_member(db, make_member, "mei@example.com")
    verified_member(db, make_member, "wang@example.com", phone="13900139000")
    result = loyalty.import_csv("card_number,phone,email,points\nLC-1,13900139000,mei@example.com,5\n")
    assert result["errors"][0]["line"] == 2 and "two different members" in result["errors"][0]["message"]


def test_missing_card_number_column(db):
    with pytest.raises(DomainError) as error:
        loyalty.import_csv("phone,name\n13900139000,x\n")
    assert error.value.code == "invalid_header"


def test_import_api_admin_only_and_422_with_lines(client, db, admin_headers, clerk_headers):
    body = HEADER + "LC-1,13900139000,Wang Fang,10\nLC-2,bad,X,1\n"
    headers = {"Content-Type": "text/csv"}
    assert client.post("/api/v1/members/import", data=body, headers={**headers, **clerk_headers}).status_code == 403
    refused = client.post("/api/v1/members/import", data=body, headers={**headers, **admin_headers})
    assert refused.status_code == 422 and refused.json["error"]["details"]["errors"][0]["line"] == 3
    assert _members(db) == 0
    accepted = client.post("/api/v1/members/import?mode=valid_only", data=body, headers={**headers, **admin_headers})
    assert accepted.status_code == 200 and accepted.json["created"] == 1
    assert _members(db) == 1


def test_big_import_runs_as_a_job(app, jobs_worker, client, db, admin_headers):
    app.config["IMPORT_SYNC_LIMIT"] = 2
    body = HEADER + "".join(f"LC-{n},,Member {n},{n}\n" for n in range(5))
    response = client.post("/api/v1/members/import", data=body, headers={**admin_headers, "Content-Type": "text/csv"})
    assert response.status_code == 202 and response.json["kind"] == "loyalty_import"
    for _ in range(100):
        job = client.get(response.headers["Location"], headers=admin_headers).json
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done" and job["result"]["created"] == 5
    assert _members(db) == 5
