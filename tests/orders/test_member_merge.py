"""Merging two members who both shopped: baskets, orders, payments, wallet and points all end up the kept one's."""

from __future__ import annotations

from sqlalchemy import select

from app.carts import services as carts
from app.members import merge
from app.members.models import Member
from app.orders import services as orders
from app.outbox.models import OutboxEvent
from app.payments import wallet
from app.payments.models import WalletEntry
from app.stock import services as stock
from tests.conftest import csrf_from
from tests.orders.conftest import GOOD_CARD, fill_cart
from tests.payments.hosted import checkout_by_card


def _shopper(member_client, login):
    phone, member = member_client(login=login)
    return phone, member, {"X-CSRFToken": csrf_from(phone.get("/account/signin").text)}


def test_merge_moves_baskets_orders_wallet_and_points(app, db, shelf, store, member_client):
    product, label = shelf
    kept_phone, kept, kept_headers = _shopper(member_client, "kept@example.com")
    dup_phone, dup, dup_headers = _shopper(member_client, "dup@example.com")
    for phone, headers in ((kept_phone, kept_headers), (dup_phone, dup_headers)):
        paid = checkout_by_card(phone, fill_cart(phone, label, 1, headers), GOOD_CARD, headers=headers)
        assert paid.status_code == 201, paid.text
    fill_cart(kept_phone, label, 1, kept_headers)
    fill_cart(dup_phone, label, 2, dup_headers)
    wallet.credit(kept.id, 1000, "CNY", "topup", None)
    wallet.credit(dup.id, 2500, "CNY", "topup", None)
    db.session.get(Member, kept.id).points, db.session.get(Member, dup.id).points = 10, 40
    db.session.commit()
    kept, dup = db.session.get(Member, kept.id), db.session.get(Member, dup.id)
    points_before = kept.points + dup.points

    preview = merge.preview(kept, dup)
    assert (preview["orders"], preview["wallet_balance"], preview["basket_units"]) == (1, 2500, 2)
    record = merge.merge(kept, dup)
    db.session.commit()

    # Orders: both are the kept member's, none is the merged one's.
    mine, _ = orders.orders_of_member(kept.id, None, 50)
    assert len(mine) == 2 and orders.orders_of_member(dup.id, None, 50)[0] == []
    # The basket: one open basket with all three units, still held (nothing lost, nothing held twice).
    basket = carts.open_cart_of(member_id=kept.id)
    assert sum(line.quantity for line in basket.lines) == 3
    assert carts.open_cart_of(member_id=dup.id) is None
    level = stock.level_of(product, store)
    assert (level.on_hand, level.reserved) == (5 - 2, 3)
    # The wallet: the whole balance moved, as one entry out and one in.
    assert (wallet.wallet_balance(kept.id), wallet.wallet_balance(dup.id)) == (3500, 0)
    kinds = db.session.scalars(select(WalletEntry.kind).where(WalletEntry.kind.like("merge%"))).all()
    assert sorted(kinds) == ["merge_in", "merge_out"]
    # Points.
    assert (db.session.get(Member, kept.id).points, db.session.get(Member, dup.id).points) == (points_before, 0)
    # The audit record and the event say what moved.
    assert record.moved["orders"] == 1 and record.moved["wallet_balance"] == 2500 and record.moved["basket_lines"] == 1
    event = db.session.scalar(select(OutboxEvent).filter_by(type="member.merged"))
    assert event.data["kept"] == kept.id and event.data["merged"] == dup.id and event.data["moved"]["orders"] == 1
    # The kept member's phone sees everything.
    seen = kept_phone.get("/api/v1/members/me/orders").get_json()
    assert len(seen["items"]) == 2
    assert kept_phone.get("/api/v1/members/me/wallet").get_json()["balance"] == 3500


def test_a_failed_merge_moves_nothing(app, db, shelf, member_client):
    _, label = shelf
    kept_phone, kept, kept_headers = _shopper(member_client, "kept@example.com")
    dup_phone, dup, dup_headers = _shopper(member_client, "dup@example.com")
    fill_cart(dup_phone, label, 1, dup_headers)
    wallet.credit(dup.id, 700, "CNY", "topup", None)
    db.session.commit()
    merge.merge(kept, dup)
    db.session.rollback()
    assert wallet.wallet_balance(dup.id) == 700 and carts.open_cart_of(member_id=dup.id) is not None
    assert db.session.scalar(select(OutboxEvent).filter_by(type="member.merged")) is None
