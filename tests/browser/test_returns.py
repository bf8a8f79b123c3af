"""Returns in the browser: by mail to the warehouse (the label's QR scanned there), and at another store.

The shopper is a phone-sized page signed up through the real form, paying through the API with
its own cookies; the clerks use the staff pages. The label PDF is rasterised with pdftoppm and
its QR read with zbar, as a warehouse scanner reads the parcel.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from app.demo import CLERK
from app.labels.qr import qr_png
from tests.browser.test_kiosk_pairing import sign_up
from tests.conftest import need_tool
from tests.payments.hosted import pay_with_playwright

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

STORE, OTHER_STORE, WAREHOUSE = "SH-PUDONG", "SH-JINGAN", "SH-WH1"
GOOD_CARD = "4242 4242 4242 4242"
SHOTS = Path("/tmp")


def admin(live_server: LiveServer) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {live_server.api_key()}"
    return session


def on_hand(api: requests.Session, live_server: LiveServer, sku: str, where: str) -> int:
    items = api.get(live_server.url(f"/api/v1/stock?sku={sku}&location={where}"), timeout=10).json()["items"]
    return items[0]["on_hand"] if items else 0


def stocked(api: requests.Session, live_server: LiveServer, index: int) -> dict:
    """A demo label at the store whose product has 5 more units there."""
    labels = api.get(live_server.url(f"/api/v1/labels?location={STORE}&limit=200"), timeout=10).json()["items"]
    label = labels[index]
    moved = api.post(
        live_server.url("/api/v1/stock/movements"),
        json={"sku": label["sku"], "location": STORE, "reason": "receive", "delta": 5},
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert moved.status_code == 201, moved.text
    return label


def member_buys(phone: Page, label: dict, qty: int, payment: dict) -> dict:
    """A new member signs up on the phone and pays for ``qty`` of the label's product (their own cookies)."""
    phone.goto("/account/signup")
    sign_up(phone, "Mei Lin")
    phone.goto("/basket")
    csrf = {"X-CSRFToken": phone.locator("[data-basket-page]").get_attribute("data-csrf")}
    if payment["method"] == "wallet":
        topped = phone.request.post(
            "/api/v1/members/me/wallet/topups",
            data={"amount": 100_000},
            headers={**csrf, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert topped.status == 201, topped.text()
        pay_with_playwright(phone.request, topped.json()["next_action"]["redirect_url"], GOOD_CARD)
    cart = phone.request.post("/api/v1/carts", headers=csrf).json()
    added = phone.request.post(
        f"/api/v1/carts/{cart['id']}/lines", data={"code": label["code"], "qty": qty}, headers=csrf
    )
    assert added.status == 201, added.text()
    checkout = f"/api/v1/carts/{cart['id']}/checkout"
    headers = {**csrf, "Idempotency-Key": uuid.uuid4().hex}
    paid = phone.request.post(checkout, data={"payment": payment}, headers=headers)
    assert paid.status == 201, paid.text()
    if payment["method"] == "card":  # paid on the provider's page; the checkout asked again answers paid
        pay_with_playwright(phone.request, paid.json()["next_action"]["redirect_url"], GOOD_CARD)
        paid = phone.request.post(checkout, data={"payment": payment}, headers=headers)
    return paid.json()


def start_return(phone: Page, order: dict, qty: int, channel: str) -> str:
    """From the receipt: Return items, the quantity, why, the channel; the return's number."""
    phone.goto(f"/orders/{order['number']}")
    phone.get_by_role("link", name="Return items").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Return items")
    phone.get_by_role("spinbutton", name=re.compile("^Units of")).fill(str(qty))
    phone.get_by_label("Why?").fill("Not what I expected")
    phone.locator(f"input[name=channel][value={channel}]").check()
    phone.screenshot(path=str(SHOTS / f"returns-phone-new-{channel}.png"), full_page=True)
    phone.get_by_role("button", name="Start the return").click()
    expect(phone).to_have_url(re.compile(r"/returns/R[A-Z0-9]{8}$"))
    return phone.url.rsplit("/", 1)[-1]


def sign_in_staff(page: Page, email: str, password: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def receive_on_the_staff_page(page: Page, where: str, sellable: int, quarantine: int) -> None:
    page.get_by_label("Received at").select_option(where)
    page.get_by_role("spinbutton", name=re.compile("^Sellable units")).fill(str(sellable))
    page.get_by_role("spinbutton", name=re.compile("^Quarantined units")).fill(str(quarantine))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Confirm and refund").click()


def qr_of_pdf(pdf: bytes, folder: Path) -> str:
    """The QR on the label, read from the page rendered at 300 dpi as a scanner would see it."""
    (folder / "label.pdf").write_bytes(pdf)
    subprocess.run(
        [need_tool("pdftoppm"), "-r", "300", "-png", str(folder / "label.pdf"), str(folder / "page")], check=True
    )
    pages = sorted(folder.glob("page*.png"))
    assert len(pages) == 1
    found = zbar_decode(Image.open(pages[0]), symbols=[ZBarSymbol.QRCODE])
    assert len(found) == 1, "the label's QR does not decode"
    return found[0].data.decode()


def test_a_return_by_mail_is_scanned_at_the_warehouse(phone: Page, page: Page, live_server: LiveServer, tmp_path):
    api = admin(live_server)
    label = stocked(api, live_server, 30)
    order = member_buys(phone, label, 2, {"method": "wallet"})
    paid_balance = phone.request.get("/api/v1/members/me/wallet").json()["balance"]
    number = start_return(phone, order, 1, "mail")
    expect(phone.get_by_text("Print the label and put it on the parcel")).to_be_visible()
    expect(phone.locator("[data-return-status]")).to_have_text("Waiting for the items")
    phone.screenshot(path=str(SHOTS / "returns-phone-mail.png"), full_page=True)

    # The label: the QR holds the return's URL; the warehouse's address is on it.
    pdf = phone.request.get(phone.locator("[data-label-link]").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    scanned = qr_of_pdf(pdf.body(), tmp_path)
    assert re.fullmatch(rf"HTTP://[^/]+/R/RT-{number}-[A-Z2-7]+", scanned), scanned
    subprocess.run(["cp", str(sorted(tmp_path.glob("page*.png"))[0]), str(SHOTS / "returns-label.png")], check=True)
    before = on_hand(api, live_server, label["sku"], WAREHOUSE)

    # The warehouse clerk scans the parcel's QR on the returns page (a hand scanner types it).
    sign_in_staff(page, CLERK[0], CLERK[2])
    page.goto("/staff/returns")
    field = page.get_by_label("Return code")
    field.press_sequentially(scanned, delay=2)
    field.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Return {number}")
    page.screenshot(path=str(SHOTS / "returns-staff-receive.png"), full_page=True)
    receive_on_the_staff_page(page, WAREHOUSE, 1, 0)
    expect(page.locator(".flash.info")).to_contain_text("Received at Minhang Warehouse. Refunded CN¥")
    expect(page.locator("[data-refund]")).to_contain_text("back to the wallet")
    page.screenshot(path=str(SHOTS / "returns-staff-refunded.png"), full_page=True)

    # The phone's return page follows by itself.
    expect(phone.locator("[data-return-status]")).to_have_text("Refunded", timeout=15_000)
    ret = phone.request.get(f"/api/v1/orders/{order['number']}/returns").json()["returns"][0]
    unit = order["lines"][0]["unit_price"]
    assert ret["refund"]["amount"] == unit and ret["received"]["location"] == WAREHOUSE
    assert phone.request.get("/api/v1/members/me/wallet").json()["balance"] == paid_balance + unit
    assert on_hand(api, live_server, label["sku"], WAREHOUSE) == before + 1

    # The order shows its return, on the phone and on the staff page.
    phone.goto(f"/orders/{order['number']}")
    expect(phone.locator("[data-order-returns]")).to_contain_text(f"Return {number}")
    expect(phone.locator("[data-order-returns] [data-return-status]")).to_have_text("refunded")
    phone.screenshot(path=str(SHOTS / "returns-phone-receipt.png"), full_page=True)
    page.goto(f"/staff/orders/{order['number']}")
    expect(page.locator("[data-order-returns]")).to_contain_text(number)
    page.goto("/staff/returns?status=refunded")
    expect(page.locator(f'tr[data-return="{number}"]')).to_contain_text(WAREHOUSE)
    page.screenshot(path=str(SHOTS / "returns-staff-list.png"), full_page=True)


# The camera path: scanner.js decodes a frame (here the QR as an image) and fills the field.
SCAN_INTO = """async ([src, id]) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  return await OneshelfScanner.scanSource(img, document.getElementById(id), { native: false });
}"""


def test_a_return_at_another_store_refunds_the_card_once(phone: Page, page: Page, live_server: LiveServer):
    api = admin(live_server)
    label = stocked(api, live_server, 31)
    order = member_buys(phone, label, 2, {"method": "card"})
    number = start_return(phone, order, 2, "store")
    expect(phone.get_by_text("Show this at any of our stores")).to_be_visible()
    png = phone.locator("[data-return-qr] svg").screenshot()
    found = zbar_decode(Image.open(io.BytesIO(png)), symbols=[ZBarSymbol.QRCODE])
    assert len(found) == 1
    code = found[0].data.decode()
    phone.screenshot(path=str(SHOTS / "returns-phone-store.png"), full_page=True)
    sold_at, elsewhere = (on_hand(api, live_server, label["sku"], s) for s in (STORE, OTHER_STORE))

    # A clerk of the other store scans the phone with the handheld's camera.
    email = f"jingan.{uuid.uuid4().hex[:8]}@oneshelf.test"
    live_server.flask(
        "staff",
        "create",
        "--email",
        email,
        "--name",
        "Jia Clerk",
        "--location",
        OTHER_STORE,
        "--password",
        "pass-jingan",
    )
    sign_in_staff(page, email, "pass-jingan")
    page.goto("/staff/returns")
    qr = "data:image/png;base64," + base64.b64encode(qr_png(code)).decode()
    page.evaluate(SCAN_INTO, [qr, "return-code"])
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Return {number}")
    # Only their own store to receive at.
    assert page.get_by_label("Received at").locator("option").all_inner_texts() == ["Oneshelf Jing'an (store)"]
    stale = page.context.new_page()  # the same return left open in another tab
    stale.goto(page.url)
    receive_on_the_staff_page(page, OTHER_STORE, 1, 1)
    expect(page.locator("[data-refund]")).to_contain_text("back to the card it was paid with")

    total = order["total"]
    after = api.get(live_server.url(f"/api/v1/orders/{order['number']}"), timeout=10).json()
    assert (after["status"], after["refunded_amount"], after["payment"]["status"]) == ("refunded", total, "refunded")
    assert on_hand(api, live_server, label["sku"], OTHER_STORE) == elsewhere + 1  # the quarantined one is not
    assert on_hand(api, live_server, label["sku"], STORE) == sold_at

    # The form sent again from the stale tab: refused, nothing refunded twice.
    receive_on_the_staff_page(stale, OTHER_STORE, 2, 0)
    expect(stale.locator(".flash.error")).to_contain_text("cannot become received")
    expect(stale.locator("[data-refund]")).to_contain_text("back to the card it was paid with")
    again = api.get(live_server.url(f"/api/v1/orders/{order['number']}"), timeout=10).json()
    assert again["refunded_amount"] == total

    phone.goto(f"/orders/{order['number']}")
    expect(phone.locator("[data-order-returns]")).to_contain_text(f"Return {number}")
    expect(phone.get_by_role("link", name="Return items")).to_have_count(0)  # nothing left to return
