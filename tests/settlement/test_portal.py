"""The merchant portal shows a merchant its own data only, and a merchant user nothing outside it."""

from __future__ import annotations

import pytest
from flask import g

from app.db import begin_write
from app.extensions import socketio
from tests.conftest import csrf_from
from tests.settlement.conftest import close

PASSWORD = "correct-horse"


@pytest.fixture
def merchant_user(app, db):
    """A client signed in through /merchant/login as a new user of ``merchant``."""
    from app.settlement import services

    def sign_in(merchant, email=None):
        begin_write(db.session)
        user = services.create_merchant_user(
            merchant, email or f"staff-{merchant.code.lower()}@example.com", "", PASSWORD
        )
        db.session.commit()
        client = app.test_client()
        form = client.get("/merchant/login")
        answer = client.post(
            "/merchant/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(form.text)}
        )
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/merchant/"), answer.text
        return client

    return sign_in


@pytest.fixture
def two_merchants(db, make_merchant, merchant_product, sell, give_back, make_member):
    """Two merchants with a sale, a return and a closed statement each; a second shopper."""
    ours, theirs = make_merchant(name="Tea House", code="TEA"), make_merchant(name="Book Corner", code="BOOKS")
    tea = merchant_product(ours, price=2500, sku="TEA-LONGJING", name="Longjing tea")
    book = merchant_product(theirs, price=4000, sku="BOOK-SECRET", name="Secret novel")
    other = make_member(login="zhang.wei@example.com", name="Zhang Wei")
    mine = sell([(tea, 2)])
    their = sell([(book, 1)], member=other)
    give_back(their, [(their.lines[0].id, 1)], member=other)
    close(db, [ours.id, theirs.id])
    return ours, theirs, mine, their


def _statement_id(db, merchant) -> int:
    from app.settlement import statements

    return statements.statements_of(merchant.id)[0].id


def test_pages_show_only_the_own_merchant_and_no_shopper(db, two_merchants, merchant_user):
    ours, theirs, mine, their = two_merchants
    client = merchant_user(ours)
    for path in ("/merchant/", "/merchant/products", "/merchant/sales", "/merchant/returns", "/merchant/statements"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "BOOK-SECRET" not in page.text and their.number not in page.text and "BOOKS" not in page.text
        for personal in ("Mei Lin", "Zhang Wei", "zhang.wei@example.com", "shopper-"):
            assert personal not in page.text, (path, personal)
    assert "TEA-LONGJING" in client.get("/merchant/products").text
    assert mine.number in client.get("/merchant/sales").text
    own, other = _statement_id(db, ours), _statement_id(db, theirs)
    assert client.get(f"/merchant/statements/{own}.pdf").status_code == 200
    assert "TEA-LONGJING" in client.get(f"/merchant/statements/{own}.csv").text
    for kind in ("pdf", "csv"):
        assert client.get(f"/merchant/statements/{other}.{kind}").status_code == 404


def test_the_api_refuses_a_merchant_user(db, two_merchants, merchant_user):
    ours, theirs, _, their = two_merchants
    client = merchant_user(ours)
    other = _statement_id(db, theirs)
    for path in (
        f"/api/v1/merchants/{theirs.id}/statements",
        f"/api/v1/statements/{other}",
        f"/api/v1/statements/{other}.pdf",
        f"/api/v1/merchants/{theirs.id}/products",
        f"/api/v1/orders/{their.number}",
        "/api/v1/members",
        "/api/v1/products",
    ):
        answer = client.get(path, headers={"Accept": "application/json"})
        assert answer.status_code == 403, (path, answer.status_code)
        assert answer.json["error"]["code"] == "merchant_portal_only"


def test_socket_io_gives_a_merchant_its_own_sales_only(app, db, two_merchants, merchant_user, sell):
    from app.catalog import services as catalog

    ours, theirs, _, _ = two_merchants
    client = merchant_user(ours)
    sio = socketio.test_client(app, namespace="/merchant", flask_test_client=client)
    assert sio.is_connected("/merchant")
    refused = sio.emit("merchant:subscribe", {"merchant": theirs.id}, namespace="/merchant", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "other_merchant"
    assert sio.emit("merchant:subscribe", {}, namespace="/merchant", callback=True) == {"ok": True, "merchant": ours.id}
    sell([(catalog.get_product("BOOK-SECRET"), 1)])
    assert sio.get_received("/merchant") == []
    sell([(catalog.get_product("TEA-LONGJING"), 3)])
    [event] = sio.get_received("/merchant")
    assert event["name"] == "merchant:sale"
    assert event["args"][0]["lines"] == [
        {"sku": "TEA-LONGJING", "name": "Longjing tea", "quantity": 3, "gross": 7500, "kind": "sale"}
    ]
    assert "member" not in event["args"][0]
    sio.disconnect(namespace="/merchant")
    # The shared /live namespace does not take a merchant's session for staff. (Each event has an
    # app context of its own in a server; the test's shared one is emptied as a server's would be.)
    g.__dict__.clear()
    live = socketio.test_client(app, namespace="/live", flask_test_client=client)
    answer = live.emit("staff:subscribe", {"location": "SH-PUDONG"}, namespace="/live", callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "unauthorized"
    live.disconnect(namespace="/live")


def test_the_cli_makes_a_merchant_and_its_user_and_staff_cannot_use_the_portal(app, db, runner, signed_in):
    made = runner.invoke(args=["merchants", "create", "--code", "tea", "--name", "茶行", "--rate", "900"])
    assert made.exit_code == 0 and "Created merchant TEA" in made.output
    user = ["merchants", "create-user", "--merchant", "TEA", "--email", "t@example.com", "--password", PASSWORD]
    assert runner.invoke(args=user).exit_code == 0
    assert runner.invoke(args=user).exit_code != 0  # the address is taken
    client = app.test_client()
    form = client.get("/merchant/login")
    signed = client.post(
        "/merchant/login", data={"email": "t@example.com", "password": PASSWORD, "csrf_token": csrf_from(form.text)}
    )
    assert signed.status_code == 302 and "茶行" in client.get("/merchant/").text
    assert signed_in("admin").get("/merchant/").status_code == 403


def test_only_merchant_users_connect_to_the_merchant_namespace(app, db, signed_in):
    anonymous = socketio.test_client(app, namespace="/merchant", flask_test_client=app.test_client())
    assert not anonymous.is_connected("/merchant")
    admin = socketio.test_client(app, namespace="/merchant", flask_test_client=signed_in("admin"))
    assert not admin.is_connected("/merchant")


def _dummy_url(rule) -> str:
    values = {name: 1 if "Integer" in type(conv).__name__ else "X" for name, conv in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


# What a merchant user may reach besides /merchant/ itself, and what it answers there.
OPEN = {"static": {200, 404}, "staff.login": {302}, "staff.logout": {302}, "staff.dashboard": {302}}


def test_a_merchant_user_is_refused_everywhere_outside_the_portal(app, db, make_merchant, merchant_user):
    merchant = make_merchant()
    client = merchant_user(merchant)
    token = csrf_from(client.get("/merchant/").text)
    wrong, walked = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("merchant.") or rule.endpoint == "staff.logout":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            walked += 1
            answer = client.open(
                _dummy_url(rule), method=method, json={}, headers={"X-CSRFToken": token, "Accept": "application/json"}
            )
            allowed = OPEN.get(rule.endpoint, {403})
            if answer.status_code not in allowed:
                wrong.append(f"{method} {rule.rule}: {answer.status_code}")
    assert walked > 200  # the whole app was walked
    assert not wrong, "\n".join(wrong)
    assert client.get("/staff/").headers["Location"].endswith("/merchant/")
    assert client.get("/merchant/").status_code == 200  # still signed in after the walk
