"""Points as a ledger: every change is an entry, the balance is their sum, never below zero; expiry."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import begin_write, utcnow
from app.errors import Conflict
from app.members import points
from app.members import services as members
from app.members.models import Member, PointsEntry


def ledger_sum(db, member_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).filter_by(member_id=member_id))


def balance(db, member_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Member, member_id).points


def agrees(db, member_id: int) -> None:
    """Balance == sum of entries == the last entry's balance_after, and what is left of the lots sums to it."""
    have = balance(db, member_id)
    entries = points.entries_of(member_id)
    assert have >= 0
    assert have == ledger_sum(db, member_id)
    assert have == (entries[-1].balance_after if entries else 0)
    assert sum(lot.left for lot in points.lots_of(member_id)) == have


def write(db, call, *args, **kwargs):
    begin_write(db.session)
    try:
        answer = call(*args, **kwargs)
        db.session.commit()
        return answer
    except BaseException:
        db.session.rollback()
        raise


OPS = st.lists(
    st.tuples(
        st.sampled_from(["earn", "spend", "return", "cancel", "expire", "import"]),
        st.integers(min_value=1, max_value=400),
        st.integers(min_value=0, max_value=400),  # days later, for expire
    ),
    min_size=1,
    max_size=25,
)


def bare_member(db) -> Member:
    """A member row without the sign-up's password hashing (slow, and beside the point here)."""
    member = Member(name="Mei Lin", code_secret=members.new_code_secret())
    db.session.add(member)
    db.session.commit()
    return member


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_the_balance_is_the_sum_of_the_entries_after_any_sequence(app, db, ops):
    app.config["POINTS_EXPIRE_DAYS"] = 100
    member = bare_member(db)
    later = timedelta(0)
    for op, amount, days in ops:
        before = balance(db, member.id)
        if op == "earn":
            write(db, members.add_points, member.id, amount)
        elif op == "import":
            write(db, points.record, member.id, amount, "imported")
        elif op == "spend":
            if amount > before:
                with pytest.raises(Conflict):
                    write(db, members.spend_points, member.id, amount)
                assert balance(db, member.id) == before  # refused, nothing written
            else:
                write(db, members.spend_points, member.id, amount)
        elif op == "return":
            taken = write(db, members.take_points, member.id, amount)
            assert taken == min(amount, before)
        elif op == "cancel":
            write(db, members.add_points, member.id, amount, kind="given_back")
        else:
            later += timedelta(days=days)
            gone = write(db, points.expire_member, member.id, utcnow() + later)
            assert 0 <= gone <= before
            dated = [lot for lot in points.lots_of(member.id) if lot.entry.expires_at is not None]
            assert all(lot.left == 0 for lot in dated if lot.entry.expires_at <= utcnow() + later)
        agrees(db, member.id)


def test_spending_comes_out_of_the_oldest_points_and_only_the_rest_expires(app, db, make_member):
    app.config["POINTS_EXPIRE_DAYS"] = 30
    member = make_member()
    write(db, members.add_points, member.id, 100)  # expires in 30 days
    write(db, points.record, member.id, 50, "imported")  # never expires
    write(db, members.spend_points, member.id, 70)  # out of the 100 first
    assert write(db, points.expire_member, member.id, utcnow() + timedelta(days=29)) == 0
    assert write(db, points.expire_member, member.id, utcnow() + timedelta(days=31)) == 30
    assert balance(db, member.id) == 50
    assert write(db, points.expire_member, member.id, utcnow() + timedelta(days=400)) == 0  # ended once
    kinds = [e.kind for e in points.entries_of(member.id)]
    assert kinds == ["earned", "imported", "spent", "expired"]
    assert points.members_with_points_due(utcnow() + timedelta(days=400)) == []
    agrees(db, member.id)


def test_the_periodic_task_expires_due_points(app, db, make_member):
    from app.members.tasks import expire_points

    app.config["POINTS_EXPIRE_DAYS"] = 1
    member, other = make_member(), make_member()
    write(db, members.add_points, member.id, 40)
    write(db, members.add_points, other.id, 25)
    begin_write(db.session)
    db.session.execute(PointsEntry.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert expire_points.call_local() == 65
    assert balance(db, member.id) == 0 and balance(db, other.id) == 0
    assert expire_points.call_local() == 0
    agrees(db, member.id)
    agrees(db, other.id)


def test_a_zero_days_setting_never_expires(app, db, make_member):
    app.config["POINTS_EXPIRE_DAYS"] = 0
    member = make_member()
    write(db, members.add_points, member.id, 10)
    assert points.entries_of(member.id)[0].expires_at is None
    assert write(db, points.expire_member, member.id, utcnow() + timedelta(days=10_000)) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_spending_at_once_never_goes_below_zero(app, db, make_member):
    """20 threads spend 30 points each from 300 at the same moment: 10 succeed, the balance ends at 0."""
    member_id = make_member().id
    write(db, points.record, member_id, 300, "imported")
    start = threading.Barrier(20)
    results: list[str] = []

    def spend() -> None:
        with app.app_context():
            start.wait()
            try:
                write(db, members.spend_points, member_id, 30)
                results.append("spent")
            except Conflict:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results.count("spent") == 10 and results.count("refused") == 10
    assert balance(db, member_id) == 0
    agrees(db, member_id)
    assert [e.balance_after for e in points.entries_of(member_id)] == list(range(300, -1, -30))


def test_the_upgrade_gives_every_balance_an_opening_entry(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db as database

    migrated = create_app(TestConfig(f"sqlite:///{tmp_path / 'm.db'}", tmp_path))
    with migrated.app_context():
        upgrade(revision="1a3b5c7d9e02")
        with database.engine.begin() as conn:
            for n, balance in ((1, 120), (2, 0)):
                conn.execute(
                    text(
                        "INSERT INTO members (id, name, password_hash, code_secret, last_code_step, points, created_at)"
                        " VALUES (:id, 'Mei', '', 'SECRET', 0, :points, '2026-01-01 00:00:00')"
                    ),
                    {"id": n, "points": balance},
                )
        upgrade()
        with database.engine.connect() as conn:
            rows = conn.execute(text("SELECT member_id, delta, kind, balance_after FROM points_entries")).all()
        assert [tuple(row) for row in rows] == [(1, 120, "imported", 120)]
        database.session.remove()
        database.engine.dispose()
