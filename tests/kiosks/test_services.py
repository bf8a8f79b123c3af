"""Kiosk rules: device tokens, sessions, single-use pairing, identification and scans."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.errors import DomainError
from app.kiosks import services
from app.kiosks.models import Device, KioskSession, PairingToken
from app.members import codes
from app.scans import services as scans
from app.scans.models import Scan

# Every rule here holds on SQLite and on PostgreSQL.
pytestmark = pytest.mark.parametrize(
    "app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def test_device_token_is_stored_hashed_and_revocable(make_device, db):
    device, token = make_device()
    assert token.startswith("osd_")
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = db.session.execute(select(Device.__table__)).one()
    assert token not in [str(value) for value in stored]
    assert services.verify_device_token(token).id == device.id
    assert services.verify_device_token(token[:-1] + ("x" if token[-1] != "x" else "y")) is None
    services.revoke_device(device.token_prefix)
    db.session.commit()
    assert services.verify_device_token(token) is None


def test_kiosk_number_comes_from_the_name_or_the_next_free_one(make_device, store):
    three, _ = make_device("Kiosk 3")
    again, _ = make_device("Kiosk 3 (by the door)")
    plain, _ = make_device("Entrance")
    assert (three.number, three.label) == (3, "kiosk 3")
    assert again.number == 4  # "3" is taken; the name's number is only a suggestion
    assert plain.number == 5
    with pytest.raises(DomainError) as taken:
        services.create_device(store.code, "Other", number=3)
    assert taken.value.status == 409


def test_unknown_store_is_refused(db):
    with pytest.raises(DomainError) as unknown:
        services.create_device("NOPE", "Kiosk 1")
    assert unknown.value.status == 404


def test_pairing_token_is_random_hashed_and_short_lived(make_device, db):
    device, _ = make_device()
    kiosk_session = services.start_session(device)
    token, plain = services.issue_pairing_token(kiosk_session)
    db.session.commit()
    assert len(plain) * 6 >= 128  # URL-safe base64: 6 bits a character
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in [str(v) for v in db.session.execute(select(PairingToken.__table__)).one()]
    assert timedelta(0) < token.expires_at - token.created_at <= timedelta(seconds=120)
    assert services.pairing_url(plain) == f"http://shop.test/pair/{plain}"
    assert services.issue_pairing_token(kiosk_session)[1] != plain


def test_pairing_token_works_once(make_device, make_member, db):
    device, _ = make_device()
    kiosk_session = services.start_session(device)
    _, plain = services.issue_pairing_token(kiosk_session)
    member = make_member(name="Mei Lin")
    paired = services.confirm_pairing(plain, member)
    db.session.commit()
    assert (paired.id, paired.member_id, paired.identified_by) == (kiosk_session.id, member.id, "pairing")
    assert paired.identified_at is not None
    with pytest.raises(DomainError) as replay:
        services.confirm_pairing(plain, member)
    assert (replay.value.code, replay.value.status) == ("pairing_used", 409)


def test_expired_pairing_token_is_refused(make_device, make_member, db):
    device, _ = make_device()
    now = utcnow()
    token, plain = services.issue_pairing_token(services.start_session(device), now=now)
    db.session.commit()
    member = make_member()
    assert services.check_pairing_token(plain, now=token.expires_at - timedelta(seconds=1)).id == token.id
    for late in (token.expires_at, now + timedelta(seconds=121)):
        with pytest.raises(DomainError) as expired:
            services.confirm_pairing(plain, member, now=late)
        assert (expired.value.code, expired.value.status) == ("pairing_expired", 410)
    db.session.rollback()
    assert db.session.get(PairingToken, token.id).used_at is None


def test_unknown_pairing_token_is_refused(db):
    with pytest.raises(DomainError) as unknown:
        services.check_pairing_token("not-a-token")
    assert unknown.value.status == 404


def test_a_new_session_ends_the_old_one_and_its_codes(make_device, make_member, db):
    device, _ = make_device()
    first = services.start_session(device)
    _, plain = services.issue_pairing_token(first)
    second = services.start_session(device)
    db.session.commit()
    assert first.ended_at is not None and services.current_session(device).id == second.id
    with pytest.raises(DomainError) as ended:
        services.confirm_pairing(plain, make_member())
    assert (ended.value.code, ended.value.status) == ("kiosk_session_ended", 410)


def test_a_member_cannot_take_a_kiosk_session_that_is_someone_elses(make_device, make_member, db):
    device, _ = make_device()
    kiosk_session = services.start_session(device)
    _, mine = services.issue_pairing_token(kiosk_session)
    _, theirs = services.issue_pairing_token(kiosk_session)
    mei, bo = make_member(name="Mei Lin"), make_member(name="Bo Chen")
    services.confirm_pairing(mine, mei)
    db.session.commit()
    with pytest.raises(DomainError) as busy:
        services.confirm_pairing(theirs, bo)
    assert (busy.value.code, busy.value.status) == ("kiosk_in_use", 409)
    db.session.rollback()
    assert db.session.get(KioskSession, kiosk_session.id).member_id == mei.id
    # The refused code was not spent.
    assert db.session.scalar(select(PairingToken.used_at).filter_by(token_hash=services._hash(theirs))) is None


def test_no_pairing_codes_once_a_member_is_identified(make_device, make_member, db):
    device, _ = make_device()
    kiosk_session = services.start_session(device)
    services.identify_member(kiosk_session, make_member(), "member_code")
    with pytest.raises(DomainError) as identified:
        services.issue_pairing_token(kiosk_session)
    assert identified.value.status == 409


def test_member_code_identifies_the_kiosk_session_and_its_earlier_scans_join(make_device, make_member, db):
    device, _ = make_device()
    kiosk_session = services.start_session(device)
    before = [
        scans.record_scan(f"CODE{n}", "kiosk", shopper_session=kiosk_session.key, device=device.token_prefix)
        for n in range(3)
    ]
    elsewhere = scans.record_scan("OTHER", "phone", shopper_session="someone-else")
    db.session.commit()
    member = make_member(name="Mei Lin")
    identified, who = services.identify_by_member_code(device, codes.codes_ahead(member)[0].code)
    db.session.commit()
    assert (identified.id, identified.member_id) == (kiosk_session.id, member.id)
    assert identified.identified_by == "member_code"
    assert who.id == member.id
    assert {db.session.get(Scan, s.id).member_id for s in before} == {member.id}
    assert db.session.get(Scan, elsewhere.id).member_id is None


def test_a_used_member_code_identifies_nobody(make_device, make_member, db):
    device, _ = make_device()
    member = make_member()
    code = codes.codes_ahead(member)[0].code
    services.identify_by_member_code(device, code)
    db.session.commit()
    services.start_session(device)
    db.session.commit()
    with pytest.raises(DomainError) as used:
        services.identify_by_member_code(device, code)
    assert used.value.status == 409
    db.session.rollback()
    assert services.current_session(device).member_id is None


def test_revoking_a_device_ends_its_session(make_device, db):
    device, _ = make_device()
    kiosk_session = services.start_session(device)
    services.revoke_device(device.token_prefix)
    db.session.commit()
    assert kiosk_session.ended_at is not None and services.live_device(device.id) is None


def test_two_phones_confirm_one_code_at_once_exactly_one_wins(app, make_device, make_member, db):
    device, _ = make_device()
    _, plain = services.issue_pairing_token(services.start_session(device))
    db.session.commit()
    member_ids = [make_member().id for _ in range(5)]
    barrier, outcomes = threading.Barrier(len(member_ids)), []

    def confirm(member_id: int) -> None:
        with app.app_context():
            from app.db import begin_write
            from app.extensions import db as thread_db
            from app.members.models import Member

            barrier.wait()
            try:
                begin_write(thread_db.session)
                services.confirm_pairing(plain, thread_db.session.get(Member, member_id))
                thread_db.session.commit()
                outcomes.append("paired")
            except DomainError as error:
                thread_db.session.rollback()
                outcomes.append(error.code)
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=confirm, args=(m,)) for m in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paired"] + ["pairing_used"] * 4
    db.session.rollback()
    assert db.session.scalar(select(KioskSession.member_id)) in member_ids


def test_a_member_recognised_at_a_kiosk_gets_its_open_session(make_device, make_member, db):
    device, _ = make_device()
    member = make_member(name="Mei Lin")
    kiosk_session = services.identify_at_device(device, member)  # no session yet: one starts
    db.session.commit()
    assert services.current_session(device).id == kiosk_session.id
    assert (kiosk_session.member_id, kiosk_session.identified_by) == (member.id, "member_code")
