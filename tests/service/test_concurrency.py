"""Presses of "Need help?" at once by one shopper make one request: the database keeps it so."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.db import begin_write
from app.extensions import db
from app.members import services as members
from app.service import services
from app.service.models import HelpRequest

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@both
@pytest.mark.parametrize("who", ["member", "guest"])
def test_eight_presses_at_once_make_one_request(app, make_location, who):
    make_location(code="SH-A", name="Pudong store")
    member_id = None
    if who == "member":
        member_id = members.sign_up("mei@example.com", "long-password", "Mei").id
        db.session.commit()
    session = None if member_id else "a" * 32
    start = threading.Barrier(8)

    def press(_):
        with app.app_context():
            start.wait(10)
            try:
                begin_write(db.session)
                request, new = services.ask_from_phone("SH-A", member_id=member_id, shopper_session=session)
                db.session.commit()
                return request.id, new
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(press, range(8)))

    assert len({request_id for request_id, _ in answers}) == 1
    assert sum(new for _, new in answers) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 1
    # Once it is answered, the next press is a new request.
    begin_write(db.session)
    first = db.session.get(HelpRequest, answers[0][0])
    first.status = "closed"
    db.session.commit()
    begin_write(db.session)
    again, new = services.ask_from_phone("SH-A", member_id=member_id, shopper_session=session)
    db.session.commit()
    assert new and again.id != first.id
