"""The member code: accepted once, refused on reuse, after 60 seconds, when forged; one winner."""

from __future__ import annotations

import threading

import pytest

from app.errors import DomainError
from app.members import codes

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def test_code_is_accepted_once(make_member, db):
    member = make_member()
    now = 1_800_000_000.0
    code = codes.codes_ahead(member, now=now)[0].code
    assert codes.redeem(code, now=now).id == member.id
    db.session.commit()
    with pytest.raises(DomainError) as again:
        codes.redeem(code, now=now + 1)
    assert again.value.code == "member_code_used" and again.value.status == 409


def test_code_lives_at_most_60_seconds(make_member):
    member = make_member()
    start = 1_800_000_010.0  # 10 s into a 30 s step
    code = codes.codes_ahead(member, now=start)[0]
    assert (code.expires_at.timestamp() - code.shows_from.timestamp()) == 60
    assert codes.redeem(code.code, now=code.shows_from.timestamp() + 59.9).id == member.id
    fresh = codes.codes_ahead(member, now=start + 100)[0]
    with pytest.raises(DomainError) as late:
        codes.redeem(fresh.code, now=fresh.shows_from.timestamp() + 60)
    assert late.value.code == "member_code_expired"


def test_an_older_code_is_refused_once_a_newer_one_was_used(make_member, db):
    member = make_member()
    now = 1_800_000_000.0
    older = codes.code_for(member, codes.current_step(now) - 1).code
    newer = codes.code_for(member, codes.current_step(now)).code
    codes.redeem(newer, now=now)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        codes.redeem(older, now=now)
    assert refused.value.code == "member_code_used"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # MAC changed
        lambda c: c.replace("MC-", "MC-9", 1),  # another member's id
        lambda c: "HELLO",
        lambda c: c.rsplit("-", 2)[0] + "-1-AAAAAAAAAA",
    ],
)
def test_forged_codes_are_refused(make_member, mangle):
    member = make_member()
    now = 1_800_000_000.0
    with pytest.raises(DomainError) as forged:
        codes.redeem(mangle(codes.codes_ahead(member, now=now)[0].code), now=now)
    assert forged.value.code == "invalid_member_code"


def test_another_members_secret_cannot_make_my_code(make_member):
    me, other = make_member(), make_member()
    now = 1_800_000_000.0
    theirs = codes.code_for(other, codes.current_step(now)).code
    forged = theirs.replace(f"MC-{other.id}-", f"MC-{me.id}-")
    with pytest.raises(DomainError) as refused:
        codes.redeem(forged, now=now)
    assert refused.value.code == "invalid_member_code"


def test_future_codes_wait_their_turn(make_member):
    member = make_member()
    now = 1_800_000_000.0
    future = codes.codes_ahead(member, now=now)[2].code
    with pytest.raises(DomainError) as early:
        codes.redeem(future, now=now)
    assert early.value.code == "invalid_member_code"


def test_sign_out_everywhere_invalidates_codes_shown(make_member, db):
    from app.members import services

    member = make_member()
    code = codes.codes_ahead(member)[0].code
    services.sign_out_everywhere(member)
    db.session.commit()
    with pytest.raises(DomainError) as stale:
        codes.redeem(code)
    assert stale.value.code == "invalid_member_code"


@both
def test_two_stores_redeem_at_once_exactly_one_wins(app, make_member, clerk_headers, admin_headers):
    member = make_member()
    code = codes.codes_ahead(member)[0].code
    barrier, answers = threading.Barrier(6), []

    def scan(headers):
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/api/v1/member-codes/redeem", json={"code": code}, headers=headers))

    threads = [threading.Thread(target=scan, args=(h,)) for h in [clerk_headers, admin_headers] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 200)
    assert winner.json["member"]["first_name"] == "Mei"


def test_redeem_needs_device_or_staff_credentials(client, make_member):
    code = codes.codes_ahead(make_member())[0].code
    assert client.post("/api/v1/member-codes/redeem", json={"code": code}).status_code == 401


def test_phone_gets_current_and_next_codes(member_client):
    client, member = member_client()
    body = client.get("/api/v1/members/me/code").json
    assert body["code"].startswith(f"MC-{member.id}-") and len(body["ahead"]) == 3
    assert body["ahead"][0]["code"] == body["code"]
    steps = [int(c["code"].split("-")[2]) for c in body["ahead"]]
    assert steps == [steps[0], steps[0] + 1, steps[0] + 2]
