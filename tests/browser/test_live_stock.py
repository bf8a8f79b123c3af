"""Staff stock in a real browser: live numbers on phone and staff pages, receiving, camera scanning."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from PIL import Image, ImageDraw

from app.demo import CLERK

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips (or fails) and says why
    pass

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STORE = "SH-PUDONG"


class Api:
    """The live server's JSON API with an admin key made by ``flask keys create``."""

    def __init__(self, server: LiveServer, key: str) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str) -> dict:
        response = self.http.get(self.server.url(path), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict) -> dict:
        response = self.http.post(self.server.url(path), json=body, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    def label(self, sku: str, location: str) -> dict:
        """The current label of a product at a location: code and URL."""
        return self.get(f"/api/v1/labels?location={location}&sku={sku}")["items"][0]

    def available(self, sku: str, location: str) -> int:
        return self.get(f"/api/v1/stock?sku={sku}&location={location}")["items"][0]["available"]

    def move(self, sku: str, reason: str, delta: int, location: str = STORE) -> dict:
        return self.post(
            "/api/v1/stock/movements", {"sku": sku, "location": location, "reason": reason, "delta": delta}
        )


@pytest.fixture(scope="module")
def api(live_server: LiveServer) -> Api:
    """An API client for the live server (its key made in its instance folder)."""
    env = {**os.environ, "INSTANCE_PATH": str(live_server.instance_path)}
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_APP"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "keys", "create", "--role", "admin", "--name", "stock tests"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Api(live_server, done.stdout.strip().splitlines()[-1])


def sign_in(page: Page, who: tuple[str, str, str]) -> None:
    """Sign a demo user in through the login form."""
    email, _, password = who
    page.goto("/staff/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


# ---- live: the phone and a staff page see a movement posted through the API ------------


def test_phone_and_staff_page_show_an_api_movement_without_reload(phone: Page, page: Page, api: Api) -> None:
    """Both pages follow stock:changed; the staff page also shows the stock:low alert."""
    sku = "TEA-003"
    start = api.available(sku, STORE)
    phone.goto(api.label(sku, STORE)["url"])
    expect(phone.locator("[data-live-state]")).to_have_text("Live")
    here = phone.locator(".stock-here [data-available]")
    expect(here).to_have_text(str(start))

    sign_in(page, CLERK)
    page.goto(f"/staff/stock?location={STORE}")
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    row = page.locator(f'tr[data-sku="{sku}"][data-location="{STORE}"]')
    expect(row.locator('[data-field="available"]')).to_have_text(str(start))
    page.evaluate("window.notReloaded = true")
    phone.evaluate("window.notReloaded = true")

    level = api.move(sku, "receive", 9)["level"]
    assert level["available"] == start + 9
    expect(here).to_have_text(str(start + 9))
    expect(row.locator('[data-field="available"]')).to_have_text(str(start + 9))
    expect(row.locator('[data-field="on_hand"]')).to_have_text(str(level["on_hand"]))

    # Selling down to 2 left: the store's staff get a low-stock alert, the phone says hurry.
    level = api.move(sku, "sale", -(start + 7))["level"]
    assert level["available"] == 2
    expect(here).to_have_text("2")
    expect(phone.locator(".stock-here [data-stock-text]")).to_have_text("left here, hurry")
    expect(row.locator('[data-field="available"]')).to_have_text("2")
    expect(row).to_have_class(re.compile(r"\blow\b"))
    toast = page.locator(".toast", has_text=sku)
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(f"at {STORE}: 2 available (low at 3)")
    assert page.evaluate("window.notReloaded") and phone.evaluate("window.notReloaded")


# ---- receive by typing a label code ------------------------------------------------------


def test_clerk_receives_by_typing_a_label_code_and_sees_the_new_level(page: Page, api: Api) -> None:
    """A typed label code finds the product and its store; unknown codes are refused."""
    sku = "TEA-004"
    label = api.label(sku, STORE)
    name = api.get(f"/api/v1/products/{sku}")["name"]
    start = api.available(sku, STORE)
    sign_in(page, CLERK)
    page.get_by_role("link", name="Receive/Move").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receive stock")

    code = page.get_by_label("Label, barcode or SKU")
    code.fill("zzzzzzzz")
    page.get_by_label("Location").select_option("")
    page.get_by_label("Quantity received").fill("6")
    with page.expect_response(lambda r: "/staff/stock/move" in r.url and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Receive", exact=True).click()
    assert sent.value.status == 422
    expect(page.locator(".flash.error")).to_contain_text("Nothing is known by the code 'zzzzzzzz'")
    assert api.available(sku, STORE) == start

    # A handheld's trigger scanner "types" the code and Enter: with no quantity yet, that moves on.
    page.get_by_label("Quantity received").fill("")
    code.fill(label["code"].lower())
    code.press("Enter")
    expect(page.get_by_label("Quantity received")).to_be_focused()
    page.get_by_label("Quantity received").fill("6")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.locator(".flash.info")).to_have_text(
        f"Received 6 × {name} ({sku}) at {STORE}. Now {start + 6} on hand, {start + 6} available."
    )
    assert api.available(sku, STORE) == start + 6
    page.get_by_role("link", name=f"Movement history of {sku}").click()
    expect(page.locator("table.movements tbody tr").first).to_contain_text("receive")
    expect(page.locator(f'tr[data-location="{STORE}"] [data-field="available"]')).to_have_text(str(start + 6))


# ---- scanning: the decoder in the page, and a (fake) camera ------------------------------

EAN_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"]
EAN_R = ["".join("1" if b == "0" else "0" for b in code) for code in EAN_L]
EAN_G = [code[::-1] for code in EAN_R]
EAN_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def ean13_png(digits: str, module: int = 3, height: int = 110) -> bytes:
    """An EAN-13 barcode drawn bar by bar (quiet zones included), as a PNG."""
    parity = EAN_PARITY[int(digits[0])]
    bits = "101"
    bits += "".join((EAN_L if p == "L" else EAN_G)[int(d)] for p, d in zip(parity, digits[1:7], strict=True))
    bits += "01010" + "".join(EAN_R[int(d)] for d in digits[7:]) + "101"
    quiet = 12
    image = Image.new("L", ((len(bits) + 2 * quiet) * module, height), 255)
    draw = ImageDraw.Draw(image)
    for i, bit in enumerate(bits):
        if bit == "1":
            x = (quiet + i) * module
            draw.rectangle((x, 10, x + module - 1, height - 10), fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


DECODE_INTO_FIELD = """async (src) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  return await OneshelfScanner.scanSource(img, document.getElementById("code"), { native: false });
}"""


def test_scanner_decodes_a_label_qr_and_an_old_ean13_into_the_code_field(page: Page, api: Api) -> None:
    """The vendored ZXing decoder reads the label's QR PNG and a drawn EAN-13; the form accepts both."""
    sku = "TEA-005"
    label = api.label(sku, STORE)
    barcode = api.get(f"/api/v1/products/{sku}")["barcode"]
    sign_in(page, CLERK)
    page.goto("/staff/stock/move")
    code = page.get_by_label("Label, barcode or SKU")

    assert page.evaluate(DECODE_INTO_FIELD, f"/api/v1/labels/{label['code']}/qr.png") == label["code"]
    expect(code).to_have_value(label["code"])  # the QR holds HTTP://HOST/Q/CODE; the field gets CODE
    expect(page.locator('[data-scan-result="code"]')).to_have_text(f"Scanned QR label: {label['code']}")
    expect(page.get_by_label("Quantity received")).to_be_focused()

    code.fill("")
    ean = "data:image/png;base64," + base64.b64encode(ean13_png(barcode)).decode()
    assert page.evaluate(DECODE_INTO_FIELD, ean) == barcode
    expect(code).to_have_value(barcode)
    expect(page.locator('[data-scan-result="code"]')).to_have_text(f"Scanned barcode: {barcode}")

    # The old barcode has no location of its own: choose one, then receive.
    start = api.available(sku, STORE)
    page.get_by_label("Location").select_option(STORE)
    page.get_by_label("Quantity received").fill("2")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.locator(".flash.info")).to_contain_text(f"({sku}) at {STORE}. Now {start + 2} on hand")


def test_the_scanner_reads_every_label_of_a_store(page: Page, api: Api) -> None:
    """Every QR label of the demo store decodes in the page (ZXing alone misses a few at one scale)."""
    labels = api.get(f"/api/v1/labels?location={STORE}&limit=200")["items"]
    assert len(labels) >= 40
    sign_in(page, CLERK)
    page.goto("/staff/stock/move")
    read = [page.evaluate(DECODE_INTO_FIELD, f"/api/v1/labels/{label['code']}/qr.png") for label in labels]
    assert read == [label["code"] for label in labels]


def test_scan_without_a_camera_says_so_and_the_code_can_be_typed(page: Page) -> None:
    """Headless Chromium has no camera: the dialog explains, Cancel closes it."""
    sign_in(page, CLERK)
    page.goto("/staff/stock/move")
    page.get_by_role("button", name="Scan with the camera").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("status")).to_contain_text("Type the code instead")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Label, barcode or SKU")).to_be_focused()


def y4m_of(image: Image.Image, frames: int = 3) -> bytes:
    """A raw Y4M video (4:2:0) showing a grey-scale picture, for Chromium's fake camera."""
    grey = image.convert("L")
    width, height = grey.size
    header = f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode()
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
    return header + (b"FRAME\n" + grey.tobytes() + chroma) * frames


@pytest.fixture
def camera_page(browser: Browser, live_server: LiveServer, api: Api, tmp_path: Path) -> Iterator[tuple[Page, str]]:
    """A page in a Chromium whose camera films a shelf label's QR code; the label's code."""
    label = api.label("TEA-006", STORE)
    qr = Image.open(
        io.BytesIO(requests.get(live_server.url(f"/api/v1/labels/{label['code']}/qr.png"), timeout=10).content)
    )
    frame = Image.new("L", (640, 480), 230)
    qr = qr.convert("L").resize((300, 300), Image.Resampling.NEAREST)
    frame.paste(qr, ((640 - 300) // 2, (480 - 300) // 2))
    video = tmp_path / "label.y4m"
    video.write_bytes(y4m_of(frame))
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    filming = browser.browser_type.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=args
    )
    context = filming.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844}, is_mobile=True)
    context.grant_permissions(["camera"], origin=live_server.base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page, label["code"]
    finally:
        filming.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_the_camera_scans_a_shelf_label_into_the_form(camera_page: tuple[Page, str]) -> None:
    """Scan opens the (fake) camera, finds the QR in the video, fills the field and closes."""
    page, code = camera_page
    sign_in(page, CLERK)
    page.goto("/staff/stock/move?action=count")
    page.get_by_role("button", name="Scan with the camera").click()
    expect(page.get_by_label("Label, barcode or SKU")).to_have_value(code, timeout=15_000)
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator('[data-scan-result="code"]')).to_have_text(f"Scanned QR label: {code}")
    expect(page.get_by_label("Counted on the shelf")).to_be_focused()
    assert page.evaluate("document.querySelector('[data-scanner-video]').srcObject") is None  # camera off
