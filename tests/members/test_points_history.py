"""Points through real purchases: what each step writes to the ledger, and the member's history page."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.db import begin_write, utcnow
from app.members import points
from app.members.models import PointsEntry
from tests.returns.conftest import cup, give_points, paid_order, places, points_of, tea  # noqa: F401
from tests.returns.test_services import receive, start


def kinds(member_id: int) -> list[tuple[str, int]]:
    return [(e.kind, e.delta) for e in points.entries_of(member_id)]


def test_a_purchase_and_its_return_write_their_entries(app, db, make_member, places, tea, cup):  # noqa: F811
    app.config["POINTS_EXPIRE_DAYS"] = 30
    member = make_member()
    give_points(db, member, 2000)
    # 2 x 68.00 + 32.00 = 168.00, less 1000 points = 158.00 paid: 158 points earned.
    order = paid_order(db, member, places[0], [(tea, 2), (cup, 1)], method="counter", points=1000)
    ret = start(db, order, member, [(order.lines[1].id, 1)])
    receive(db, ret, places[0], [(order.lines[1].id, 1, "sellable")])
    expected = [("earned", 2000), ("spent", -1000), ("earned", 158), ("taken_back", -30), ("given_back", 190)]
    assert kinds(member.id) == expected
    entries = points.entries_of(member.id)
    assert {e.order_id for e in entries[1:]} == {order.id}
    assert entries[3].return_id == ret.id and entries[4].return_id == ret.id
    assert entries[2].expires_at > utcnow() + timedelta(days=29)
    assert points_of(db, member) == sum(e.delta for e in entries) == entries[-1].balance_after == 1318
    # The 30 taken back came out of this order's 158, not out of the oldest points.
    assert [lot.left for lot in points.lots_of(member.id)] == [1000, 128, 190]


def test_a_cancelled_order_gives_its_points_back(db, make_member, places, tea):  # noqa: F811
    from app.carts import services as carts
    from app.orders import services as orders

    member = make_member()
    give_points(db, member, 500)
    begin_write(db.session)
    cart = carts.open_cart(member_id=member.id)
    carts.add_line(cart, sku=tea.sku, qty=1, location=places[0].code)
    order, _ = orders.checkout(cart, key=uuid.uuid4().hex, request_hash="h", payment={"method": "counter"}, points=500)
    db.session.commit()
    assert points_of(db, member) == 0
    begin_write(db.session)
    orders.cancel(order, reopen_cart=False)
    db.session.commit()
    assert kinds(member.id) == [("earned", 500), ("spent", -500), ("given_back", 500)]
    assert points_of(db, member) == 500


def test_the_account_page_shows_the_history_with_a_running_balance(app, db, member_client, places, tea):  # noqa: F811
    phone, member = member_client()
    give_points(db, member, 300)
    order = paid_order(db, member, places[0], [(tea, 1)], method="counter", points=300)
    page = phone.get("/account")
    assert page.status_code == 200
    text = page.text
    assert "Points history" in text
    # Newest first: earned 65 (to 65), spent 300 (to 0), earned 300 (to 300).
    rows = [(e["kind"], e["delta"], e["balance_after"]) for e in points.history(member.id)[0]]
    assert rows == [("earned", 65, 65), ("spent", -300, 0), ("earned", 300, 300)]
    for kind, delta, after in rows:
        assert f'data-kind="{kind}" data-delta="{delta}" data-balance="{after}"' in text
    assert f"order {order.number}" in text and "+65" in text and "-300" in text


def test_merging_members_moves_the_points_as_entries(app, db, make_member, signed_in):
    from app.members import merge, services

    app.config["POINTS_EXPIRE_DAYS"] = 30
    kept, merged = make_member(), make_member()
    begin_write(db.session)
    services.add_points(merged.id, 80)  # earned: keeps its date
    points.record(merged.id, 20, "imported")
    services.add_points(kept.id, 5)
    db.session.commit()
    begin_write(db.session)
    merge.merge(services.get_member(kept.id), services.get_member(merged.id))
    db.session.commit()
    db.session.expire_all()
    assert services.get_member(kept.id).points == 105
    assert kinds(merged.id)[-1] == ("merged", -100) and points.balance_of(merged.id) == 0
    arrived = [e for e in points.entries_of(kept.id) if e.kind == "merged"]
    assert [e.delta for e in arrived] == [80, 20]
    assert arrived[0].expires_at is not None and arrived[1].expires_at is None
    assert points.expire_member(kept.id, utcnow() + timedelta(days=31)) == 85  # the kept 5 and the merged 80


def test_a_loyalty_import_writes_an_imported_entry(db, make_staff):
    from app.members import loyalty

    begin_write(db.session)
    result = loyalty.import_csv("card_number,phone,name,points\nLC-0001,,Wu Hao,250\n")
    db.session.commit()
    assert result["points_added"] == 250
    entry = db.session.scalar(select(PointsEntry).filter_by(kind="imported"))
    assert entry.delta == 250 and entry.balance_after == 250 and entry.expires_at is None


def test_an_account_without_points_says_so(member_client):
    phone, _ = member_client()
    assert "No points yet" in phone.get("/account").text
