"""Staff stock pages through the test client: levels, receive/adjust/count/transfer, history, low stock."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.errors import DomainError
from app.labels import services as labels
from app.stock import scanning, services
from app.stock.models import StockMovement
from tests.conftest import csrf_from, ean13


@pytest.fixture
def shop(make_location, make_product):
    """Two stores, a warehouse and two products (labels everywhere)."""
    store, other = make_location(code="S1", name="Store One"), make_location(code="S2", name="Store Two")
    warehouse = make_location(code="W1", name="Warehouse", kind="warehouse")
    tea, pot = make_product(sku="TEA-1", name="Green Tea"), make_product(sku="POT-1", name="Teapot")
    return tea, pot, store, other, warehouse


@pytest.fixture
def clerk(signed_in):
    return signed_in("clerk")


def label_code(product, location) -> str:
    items, _ = labels.list_labels(location.code, product.sku, None, 10)
    return items[0].code


def movement_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(StockMovement))


def post_move(client, action: str, **fields):
    page = client.get(f"/staff/stock/move?action={action}")
    data = {"location": "", "reference": "", "note": "", **fields, "csrf_token": csrf_from(page.text)}
    return client.post(f"/staff/stock/move?action={action}", data=data)


def on_hand(product, location) -> int:
    return services.level_of(product, location).on_hand


def flash_text(html: str) -> str:
    match = re.search(r'<p class="flash info" role="status">([^<]+)</p>', html)
    assert match, "no flash message on the page"
    return match.group(1).replace("&#215;", "×")


# ---- scanning: what a code means -------------------------------------------------------


def test_a_scan_resolves_label_code_url_barcode_and_sku(shop):
    tea, pot, store, _, _ = shop
    code = label_code(tea, store)
    for text in (
        code,
        code.lower(),
        f" {code} ",
        f"HTTP://SHOP.TEST:5000/Q/{code}",
        f"https://x.example/q/{code.lower()}",
    ):
        found = scanning.resolve_scan(text)
        assert (found.product.id, found.location.id, found.kind, found.code) == (tea.id, store.id, "label", code), text
    by_ean = scanning.resolve_scan(pot.barcode)
    assert (by_ean.product.id, by_ean.location, by_ean.kind) == (pot.id, None, "barcode")
    upc = tea.barcode[1:] if tea.barcode.startswith("0") else None
    if upc:
        assert scanning.resolve_scan(upc).product.id == tea.id
    assert scanning.resolve_scan("TEA-1").product.id == tea.id
    assert scanning.resolve_scan("tea-1").product.id == tea.id  # typed in lower case


def test_a_replaced_label_still_resolves_to_the_label_on_the_shelf(shop, db):
    tea, _, store, _, _ = shop
    old = labels.resolve(label_code(tea, store))
    new = labels.replace_label(old)
    db.session.commit()
    found = scanning.resolve_scan(old.code)
    assert (found.product.id, found.location.id, found.code) == (tea.id, store.id, new.code)


@pytest.mark.parametrize("text", ["ZZZZZZZZ", "HTTP://SHOP.TEST/Q/ZZZZZZZZ", "NO-SUCH-SKU", ean13(999)])
def test_an_unknown_code_is_404_naming_it(shop, text):
    with pytest.raises(DomainError) as raised:
        scanning.resolve_scan(text)
    assert (raised.value.code, raised.value.status) == ("unknown_code", 404)
    assert repr(text) in raised.value.message


def test_a_misread_barcode_says_so(shop):
    tea = shop[0]
    wrong = tea.barcode[:-1] + str((int(tea.barcode[-1]) + 1) % 10)
    with pytest.raises(DomainError) as raised:
        scanning.resolve_scan(wrong)
    assert raised.value.code == "invalid_barcode" and "check digit" in raised.value.message


def test_a_label_of_another_store_is_refused(shop):
    tea, _, store, other, _ = shop
    found = scanning.resolve_scan(label_code(tea, store))
    assert scanning.location_for(found, None).id == store.id
    assert scanning.location_for(found, store).id == store.id
    with pytest.raises(DomainError, match="shelf label at S1, not at S2"):
        scanning.location_for(found, other)
    with pytest.raises(DomainError, match="Choose a location"):
        scanning.location_for(scanning.resolve_scan("TEA-1"), None)


# ---- receive, adjust, count, transfer ---------------------------------------------------


def test_receive_by_label_code_flashes_the_new_level(shop, clerk, db):
    tea, _, store, _, _ = shop
    response = post_move(clerk, "receive", code=label_code(tea, store), quantity="12", note="pallet 4")
    assert response.status_code == 302
    assert "action=receive" in response.location and "last=TEA-1" in response.location
    page = clerk.get(response.location)
    assert flash_text(page.text) == "Received 12 × Green Tea (TEA-1) at S1. Now 12 on hand, 12 available."
    assert on_hand(tea, store) == 12
    movement = db.session.scalars(select(StockMovement)).one()
    assert (movement.kind, movement.delta, movement.note) == ("receive", 12, "pallet 4")
    assert movement.actor.startswith("staff:") and movement.actor.endswith("Ada Admin")


@pytest.mark.parametrize("how", ["url", "ean", "sku"])
def test_receive_accepts_a_label_url_an_old_barcode_or_a_sku(shop, clerk, how):
    tea, _, store, _, _ = shop
    code = {
        "url": f"HTTP://SHOP.TEST/Q/{label_code(tea, store)}",
        "ean": tea.barcode,
        "sku": tea.sku,
    }[how]
    response = post_move(clerk, "receive", code=code, location="S1", quantity="3")
    assert response.status_code == 302, response.text
    assert on_hand(tea, store) == 3


def test_adjust_count_and_transfer(shop, clerk, db):
    tea, _, store, other, warehouse = shop
    assert post_move(clerk, "receive", code="TEA-1", location="W1", quantity="20").status_code == 302
    response = post_move(clerk, "adjust", code="TEA-1", location="W1", quantity="-2", note="broken")
    assert "Adjusted -2 × Green Tea (TEA-1) at W1. Now 18 on hand" in flash_text(clerk.get(response.location).text)
    response = post_move(clerk, "count", code="TEA-1", location="W1", counted="15")
    assert "Counted 15 × Green Tea (TEA-1) at W1 (-3). Now 15 on hand, 15 available." in flash_text(
        clerk.get(response.location).text
    )
    response = post_move(clerk, "transfer", code="TEA-1", location="W1", target="S2", quantity="5", reference="van 2")
    assert response.status_code == 302
    text = flash_text(clerk.get(response.location).text)
    assert (
        text
        == "Moved 5 × Green Tea (TEA-1) from W1 to S2. Now W1: 10 on hand, 10 available; S2: 5 on hand, 5 available."
    )
    assert (on_hand(tea, warehouse), on_hand(tea, other), on_hand(tea, store)) == (10, 5, 0)
    kinds = [m.kind for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))]
    assert kinds == ["receive", "adjust", "count", "transfer_out", "transfer_in"]


@pytest.mark.parametrize(
    ("action", "fields", "status", "message"),
    [
        ("receive", {"code": "ZZZZZZZZ", "quantity": "1"}, 422, "Nothing is known by the code &#39;ZZZZZZZZ&#39;"),
        ("receive", {"code": "TEA-1", "location": "S1", "quantity": "-1"}, 422, "Receive needs a positive delta."),
        ("receive", {"code": "TEA-1", "quantity": "1"}, 422, "Choose a location"),
        ("receive", {"code": "TEA-1", "location": "S1", "quantity": ""}, 422, "This field is required."),
        ("receive", {"code": "", "location": "S1", "quantity": "1"}, 422, "Scan or type a code."),
        ("adjust", {"code": "TEA-1", "location": "S1", "quantity": "-1"}, 409, "Only 0 of TEA-1 available at S1"),
        ("adjust", {"code": "TEA-1", "location": "S1", "quantity": "0"}, 422, "needs a non-zero delta."),
        ("count", {"code": "TEA-1", "location": "S1", "counted": "-4"}, 422, "A count needs"),
        ("transfer", {"code": "TEA-1", "location": "S1", "target": "S2", "quantity": "2"}, 409, "Only 0 of TEA-1"),
        ("transfer", {"code": "TEA-1", "location": "S1", "target": "S1", "quantity": "2"}, 422, "two different"),
        ("transfer", {"code": "TEA-1", "location": "S1", "target": "", "quantity": "2"}, 422, "Choose where"),
    ],
)
def test_errors_show_on_the_form_and_write_nothing(shop, clerk, db, action, fields, status, message):
    response = post_move(clerk, action, **fields)
    assert response.status_code == status, response.text
    assert message in response.text
    assert 'class="flash error"' in response.text or 'class="error"' in response.text
    assert f'value="{fields["code"]}"' in response.text  # what was typed stays
    assert movement_count(db) == 0


def test_a_label_of_another_store_writes_nothing(shop, clerk, db):
    tea, _, store, _, _ = shop
    response = post_move(clerk, "receive", code=label_code(tea, store), location="S2", quantity="1")
    assert response.status_code == 422 and "not at S2" in response.text
    assert movement_count(db) == 0


def test_move_page_prefills_from_the_query_and_remembers_the_location(shop, clerk):
    page = clerk.get("/staff/stock/move?action=count&code=TEA-1&location=s2")
    assert page.status_code == 200
    assert 'value="TEA-1"' in page.text and '<option selected value="S2">' in page.text
    assert 'aria-current="page">Count</a>' in page.text and 'name="counted"' in page.text
    assert "data-scan=" in page.text and "js/scanner.js" in page.text and "vendor/zxing.min.js" in page.text
    again = clerk.get("/staff/stock/move?action=transfer&target=w1")
    assert '<option selected value="S2">' in again.text  # remembered
    assert again.text.count('<option selected value="W1">') == 1
    assert clerk.get("/staff/stock/move?action=steal").status_code == 404


def test_stock_pages_need_a_signed_in_clerk(client, shop):
    for path in ("/staff/stock", "/staff/stock/move", "/staff/stock/low", "/staff/stock/TEA-1"):
        response = client.get(path)
        assert response.status_code == 302 and "/staff/login" in response.location, path
    response = client.post("/staff/stock/move", data={"code": "TEA-1", "location": "S1", "quantity": "1"})
    assert response.status_code == 400 and "The CSRF token is missing." in response.text


def test_a_post_without_csrf_token_is_refused(shop, clerk, db):
    response = clerk.post("/staff/stock/move", data={"code": "TEA-1", "location": "S1", "quantity": "1"})
    assert response.status_code == 400 and "The CSRF token is missing." in response.text
    assert movement_count(db) == 0


# ---- levels, history, low stock ---------------------------------------------------------


def test_levels_page_lists_every_product_with_its_level(shop, clerk, db):
    tea, pot, store, _, _ = shop
    services.record_movement(tea, store, "receive", 7)
    db.session.commit()
    page = clerk.get("/staff/stock?location=S1")
    assert page.status_code == 200 and "Stock at Store One" in page.text
    row = re.search(r'<tr data-sku="TEA-1" data-location="S1" data-version="1"[^>]*>(.*?)</tr>', page.text, re.S)
    assert row and '<td class="num" data-field="available">7</td>' in row.group(1)
    assert re.search(r'<tr data-sku="POT-1" data-location="S1" data-version="0"', page.text)
    assert 'data-staff-live data-locations="S1"' in page.text and "/api/v1/stock?location=S1" in page.text
    assert "js/stock-staff.js" in page.text and "vendor/socket.io.min.js" in page.text
    assert 'data-sku="POT-1"' not in clerk.get("/staff/stock?location=S1&q=green").text
    # The chosen location is remembered for the next visit.
    assert "Stock at Store One" in clerk.get("/staff/stock").text
    assert clerk.get("/staff/stock?location=NOWHERE").status_code == 404


def test_history_is_newest_first_and_paged(shop, clerk, db):
    tea, _, store, other, _ = shop
    for n in range(1, 56):
        services.record_movement(tea, store, "receive", n, note=f"delivery {n}")
    services.transfer(tea, store, other, 4)
    db.session.commit()
    page = clerk.get("/staff/stock/TEA-1")
    assert page.status_code == 200 and "newest first" in page.text
    notes = re.findall(r"delivery (\d+)", page.text)
    assert notes[:2] == ["55", "54"] and len(notes) == 48  # 2 transfer rows, then 48 receipts
    assert "transfer out" in page.text and "transfer in" in page.text
    on_hand_s1 = sum(range(1, 56)) - 4
    assert f'<td class="num" data-field="on_hand">{on_hand_s1}</td>' in page.text
    older = re.search(r'href="(/staff/stock/TEA-1\?before=\d+)#movements"', page.text)
    assert older, "no link to older movements"
    rest = clerk.get(older.group(1).replace("&amp;", "&"))
    assert re.findall(r"delivery (\d+)", rest.text) == [str(n) for n in range(7, 0, -1)]
    only_s2 = clerk.get("/staff/stock/TEA-1?location=S2")
    assert "delivery" not in only_s2.text and "transfer in" in only_s2.text
    assert clerk.get("/staff/stock/NO-SUCH").status_code == 404


def test_low_stock_lists_levels_at_or_below_their_mark(shop, clerk, db):
    tea, pot, store, other, _ = shop
    services.record_movement(tea, store, "receive", 3)
    services.record_movement(pot, store, "receive", 10)
    services.record_movement(pot, other, "receive", 1)
    db.session.commit()
    page = clerk.get("/staff/stock/low")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-sku="([^"]+)" data-location="([^"]+)"', page.text)
    assert sorted(rows) == [("POT-1", "S2"), ("TEA-1", "S1")]
    only = clerk.get("/staff/stock/low?location=S1")
    assert re.findall(r'<tr data-sku="([^"]+)" data-location="([^"]+)"', only.text) == [("TEA-1", "S1")]
    assert "Low stock at Store One" in only.text
    empty = clerk.get("/staff/stock/low?location=W1")
    assert "Nothing is low at Warehouse" in empty.text


def test_nav_links_to_the_stock_pages(clerk):
    page = clerk.get("/staff/")
    for path, text in (
        ("/staff/stock", "Stock"),
        ("/staff/stock/move", "Receive/Move"),
        ("/staff/stock/low", "Low stock"),
    ):
        assert f'<a href="{path}">{text}</a>' in page.text


def test_a_clerks_scan_is_recorded_as_a_staff_scan(signed_in, make_location, make_product, db):
    from sqlalchemy import select as select_

    from app.scans.models import Scan

    store = make_location(code="S9")
    product = make_product()
    client = signed_in("clerk")
    page = client.get("/staff/stock/move?action=receive")
    client.post(
        "/staff/stock/move?action=receive",
        data={
            "action": "receive",
            "code": product.sku,
            "location": "S9",
            "quantity": "2",
            "csrf_token": csrf_from(page.text),
        },
    )
    scans = db.session.scalars(select_(Scan)).all()
    assert [(s.channel, s.product_id, s.location_id, s.code) for s in scans] == [
        ("staff", product.id, store.id, product.sku)
    ]
    assert scans[0].device.startswith("staff:")


def test_a_low_store_is_offered_a_transfer_from_a_surplus_and_one_click_makes_it(shop, clerk, db):
    tea, pot, store, other, warehouse = shop
    services.record_movement(tea, store, "receive", 1)  # low: 1 at a mark of 3
    services.record_movement(tea, other, "receive", 7)  # 7 - 2 x 3: 1 to spare
    services.record_movement(tea, warehouse, "receive", 20)  # 14 to spare
    services.record_movement(pot, other, "receive", 1)  # low, and nobody has more
    db.session.commit()
    page = clerk.get("/staff/stock/low")
    tea_row = re.search(r'data-sku="TEA-1" data-location="S1".*?<td data-suggestion>(.*?)</td>', page.text, re.S).group(1)
    assert "Transfer 5 from Warehouse" in tea_row  # to twice the mark: 6 - 1
    pot_row = re.search(r'data-sku="POT-1" data-location="S2".*?<td data-suggestion>(.*?)</td>', page.text, re.S).group(1)
    assert "No surplus elsewhere" in pot_row
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', tea_row))
    done = clerk.post("/staff/stock/move?action=transfer", data=form)
    assert done.status_code == 302
    assert "Moved 5" in flash_text(clerk.get(done.headers["Location"]).text)
    db.session.expire_all()
    assert on_hand(tea, store) == 6 and on_hand(tea, warehouse) == 15
    assert "TEA-1" not in re.findall(r'<tr data-sku="([^"]+)"', clerk.get("/staff/stock/low").text)
