"""Returns through the services: who may return what and when, and what comes back (stock, money, points)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import begin_write, utcnow
from app.errors import Conflict, DomainError, NotFound
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments import gateway
from app.payments import services as payments
from app.payments.models import PaymentRefund
from app.returns import services
from app.returns.models import Return, ReturnLine
from tests.returns.conftest import give_points, level, paid_order, points_of, top_up, wallet_of

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def count(db, model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def start(db, order, member, lines, channel="store", **kwargs):
    begin_write(db.session)
    ret = services.start_return(order, member, lines, kwargs.pop("reason", "too big"), channel, **kwargs)
    db.session.commit()
    return ret


def receive(db, ret, place, lines, clerk="Carla Clerk"):
    begin_write(db.session)
    services.receive(ret, place, lines, clerk)
    db.session.commit()
    db.session.expire_all()
    return ret


def refused(db, call, *args, **kwargs) -> DomainError:
    """The refusal ``call`` raises; the transaction rolled back, as the door does."""
    begin_write(db.session)
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return caught.value


# ---- who may return what, and when ----------------------------------------------------


def test_a_return_is_started_with_a_number_and_a_qr_token(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    ret = start(db, order, member, [(order.lines[0].id, 1)])
    assert ret.status == "requested" and ret.number.startswith("R") and len(ret.number) == 9
    token = services.token_of(ret)
    assert token.startswith("RT-" + ret.number + "-")
    # The scanner reads the token, or the URL the QR holds (any case).
    assert services.find_by_token(token).id == ret.id
    assert services.find_by_token(services.qr_text(ret)).id == ret.id
    assert services.find_by_token(f"http://shop.test/r/{token.lower()}").id == ret.id
    with pytest.raises(NotFound):
        services.find_by_token(f"RT-{ret.number}-AAAAAAAAAAAAAAAA")  # a forged signature
    with pytest.raises(NotFound):
        services.find_by_token(ret.number)
    event = db.session.scalar(select(OutboxEvent).filter_by(type="return.requested"))
    assert event.data["number"] == ret.number and event.data["lines"][0]["quantity"] == 1


def test_another_members_order_is_not_found(db, make_member, places, tea):
    owner, other = make_member(), make_member()
    top_up(db, owner)
    order = paid_order(db, owner, places[0], [(tea, 1)])
    error = refused(db, services.start_return, order, other, [(order.lines[0].id, 1)], "", "store")
    assert isinstance(error, NotFound) and error.code == "order_not_found"
    assert count(db, Return) == 0


def test_after_the_return_window_it_is_closed(app, db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    begin_write(db.session)
    db.session.get(Order, order.id).paid_at = utcnow() - timedelta(days=app.config["RETURN_DAYS"], minutes=1)
    db.session.commit()
    error = refused(db, services.start_return, order, member, [(order.lines[0].id, 1)], "", "store")
    assert error.status == 409 and error.code == "return_window_closed"
    # Just inside the window it works.
    begin_write(db.session)
    db.session.get(Order, order.id).paid_at = utcnow() - timedelta(days=app.config["RETURN_DAYS"]) + timedelta(hours=1)
    db.session.commit()
    assert start(db, order, member, [(order.lines[0].id, 1)]).status == "requested"


@both
def test_never_more_units_than_bought_less_returned_or_in_an_open_return(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 3)])
    line = order.lines[0].id
    error = refused(db, services.start_return, order, member, [(line, 4)], "", "store")
    assert (error.status, error.code, error.details["returnable"]) == (409, "too_many_units", 3)
    first = start(db, order, member, [(line, 2)])
    # Two units are in an open return: one more may come back, not two.
    error = refused(db, services.start_return, order, member, [(line, 1), (line, 1)], "", "mail")
    assert error.code == "too_many_units" and error.details["returnable"] == 1
    # Cancelled: its units may be returned again.
    begin_write(db.session)
    services.cancel_return(first, member)
    db.session.commit()
    assert start(db, order, member, [(line, 3)], channel="mail").status == "requested"
    assert refused(db, services.start_return, order, member, [(line, 1)], "", "store").code == "too_many_units"
    assert refused(db, services.start_return, order, member, [(line, 0)], "", "store").code == "invalid_quantity"
    assert refused(db, services.start_return, order, member, [], "", "store").code == "no_lines"


def test_a_pickup_needs_a_future_window_and_an_address(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    line = [(order.lines[0].id, 1)]
    soon = utcnow() + timedelta(days=1)
    address = {"line1": "5 Garden Lane", "city": "Shanghai"}
    for pickup, code in [
        (None, "pickup_required"),
        ({"from": soon, "until": soon - timedelta(hours=1), "address": address}, "invalid_pickup_window"),
        (
            {"from": utcnow() - timedelta(hours=2), "until": utcnow() - timedelta(hours=1), "address": address},
            "invalid_pickup_window",
        ),
        ({"from": soon, "until": soon + timedelta(hours=2), "address": {}}, "pickup_address_required"),
    ]:
        assert refused(db, services.start_return, order, member, line, "", "pickup", pickup).code == code
    assert count(db, Return) == 0 and count(db, ReturnLine) == 0  # nothing written on refusal
    ret = start(
        db, order, member, line, "pickup", pickup={"from": soon, "until": soon + timedelta(hours=2), "address": address}
    )
    assert ret.pickup_from == soon and "Garden Lane" in ret.pickup_address


def test_an_unpaid_order_cannot_be_returned(db, make_member, places, tea):
    from app.carts import services as carts
    from app.orders import services as orders

    member = make_member()
    begin_write(db.session)
    cart = carts.open_cart(member_id=member.id)
    carts.add_line(cart, sku=tea.sku, qty=1, location=places[0].code)
    order, _ = orders.checkout(cart, key="k", request_hash="h", payment={"method": "counter"})
    db.session.commit()
    error = refused(db, services.start_return, order, member, [(order.lines[0].id, 1)], "", "store")
    assert error.code == "not_returnable"


# ---- receiving: stock where it came back, money and points back ---------------------------


@both
def test_stock_comes_back_at_the_receiving_store_not_the_selling_one(db, make_member, places, tea):
    bought_at, other, _ = places
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, bought_at, [(tea, 3)])
    assert level(db, tea, bought_at).on_hand == 7
    ret = start(db, order, member, [(order.lines[0].id, 3)])
    line = order.lines[0].id
    receive(db, ret, other, [(line, 2, "sellable"), (line, 1, "quarantine")])
    assert ret.status == "refunded" and ret.received_location_id == other.id and ret.received_by == "Carla Clerk"
    assert (ret.lines[0].sellable, ret.lines[0].quarantined) == (2, 1)
    assert level(db, tea, other).on_hand == 2  # the quarantined unit is not on sale anywhere
    assert level(db, tea, bought_at).on_hand == 7
    assert db.session.get(Order, order.id).lines[0].returned_quantity == 3
    types = [e.type for e in db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    assert types[-4:] == ["return.received", "stock.changed", "refund.issued", "return.refunded"] or {
        "return.received",
        "refund.issued",
        "return.refunded",
    } <= set(types[-6:])


def test_a_partial_return_refunds_the_wallet_for_the_units_received(db, make_member, places, tea, cup):
    member = make_member()
    top_up(db, member, 50_000)
    order = paid_order(db, member, places[0], [(tea, 2), (cup, 1)])  # 136.00 + 32.00
    assert wallet_of(db, member) == 50_000 - 16_800
    tea_line = order.lines[0].id
    ret = start(db, order, member, [(tea_line, 2)])
    # Only one of the two came back.
    receive(db, ret, places[1], [(tea_line, 1, "sellable")])
    assert ret.refund_amount == 6800 and ret.refunded_by == "Carla Clerk"
    assert wallet_of(db, member) == 50_000 - 16_800 + 6800
    order = db.session.get(Order, order.id)
    assert (order.status, order.refunded_amount, order.lines[0].returned_quantity) == ("partially_refunded", 6800, 1)
    # The other tea may still come back.
    assert services.returnable(order)[tea_line] == 1


@both
def test_a_card_order_is_refunded_to_the_card_once(db, make_member, places, tea):
    member = make_member()
    order = paid_order(db, member, places[0], [(tea, 2)], method="card")
    ret = start(db, order, member, [(order.lines[0].id, 1)])
    receive(db, ret, places[0], [(order.lines[0].id, 1, "sellable")])
    payment = payments.get_payment(order.payment_id)
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 6800)
    assert [r.amount for r in db.session.scalars(select(PaymentRefund).filter_by(payment_id=payment.id))] == [6800]
    assert gateway.find_charge(payment.reference) is not None
    # Received again: refused, nothing more refunded.
    error = refused(db, services.receive, ret, places[0], [(order.lines[0].id, 1, "sellable")], "Bob")
    assert error.code == "invalid_transition"
    assert count(db, PaymentRefund, payment_id=payment.id) == 1


def test_a_counter_order_is_refunded_in_cash(db, make_member, places, tea):
    member = make_member()
    order = paid_order(db, member, places[0], [(tea, 1)], method="counter")
    ret = start(db, order, member, [(order.lines[0].id, 1)])
    receive(db, ret, places[1], [(order.lines[0].id, 1, "sellable")])
    order = db.session.get(Order, order.id)
    assert ret.refund_amount == 6800 and order.status == "refunded"
    assert payments.get_payment(order.payment_id).status == "refunded"


@both
def test_points_earned_are_taken_back_and_points_spent_given_back(db, make_member, places, tea, cup):
    member = make_member()
    top_up(db, member)
    give_points(db, member, 1000)
    # 2 x 68.00 + 32.00 = 168.00, less 1000 points (10.00) = 158.00 paid, 158 points earned.
    order = paid_order(db, member, places[0], [(tea, 2), (cup, 1)], points=1000)
    assert (order.discount, order.total, order.points_earned) == (1000, 15_800, 158)
    assert points_of(db, member) == 158
    paid = wallet_of(db, member)
    ret = start(db, order, member, [(order.lines[1].id, 1)])  # the cup: 32.00 of 168.00
    receive(db, ret, places[0], [(order.lines[1].id, 1, "sellable")])
    # Its share of the discount (1000 x 3200 / 16800 = 190) is not paid back in money...
    assert ret.refund_amount == 3200 - 190
    assert wallet_of(db, member) == paid + 3010
    # ...but as the points it was: 190 given back; 158 x 3010 / 15800 = 30 earned points taken back.
    assert (ret.points_given, ret.points_taken) == (190, 30)
    assert points_of(db, member) == 158 + 190 - 30
    # The last units: exactly what is left of the money and of the points.
    ret2 = start(db, order, member, [(order.lines[0].id, 2)])
    receive(db, ret2, places[0], [(order.lines[0].id, 2, "sellable")])
    order = db.session.get(Order, order.id)
    assert order.status == "refunded" and order.refunded_amount == order.total
    assert ret2.points_given == 1000 - 190 and ret2.points_taken == 158 - 30
    assert points_of(db, member) == 1000


def test_points_taken_back_never_go_below_zero(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])  # 136 points earned
    from app.members import services as members

    begin_write(db.session)
    members.spend_points(member.id, 130)  # spent meanwhile
    db.session.commit()
    ret = start(db, order, member, [(order.lines[0].id, 2)])
    receive(db, ret, places[0], [(order.lines[0].id, 2, "quarantine")])
    assert ret.points_taken == 6 and points_of(db, member) == 0
    assert level(db, tea, places[0]).on_hand == 8  # quarantined: not back in stock


def test_received_units_never_exceed_the_requested_ones_and_nothing_is_written(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 3)])
    line = order.lines[0].id
    ret = start(db, order, member, [(line, 2)])
    before = wallet_of(db, member)
    for lines, code in [
        ([(line, 2, "sellable"), (line, 1, "quarantine")], "more_than_requested"),
        ([(line, 0, "sellable")], "nothing_received"),
        ([(line, 1, "shelf")], "invalid_destination"),
        ([(line + 999, 1, "sellable")], "unknown_line"),
    ]:
        assert refused(db, services.receive, ret, places[0], lines, "Carla").code == code
    db.session.expire_all()
    assert db.session.get(Return, ret.id).status == "requested"
    assert wallet_of(db, member) == before and level(db, tea, places[0]).on_hand == 7
    assert db.session.get(Order, order.id).lines[0].returned_quantity == 0


def test_a_cancelled_return_cannot_be_received(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(db, order, member, [(order.lines[0].id, 1)])
    begin_write(db.session)
    services.cancel_return(ret)
    db.session.commit()
    error = refused(db, services.receive, ret, places[0], [(order.lines[0].id, 1, "sellable")], "Carla")
    assert isinstance(error, Conflict) and error.code == "invalid_transition"


def test_search_and_returns_of_an_order(db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 3)])
    line = order.lines[0].id
    first = start(db, order, member, [(line, 1)])
    second = start(db, order, member, [(line, 1)], channel="mail")
    receive(db, first, places[1], [(line, 1, "sellable")])
    assert [r.id for r in services.returns_of(order)] == [first.id, second.id]
    rows, _ = services.search_returns(status="requested")
    assert [r.id for r in rows] == [second.id]
    rows, _ = services.search_returns(location=places[1])
    assert [r.id for r in rows] == [first.id]
    # A clerk of the first store sees open returns, not the one received elsewhere.
    rows, _ = services.search_returns(store_id=places[0].id)
    assert [r.id for r in rows] == [second.id]
    rows, cursor = services.search_returns(member=member.id, limit=1)
    assert [r.id for r in rows] == [second.id] and cursor
    assert [r.id for r in services.search_returns(member=member.id, cursor=cursor)[0]] == [first.id]


def test_units_on_their_way_come_back_only_once_delivered(db, make_member, places, tea):
    from app.carts import services as carts
    from app.fulfilment import store_work
    from app.fulfilment.models import Fulfilment
    from app.orders import services as orders
    from app.stock import services as stock

    _, _, warehouse = places
    begin_write(db.session)
    stock.record_movement(tea, warehouse, "receive", 5, actor="test")
    db.session.commit()
    member = make_member()
    top_up(db, member)
    begin_write(db.session)
    cart = carts.open_cart(member_id=member.id)
    line = carts.add_line(cart, sku=tea.sku, qty=2, location=places[0].code)
    home = {"recipient": "Li Lei", "line1": "1 Nanjing Rd", "city": "Shanghai", "latitude": 31.40, "longitude": 121.60}
    order, _ = orders.checkout(
        cart,
        key="deliver-1",
        request_hash="h",
        payment={"method": "wallet"},
        fulfilment_choices=[{"line": line.id, "mode": "deliver", "address": home}],
    )
    db.session.commit()
    assert order.status == "paid" and order.lines[0].mode == "deliver"
    error = refused(db, services.start_return, order, member, [(order.lines[0].id, 1)], "", "mail")
    assert error.code == "too_many_units" and "once they reach you" in error.message
    parcel = db.session.scalar(select(Fulfilment).filter_by(order_id=order.id))
    begin_write(db.session)
    parcel = db.session.get(Fulfilment, parcel.id)
    for _ in range(2):
        store_work.pick(parcel, tea.sku, "Wang")
    store_work.pack(parcel, "Wang")
    store_work.ship(parcel, "Wang")
    db.session.commit()
    assert refused(db, services.start_return, order, member, [(order.lines[0].id, 1)], "", "mail").code == (
        "too_many_units"
    )
    begin_write(db.session)
    store_work.delivered(db.session.get(Fulfilment, parcel.id), "Courier")
    db.session.commit()
    ret = start(db, order, member, [(order.lines[0].id, 2)], channel="mail")
    receive(db, ret, warehouse, [(order.lines[0].id, 2, "sellable")])
    assert ret.refund_amount == 13_600
