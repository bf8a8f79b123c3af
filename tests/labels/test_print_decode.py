"""A printed A4 sheet of the demo store, scanned back: every QR decodes and opens its product."""

from __future__ import annotations

import subprocess

from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from app.demo import seed_demo
from tests.conftest import need_tool


def test_demo_store_a4_labels_decode_and_open_the_right_pages(app, client, admin_headers, db, tmp_path):
    seed_demo()
    db.session.commit()
    response = client.post("/api/v1/labels", json={"location": "SH-PUDONG", "format": "a4"}, headers=admin_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "labels.pdf").write_bytes(response.data)
    subprocess.run(
        [need_tool("pdftoppm"), "-r", "300", "-png", str(tmp_path / "labels.pdf"), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2  # 40 labels, 24 a sheet

    decoded = []
    for page in pages:
        decoded += [symbol.data.decode() for symbol in decode(Image.open(page), symbols=[ZBarSymbol.QRCODE])]
    expected = {
        item["url"]: item["sku"]
        for item in client.get("/api/v1/labels?location=SH-PUDONG&limit=200", headers=admin_headers).json["items"]
    }
    assert len(decoded) == 40
    assert set(decoded) == set(expected)

    for url in decoded:
        assert url.startswith("HTTP://SHOP.TEST/Q/")
        page = client.get(url.removeprefix("HTTP://SHOP.TEST"))
        assert page.status_code == 200
        product = client.get(f"/api/v1/products/{expected[url]}", headers=admin_headers).json
        assert product["name"].replace("'", "&#39;") in page.text
        assert "Oneshelf Pudong" in page.text
