"""QR images and PDF label sheets, checked by decoding them back (no database, no app)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from app.labels.pdf import LabelData, render_labels
from app.labels.qr import best_mask, fit_version, qr_matrix, qr_png, qr_runs, qr_svg

URL = "HTTP://127.0.0.1:5000/Q/ABCD2345"
SVG_NS = "{http://www.w3.org/2000/svg}"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def tool(name: str) -> str:
    """Path of a poppler tool, failing loudly when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run: sudo apt-get install -y poppler-utils")
    return path


def label(i: int, name: str = "Organic Whole Milk 1 L", barcode: str | None = "0012345678905") -> LabelData:
    """A label whose 8-char base32 code (and so URL) is unique for each i."""
    code = "Q" + "".join(BASE32[(i * 40503 >> 5 * k) % 32] for k in range(7))
    return LabelData(
        code=code,
        url=f"HTTP://127.0.0.1:5000/Q/{code}",
        name=name,
        price="€3.49",
        sku=f"MLK-{i:04d}",
        barcode=barcode,
        location="Aisle 3",
    )


def rasterise(pdf: bytes, folder: Path) -> list[Image.Image]:
    """Every page of pdf at 300 dpi, as pdftoppm renders it."""
    (folder / "labels.pdf").write_bytes(pdf)
    subprocess.run(
        [tool("pdftoppm"), "-r", "300", "-png", str(folder / "labels.pdf"), str(folder / "page")], check=True
    )
    return [Image.open(page) for page in sorted(folder.glob("page-*.png"))]


def qr_texts(image: Image.Image) -> list[str]:
    """Data of every QR code pyzbar finds in image."""
    return [symbol.data.decode() for symbol in decode(image, symbols=[ZBarSymbol.QRCODE])]


def matrix_image(matrix: list[list[bool]], scale: int = 4, border: int = 4) -> Image.Image:
    """The matrix drawn black on white with Pillow, independently of qr_png."""
    size = (len(matrix) + 2 * border) * scale
    image = Image.new("L", (size, size), 255)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + border) * scale, (r + border) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    return image


def test_png_decodes_to_the_exact_url_as_a_qr_code():
    png = qr_png(URL, scale=4)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "1"
    assert image.size == ((len(qr_matrix(URL)) + 8) * 4,) * 2
    symbols = decode(image)
    assert [(s.data.decode(), s.type) for s in symbols] == [(URL, "QRCODE")]


def test_upper_case_urls_use_alphanumeric_mode():
    # 32 characters fit version 2 at level M only in alphanumeric mode (38
    # chars); as bytes (26 max) they would need version 3.
    assert fit_version(URL) == 2
    assert fit_version(URL.lower()) == 3
    assert len(qr_matrix(URL)) == 25


@pytest.mark.parametrize("mask", range(8))
def test_matrix_with_fixed_version_and_mask_round_trips(mask):
    matrix = qr_matrix(URL, version=fit_version(URL), mask=mask)
    assert qr_texts(matrix_image(matrix)) == [URL]


def test_automatic_mask_is_the_one_best_mask_reports():
    assert qr_matrix(URL) == qr_matrix(URL, version=2, mask=best_mask(URL))


def test_svg_is_one_path_of_exactly_the_dark_modules():
    svg = qr_svg(URL)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 33 33" and root.get("shape-rendering") == "crispEdges"
    rects, paths = root.findall(f"{SVG_NS}rect"), root.findall(f"{SVG_NS}path")
    assert len(rects) == 1 and rects[0].get("fill") == "#fff" and rects[0].get("width") == "33"
    assert len(paths) == 1

    # Rebuild the modules from the path's runs: they must be the matrix.
    matrix = qr_matrix(URL)
    rebuilt = [[False] * 25 for _ in range(25)]
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", paths[0].get("d"))
    assert len(runs) == len(qr_runs(matrix))
    for x, y, width, back in runs:
        assert width == back
        for c in range(int(x) - 4, int(x) - 4 + int(width)):
            rebuilt[int(y) - 4][c] = True
    assert rebuilt == matrix
    assert qr_texts(matrix_image(rebuilt)) == [URL]


def test_a4_sheet_of_30_labels_decodes_page_by_page(tmp_path):
    labels = [label(i) for i in range(30)]
    pdf = render_labels(labels, "a4")
    pages = rasterise(pdf, tmp_path)
    assert len(pages) == 2
    assert abs(pages[0].size[0] - 2480) <= 1 and abs(pages[0].size[1] - 3508) <= 1  # A4 at 300 dpi
    assert sorted(qr_texts(pages[0])) == sorted(x.url for x in labels[:24])
    assert sorted(qr_texts(pages[1])) == sorted(x.url for x in labels[24:])

    text = subprocess.run([tool("pdftotext"), "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    text = text.decode()
    for item in (labels[0], labels[29]):
        assert item.code in text and f"SKU {item.sku}" in text
    assert "EAN 0012345678905" in text and "€3.49" in text and "Organic Whole Milk" in text


def test_thermal_labels_are_one_page_each_and_decode(tmp_path):
    labels = [label(i, barcode=None) for i in range(3)]
    pages = rasterise(render_labels(labels, "thermal-50x30"), tmp_path)
    assert len(pages) == 3
    for page, item in zip(pages, labels, strict=True):
        assert abs(page.size[0] - 591) <= 1 and abs(page.size[1] - 354) <= 1  # 50 x 30 mm
        assert qr_texts(page) == [item.url]


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="unknown label format"):
        render_labels([label(1)], "letter")


def test_progress_is_reported_every_50_labels_and_at_the_end():
    calls: list[tuple[int, int]] = []
    render_labels([label(i) for i in range(120)], "a4", lambda done, total: calls.append((done, total)))
    assert calls == [(50, 120), (100, 120), (120, 120)]


def qr_bounds(grey: Image.Image, rect: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Exact box of a QR code's dark modules, grown from zbar's approximate rect."""
    left, top, width, height = rect
    box = [left, top, left + width, top + height]
    grown = True
    while grown:
        grown = False
        # Push each side out while the line just beyond it still has ink.
        for side, line in (
            (0, (box[0] - 1, box[1], box[0], box[3])),
            (1, (box[0], box[1] - 1, box[2], box[1])),
            (2, (box[2], box[1], box[2] + 1, box[3])),
            (3, (box[0], box[3], box[2], box[3] + 1)),
        ):
            if grey.crop(line).getextrema()[0] < 128:
                box[side] += 1 if side >= 2 else -1
                grown = True
    return box[0], box[1], box[2], box[3]


def test_hostile_names_render_and_keep_the_quiet_zone_clear(tmp_path):
    names = [
        "有机苹果汁 Organic apple juice 有机苹果汁",
        "Extra long name " * 19 + "end",  # over 300 characters
        "W" * 300,
        "tab\tnewline\nnull\x00 lone surrogate \udcff emoji \U0001f34e",
    ]
    labels = [label(i, name=name) for i, name in enumerate(names)]
    urls = sorted(x.url for x in labels)
    for fmt in ("thermal-50x30", "a4"):
        (tmp_path / fmt).mkdir()
        pages = rasterise(render_labels(labels, fmt), tmp_path / fmt)
        assert sorted(text for page in pages for text in qr_texts(page)) == urls

    # On the A4 sheet nothing, text included, is printed in the 4-module
    # quiet zone around any QR code.
    grey = pages[0].convert("L")
    symbols = decode(grey, symbols=[ZBarSymbol.QRCODE])
    assert len(symbols) == len(labels)
    for symbol in symbols:
        left, top, right, bottom = qr_bounds(grey, symbol.rect)
        module = (right - left) / len(qr_matrix(symbol.data.decode()))
        assert module >= 0.6 / 25.4 * 300  # at least 0.6 mm
        zone = round(4 * module) - 1  # one pixel of slack for antialiasing
        ring = grey.crop((left - zone, top - zone, right + zone, bottom + zone))
        ring.paste(255, (zone, zone, zone + right - left, zone + bottom - top))
        assert ring.getextrema()[0] > 200, f"ink in the quiet zone of {symbol.data!r}"
