"""Merging two members: the preview, everything moves, an audit record; refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import DomainError
from app.members import codes, merge, services
from app.members.models import Member, MemberCodeUse, MemberMerge
from app.scans import services as scans
from app.scans.models import Scan


@pytest.fixture
def two_members(app, db, make_member):
    """Kept (web sign-up) and a duplicate with a card, a phone, scans, points, code uses and a session."""
    kept = make_member(login="mei@example.com", name="")
    dup = make_member(login="13800138000", name="Mei Lin")
    services.add_identifier(dup, "loyalty", "LC-1001", verified=True, source="loyalty-import")
    dup.points, kept.points = 300, 20
    for n in range(3):
        scans.record_scan(f"CODE{n}", "phone", member_id=dup.id)
    scans.record_scan("KEPT", "phone", member_id=kept.id)
    now = 1_800_000_000.0
    codes.redeem(codes.codes_ahead(dup, now=now)[0].code, now=now)
    codes.redeem(codes.codes_ahead(kept, now=now)[0].code, now=now)  # same 30 s step as dup's
    codes.redeem(codes.codes_ahead(dup, now=now + 30)[0].code, now=now + 30)
    db.session.commit()
    phone = app.test_client()
    assert phone.post("/api/v1/session", json={"login": "13800138000", "password": "long-password"}).status_code == 200
    return kept, dup, phone


def test_preview_counts_what_moves(two_members):
    kept, dup, _ = two_members
    assert merge.preview(kept, dup) == {
        "identifiers": 2,
        "scans": 3,
        "points": 300,
        "member_code_uses": 2,
        "sessions": 1,
        # What other domains keep (tests/orders/test_member_merge.py moves them).
        "basket_units": 0,
        "orders": 0,
        "payments": 0,
        "wallet_balance": 0,
    }


def test_merge_moves_everything_and_leaves_an_audit_record(db, make_staff, two_members):
    kept, dup, phone = two_members
    old_code = codes.codes_ahead(dup)[0].code
    admin = make_staff()
    record = merge.merge(kept, dup, admin)
    db.session.commit()
    kept, dup = db.session.get(Member, kept.id), db.session.get(Member, dup.id)
    # Identifiers: the phone and card now lead to the kept member.
    assert {i.value for i in services.identifiers_of(kept)} == {"mei@example.com", "+8613800138000", "LC-1001"}
    assert services.identifiers_of(dup) == []
    assert services.find_by_identifier("loyalty", "LC-1001").id == kept.id
    assert services.authenticate("13800138000", "long-password").id == kept.id
    # Scans, points, member-code uses.
    assert db.session.scalar(select(func.count(Scan.id)).where(Scan.member_id == kept.id)) == 4
    assert (kept.points, dup.points) == (320, 0)
    assert db.session.scalar(select(func.count(MemberCodeUse.id)).where(MemberCodeUse.member_id == kept.id)) == 2
    # The duplicate is retired: merged_into set, its session and its member codes stop working.
    assert dup.merged_into_id == kept.id and not dup.active
    assert phone.get("/api/v1/members/me").status_code == 401
    with pytest.raises(DomainError):
        codes.redeem(old_code)
    # The audit record says who and what.
    saved = db.session.get(MemberMerge, record.id)
    assert (saved.kept_member_id, saved.merged_member_id, saved.staff_user_id) == (kept.id, dup.id, admin.id)
    assert saved.moved["identifiers"] == 2 and saved.moved["scans"] == 3 and saved.moved["points"] == 300
    assert saved.moved["member_code_uses"] == 1 and saved.moved["sessions_revoked"] == 1
    assert saved.moved["name"] == "Mei Lin" and kept.name == "Mei Lin"


def test_refuses_merging_into_itself_or_an_already_merged_member(db, make_member):
    a, b, c = make_member(), make_member(), make_member()
    with pytest.raises(DomainError) as itself:
        merge.preview(a, a)
    assert itself.value.status == 409 and itself.value.code == "merge_same_member"
    merge.merge(a, b)
    db.session.commit()
    for kept, merged in ((a, b), (b, c), (c, b)):
        with pytest.raises(DomainError) as again:
            merge.merge(kept, merged)
        assert again.value.status == 409 and again.value.code == "member_already_merged"
        db.session.rollback()


def test_earlier_merges_point_at_the_new_kept_member(db, make_member):
    a, b, c = make_member(), make_member(), make_member()
    merge.merge(b, c)
    record = merge.merge(a, b)
    db.session.commit()
    assert db.session.get(Member, c.id).merged_into_id == a.id
    assert record.moved["earlier_merges"] == 1


def test_merge_api(client, db, admin_headers, clerk_headers, two_members):
    kept, dup, _ = two_members
    url = f"/api/v1/members/{kept.id}"
    assert client.get(f"{url}/merge-preview?from={dup.id}", headers=clerk_headers).status_code == 403
    assert client.post(f"{url}/merge", json={"from": dup.id}, headers=clerk_headers).status_code == 403
    preview = client.get(f"{url}/merge-preview?from={dup.id}", headers=admin_headers)
    assert preview.status_code == 200 and preview.json["moves"]["scans"] == 3
    assert preview.json["merged"]["id"] == dup.id
    done = client.post(f"{url}/merge", json={"from": dup.id}, headers=admin_headers)
    assert done.status_code == 200, done.json
    assert done.json["moved"]["points"] == 300 and done.json["moved"]["actor"].startswith("api-key:")
    again = client.post(f"{url}/merge", json={"from": dup.id}, headers=admin_headers)
    assert again.status_code == 409
    assert client.post(f"{url}/merge", json={"from": kept.id}, headers=admin_headers).status_code == 409
    assert client.post(f"{url}/merge", json={"from": 99999}, headers=admin_headers).status_code == 404
    detail = client.get(f"/api/v1/members/{dup.id}", headers=clerk_headers).json
    assert detail["merged_into_id"] == kept.id and detail["merges"][0]["kept_member_id"] == kept.id
