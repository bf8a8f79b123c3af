"""Chinese names print in Chinese: shelf labels and return labels embed a CJK font, QRs still decode."""

from __future__ import annotations

import logging
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from app.labels import fonts
from app.labels.pdf import SHEETS, LabelData, render_labels
from tests.conftest import need_tool
from tests.returns.conftest import make_member, member_client, paid_order, places, shopper, top_up  # noqa: F401

TEA = "Longjing Green Tea 龙井绿茶"


def _label(i: int, name: str = TEA, location: str = "浦东店 A3") -> LabelData:
    code = f"C{i:07d}"
    return LabelData(
        code=code,
        url=f"HTTP://SHOP.EXAMPLE.COM/Q/{code}",
        name=name,
        price="¥128.00",
        sku=f"TEA-{i:04d}",
        barcode="6901234567892",
        location=location,
    )


def _fonts(pdf: Path) -> list[dict[str, str]]:
    """The rows of pdffonts: name, type, emb(edded), sub(set)."""
    out = subprocess.run([need_tool("pdffonts"), str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        name, *middle, emb, sub, _uni, _obj, _gen = line.split()
        rows.append({"name": name, "type": " ".join(middle[:-1]), "emb": emb, "sub": sub})
    return rows


def _text(pdf: Path, *args: str) -> str:
    return subprocess.run(
        [need_tool("pdftotext"), *args, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _qr_texts(pdf: Path, folder: Path) -> list[set[str]]:
    """The QR codes pyzbar reads on each page, rasterised at 300 dpi."""
    subprocess.run([need_tool("pdftoppm"), "-r", "300", "-png", str(pdf), str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"))
    return [{s.data.decode() for s in decode(Image.open(p), symbols=[ZBarSymbol.QRCODE])} for p in pages]


def _write(folder: Path, pdf: bytes) -> Path:
    path = folder / "labels.pdf"
    path.write_bytes(pdf)
    return path


@pytest.mark.parametrize(("fmt", "count"), [("a4", 24), ("thermal-50x30", 2)])
def test_chinese_names_print_with_an_embedded_subset_font_and_qrs_decode(tmp_path, fmt, count):
    labels = [_label(i) for i in range(count)]
    pdf = _write(tmp_path, render_labels(labels, fmt))

    embedded = [row for row in _fonts(pdf) if row["emb"] == "yes"]
    assert [(row["type"], row["sub"]) for row in embedded] == [("TrueType", "yes")]
    # reportlab draws characters its font lacks as ZapfDingbats boxes: there are none.
    assert all("ZapfDingbats" not in row["name"] for row in _fonts(pdf))
    text = " ".join(_text(pdf).split())  # the narrow thermal label wraps the name elsewhere
    assert text.count(TEA) == count and text.count("浦东店") == count and text.count("¥128.00") == count
    assert [qrs for qrs in _qr_texts(pdf, tmp_path)] == [
        {label.url for label in labels[page * SHEETS[fmt].per_page :][: SHEETS[fmt].per_page]}
        for page in range(-(-count // SHEETS[fmt].per_page))
    ]


def test_a_sheet_of_24_chinese_names_stays_small(tmp_path):
    pdf = render_labels([_label(i, f"{TEA} 特级 {i}") for i in range(24)], "a4")
    # The font file is megabytes; only the dozen glyphs used are embedded.
    assert len(pdf) < 40_000


def test_latin_names_embed_no_font(tmp_path):
    pdf = _write(tmp_path, render_labels([_label(i, "Organic Whole Milk 1 L", "Aisle 3") for i in range(3)], "a4"))
    assert {row["name"] for row in _fonts(pdf)} == {"Helvetica", "Helvetica-Bold"}


def test_long_chinese_names_wrap_and_stay_inside_their_label(tmp_path):
    long_name = "黄山毛峰绿茶礼盒装（特级）明前一级新茶" * 3
    labels = [_label(0, long_name), _label(1, "黄山毛峰绿茶礼盒装（特级）五百克"), _label(2)]
    pdf = _write(tmp_path, render_labels(labels, "a4"))
    cell_right = SHEETS["a4"].cell_w
    words = _text(pdf, "-bbox").split("<word ")[1:]
    first_column = [w for w in words if float(w.split('xMin="')[1].split('"')[0]) < cell_right]
    assert first_column
    for word in first_column:
        assert float(word.split('xMax="')[1].split('"')[0]) <= cell_right, word
    lines = [line.strip() for line in _text(pdf).splitlines() if line.strip()]
    # The long name is cut to three lines with an ellipsis; a bracket never starts or ends a line badly.
    assert any(line.endswith("…") and line[0] in long_name for line in lines)
    assert not any(line.startswith("）") or line.endswith("（") for line in lines)
    assert "龙井绿茶" in lines  # the English name's line break keeps the Chinese name whole


def test_without_a_cjk_font_labels_still_print_and_it_is_said_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(fonts, "CJK_FONT_FILES", (("/nonexistent/cjk.ttf", 0),))
    monkeypatch.setattr(fonts, "_loaded", {})
    labels = [_label(i) for i in range(3)]
    with caplog.at_level(logging.WARNING, logger="app.labels.fonts"):
        render_labels(labels, "a4")
        pdf = _write(tmp_path, render_labels(labels, "a4"))
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "fonts-droid-fallback" in caplog.records[0].getMessage()
    assert all(row["emb"] == "no" for row in _fonts(pdf))
    assert _text(pdf).count("Longjing Green Tea") == 3
    assert _qr_texts(pdf, tmp_path) == [{label.url for label in labels}]


@pytest.fixture
def longjing(db, places, make_product):  # noqa: F811
    """A product with a Chinese name, 5 units at the store it is bought at."""
    from app.stock import services as stock

    product = make_product(name=TEA, price_amount=12800)
    stock.record_movement(product, places[0], "receive", 5, actor="test")
    db.session.commit()
    return product


def test_the_return_label_keeps_the_chinese_name(app, db, shopper, places, longjing, tmp_path):  # noqa: F811
    from app.returns import services
    from app.returns.models import Return

    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(longjing, 1)])
    body = {"lines": [{"line": order.lines[0].id, "qty": 1}], "reason": "too big", "channel": "mail"}
    started = phone.post(
        f"/api/v1/orders/{order.number}/returns",
        json=body,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert started.status_code == 201, started.text
    answer = phone.get(f"/returns/{started.get_json()['number']}/label.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    pdf = _write(tmp_path, answer.data)

    assert f"1 x {TEA} ({longjing.sku})" in _text(pdf)
    assert [row["type"] for row in _fonts(pdf) if row["emb"] == "yes"] == ["TrueType"]
    ret = db.session.get(Return, started.get_json()["id"])
    assert _qr_texts(pdf, tmp_path) == [{services.qr_text(ret)}]
