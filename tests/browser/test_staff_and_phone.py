"""What people notice: staff sign in, add, print and import; a phone opens a label."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode
from stdnum import ean

from app.demo import ADMIN, CLERK
from app.money import format_money

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
JOB_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class DemoLabel:
    """A label of the demo store, read from the server's database."""

    code: str
    product: str
    price: str
    store: str


def valid_ean13(body12: str) -> str:
    """The EAN-13 made of 12 digits and their check digit."""
    return body12 + ean.calc_check_digit(body12)


def wrong_check_digit(barcode: str) -> str:
    """The same barcode with a check digit that does not fit."""
    return barcode[:-1] + str((int(barcode[-1]) + 1) % 10)


def sign_in(page: Page, who: tuple[str, str, str]) -> None:
    """Sign a demo user (e-mail, name, password) in through the login form."""
    email, _, password = who
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def dashboard_product_count(page: Page) -> int:
    """The number on the dashboard's products tile."""
    text = page.locator(".tile", has_text="products").inner_text()
    match = re.search(r"(\d+)\s+products", text)
    assert match, f"no product count on the dashboard tile: {text!r}"
    return int(match.group(1))


def wait_images_loaded(page: Page, selector: str) -> list[int]:
    """Wait until the images matching selector are loaded; their natural widths."""
    page.wait_for_function(
        "s => [...document.querySelectorAll(s)].every(img => img.complete)",
        arg=selector,
    )
    return page.eval_on_selector_all(selector, "imgs => imgs.map(img => img.naturalWidth)")


def need_tool(name: str) -> str:
    """The path of a tool the test needs, or fail saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run: sudo apt-get install -y poppler-utils")
    return path


def decode_qr_codes(pdf: Path, workdir: Path) -> list[str]:
    """Rasterise a PDF at 300 dpi, like a printer, and decode its QR codes."""
    subprocess.run(
        [need_tool("pdftoppm"), "-r", "300", "-png", str(pdf), str(workdir / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    found: list[str] = []
    for png in sorted(workdir.glob("page*.png")):
        with Image.open(png) as image:
            found += [s.data.decode() for s in zbar_decode(image, symbols=[ZBarSymbol.QRCODE])]
    return found


def pdf_text(pdf: Path) -> str:
    """The text printed on a PDF."""
    done = subprocess.run(
        [need_tool("pdftotext"), "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return done.stdout.decode()


def demo_label(server: LiveServer, sku: str, store_code: str) -> DemoLabel:
    """The current label of a demo product at a store, from the server's database."""
    db = sqlite3.connect(f"file:{server.instance_path / 'oneshelf.db'}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT labels.code, products.name, products.price_amount,"
            " products.currency, locations.name"
            " FROM labels JOIN products ON products.id = labels.product_id"
            " JOIN locations ON locations.id = labels.location_id"
            " WHERE products.sku = ? AND locations.code = ?"
            " AND labels.retired_at IS NULL",
            (sku, store_code),
        ).fetchone()
    finally:
        db.close()
    assert row, f"the demo has no label for {sku} at {store_code}"
    code, name, amount, currency, store = row
    return DemoLabel(code, name, format_money(amount, currency), store)


def save_screenshot(page: Page, name: str) -> None:
    """Save a screenshot into docs/ for the README, only when SAVE_SCREENSHOTS=1."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / name))


def expect_phone_product_page(phone: Page, name: str, price: str, store: str) -> None:
    """The shopper page shows the product's name, price and the label's store."""
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    expect(phone.locator(".price")).to_have_text(price)
    expect(phone.locator(".shop-bar .where")).to_have_text(store)
    expect(phone.locator(".facts")).to_contain_text(store)


# ---- staff admin: sign in, add a product, print its label, scan it -------------------


def test_admin_adds_a_product_prints_its_label_and_a_phone_opens_it(
    page: Page, phone: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    """Sign-in, bad then good barcode, QR images, a PDF whose QR opens the product."""
    sku, name, price = "BRW-001", "Browser Test Oolong", "12.50"
    barcode = valid_ean13("690999000001")

    # A wrong password keeps the person on the sign-in form with a message.
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(ADMIN[0])
    page.get_by_label("Password").fill("not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/staff/login") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash.error")).to_have_text("E-mail or password is wrong.")
    assert sent.value.status == 401
    expect(page).to_have_url(re.compile(r"/staff/login$"))

    # The right one lands on the dashboard with the demo store's numbers.
    page.get_by_label("E-mail").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[2])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Good to see you, {ADMIN[1].split()[0]}")
    expect(page.locator(".tile").first).to_have_text(re.compile(r"2\s+stores · 1\s+warehouses"))
    products_before = dashboard_product_count(page)
    assert products_before >= 40

    # Add a product: a wrong check digit is refused and nothing is created.
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name="Add product", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/products/new$"))
    expect(page.get_by_label("Currency")).to_have_value("CNY")
    page.get_by_label("SKU").fill(sku)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Price").fill(price)
    page.get_by_label("Old barcode (EAN-13 / UPC-A)").fill(wrong_check_digit(barcode))
    page.get_by_label("Category").fill("Tea")
    with page.expect_response(lambda r: r.url.endswith("/staff/products/new") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Add product").click()
    assert sent.value.status == 422
    expect(page.locator(".flash.error")).to_contain_text("wrong check digit")
    assert page.request.get(f"/staff/products/{sku}").status == 404
    expect(page.get_by_label("Name")).to_have_value(name)  # what was typed is kept

    page.get_by_label("Old barcode (EAN-13 / UPC-A)").fill(barcode)
    page.get_by_role("button", name="Add product").click()
    expect(page).to_have_url(re.compile(rf"/staff/products/{sku}$"))
    expect(page.locator(".flash.info")).to_contain_text(f"{name} added with a label at every location")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # Its labels: one per location, each with a QR image that really loaded.
    rows = page.locator("table.labels tbody tr")
    expect(rows).to_have_count(3)
    widths = wait_images_loaded(page, "table.labels img.qr")
    assert len(widths) == 3 and all(w > 0 for w in widths), f"QR images did not load: {widths}"
    pudong = rows.filter(has_text="Oneshelf Pudong")
    code = pudong.get_attribute("data-code")
    assert code and re.fullmatch(r"[A-Z2-7]{8}", code), code
    expect(pudong).to_contain_text("not printed")
    save_screenshot(page, "screenshot-staff.png")

    # Print the Pudong label on A4.
    pudong.get_by_role("link", name="Print").click()
    expect(page).to_have_url(re.compile(r"/staff/labels\?"))
    expect(page.get_by_label("Location")).to_have_value("SH-PUDONG")
    expect(page.locator(f'input[name="sku"][value="{sku}"]')).to_be_checked()
    expect(page.locator('input[name="sku"]:checked')).to_have_count(1)
    page.get_by_label("A4 sheet").check()
    page.get_by_role("button", name="Make PDF").click()
    expect(page).to_have_url(re.compile(r"/staff/jobs/[0-9a-f]+$"))
    download_link = page.locator("#download")
    expect(download_link).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(download_link).to_contain_text("1 label")
    with page.expect_download() as info:
        download_link.click()
    pdf = tmp_path / "labels.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF"), "the download is not a PDF"
    assert name in pdf_text(pdf)

    # The printed QR holds this label's URL, upper case as printed.
    urls = decode_qr_codes(pdf, tmp_path)
    assert len(urls) == 1, f"expected one QR code on the sheet, decoded {urls}"
    printed = urlsplit(urls[0])
    server = urlsplit(live_server.base_url)
    assert (printed.scheme.lower(), printed.netloc.lower()) == (
        server.scheme,
        server.netloc,
    ), urls[0]
    assert printed.path == f"/Q/{code}", urls[0]

    # Once printed, the label says so; the dashboard counts the new product.
    page.goto(f"/staff/products/{sku}")
    expect(page.locator(f'tr[data-code="{code}"]')).to_contain_text("printed")
    expect(page.locator(f'tr[data-code="{code}"]')).not_to_contain_text("not printed")
    page.goto("/staff/")
    assert dashboard_product_count(page) == products_before + 1

    # A shopper's phone opens exactly what was printed, and the lower-case form too.
    response = phone.goto(urls[0])
    assert response is not None and response.status == 200
    expect_phone_product_page(phone, name, "CN¥12.50", "Oneshelf Pudong")
    expect(phone.locator(".shop-foot")).to_contain_text(code)
    response = phone.goto(f"/q/{code.lower()}")
    assert response is not None and response.status == 200
    expect_phone_product_page(phone, name, "CN¥12.50", "Oneshelf Pudong")


# ---- the shopper's phone -------------------------------------------------------------


def test_phone_opens_a_shelf_label_in_either_case(phone: Page, live_server: LiveServer) -> None:
    """/Q/<CODE> as printed and /q/<code> by hand show the product at the store."""
    label = demo_label(live_server, "TEA-001", "SH-JINGAN")
    for path in (f"/Q/{label.code}", f"/q/{label.code.lower()}"):
        response = phone.goto(path)
        assert response is not None and response.status == 200, path
        expect_phone_product_page(phone, label.product, label.price, label.store)
    widths = wait_images_loaded(phone, "img.hero")
    assert widths and all(w > 0 for w in widths), f"the product picture did not load: {widths}"
    # Nothing sticks out sideways on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(phone, "screenshot-phone.png")


def test_phone_unknown_code_shows_the_friendly_not_found_page(phone: Page) -> None:
    """A code that is no label answers 404 with words a shopper understands."""
    response = phone.goto("/Q/ZZZZZZZZ")
    assert response is not None and response.status == 404
    expect(phone.get_by_role("heading", level=1)).to_have_text("We don't know this label")
    expect(phone.locator("main")).to_contain_text("ZZZZZZZZ")
    expect(phone.locator("main")).to_contain_text("Please ask a member of staff")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


# ---- import --------------------------------------------------------------------------


def upload_import(page: Page, csv_text: str, mode: str) -> None:
    """Upload a CSV on the import page with the given "if some rows are bad" choice."""
    page.goto("/staff/products/import")
    page.get_by_label("CSV file").set_input_files(
        {"name": "products.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
    )
    page.get_by_label(mode).check()
    page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/staff/jobs/[0-9a-f]+$"))


def test_import_with_a_bad_row_imports_nothing_or_the_good_rows(page: Page) -> None:
    """Mode "import nothing" lists the bad line; "the good rows" adds 1 new."""
    good = valid_ean13("690999000101")
    bad = wrong_check_digit(valid_ean13("690999000102"))
    csv_text = (
        "sku,name,price,currency,barcode,category\n"
        f"IMP-GOOD,Imported Good Tea,9.90,CNY,{good},Tea\n"
        f"IMP-BAD,Imported Bad Tea,5.00,CNY,{bad},Tea\n"
    )
    sign_in(page, ADMIN)

    upload_import(page, csv_text, "Import nothing and show me the errors")
    outcome = page.locator("#job-outcome")
    expect(outcome).to_contain_text("Nothing was written", timeout=JOB_TIMEOUT_MS)
    errors = outcome.locator("table.errors tbody tr")
    expect(errors).to_have_count(1)
    cells = errors.first.locator("td")
    expect(cells.nth(0)).to_have_text("3")  # the header is line 1, the bad row line 3
    expect(cells.nth(1)).to_have_text("IMP-BAD")
    expect(cells.nth(2)).to_have_text("barcode")
    expect(cells.nth(3)).to_contain_text("check digit")
    page.goto("/staff/products?q=IMP-")
    expect(page.locator("table.list tbody")).to_contain_text("No products match.")
    expect(page.locator("table.list tbody")).not_to_contain_text("Imported Good Tea")

    upload_import(page, csv_text, "Import the good rows")
    expect(outcome).to_contain_text("1 new", timeout=JOB_TIMEOUT_MS)
    expect(outcome).to_contain_text("Imported: 1 new, 0 updated, 0 unchanged.")
    expect(outcome.locator("table.errors tbody tr")).to_have_count(1)
    page.goto("/staff/products?q=IMP-")
    expect(page.locator("table.list tbody")).to_contain_text("Imported Good Tea")
    expect(page.locator("table.list tbody")).not_to_contain_text("Imported Bad Tea")


# ---- a clerk -------------------------------------------------------------------------


def test_clerk_cannot_add_products_or_manage_api_keys(page: Page) -> None:
    """A clerk sees no "Add product" button and gets 403 on admin-only pages."""
    sign_in(page, CLERK)
    expect(page.locator(".signout")).to_contain_text("clerk")
    expect(page.get_by_role("link", name="API keys")).to_have_count(0)

    page.goto("/staff/products")
    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    expect(page.locator("table.list tbody tr").first).to_be_visible()
    expect(page.get_by_role("link", name="Add product")).to_have_count(0)
    expect(page.get_by_role("link", name="Import CSV")).to_have_count(0)

    for path in ("/staff/keys", "/staff/products/new"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.locator(".big-status")).to_have_text("403")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.locator("main")).to_contain_text("admin role")
