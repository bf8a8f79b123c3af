"""Every label prints the host its QR opens, readable under the QR, and the QR still decodes."""

from __future__ import annotations

import subprocess

import pytest
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from app.labels.pdf import LabelData, render_labels
from tests.conftest import need_tool


def _label(i: int) -> LabelData:
    code = f"K{i:05d}"
    return LabelData(
        code=code,
        url=f"HTTP://SHOP.EXAMPLE.COM/Q/{code}",
        name=f"Oat milk {i}",
        price="¥12.50",
        sku=f"OAT-{i:03d}",
        barcode=None,
        location="Aisle 3",
    )


@pytest.mark.parametrize(("fmt", "count"), [("a4", 3), ("thermal-50x30", 1)])
def test_host_is_printed_under_a_qr_that_still_decodes(tmp_path, fmt, count):
    labels = [_label(i) for i in range(count)]
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(render_labels(labels, fmt))

    text = subprocess.run([need_tool("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert text.count("shop.example.com") == count

    subprocess.run([need_tool("pdftoppm"), "-r", "300", "-png", str(pdf), str(tmp_path / "page")], check=True)
    (page,) = sorted(tmp_path.glob("page-*.png"))
    decoded = {symbol.data.decode() for symbol in decode(Image.open(page), symbols=[ZBarSymbol.QRCODE])}
    assert decoded == {label.url for label in labels}


def test_host_sits_below_the_qr(tmp_path):
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(render_labels([_label(1)], "thermal-50x30"))
    bbox = subprocess.run(
        [need_tool("pdftotext"), "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    line = next(row for row in bbox.splitlines() if "shop.example.com" in row)
    y_min = float(line.split('yMin="')[1].split('"')[0])
    page_h = 30 / 25.4 * 72
    assert y_min > page_h - 2.2 / 25.4 * 72  # within the bottom 2.2 mm, under the 28 mm QR box
