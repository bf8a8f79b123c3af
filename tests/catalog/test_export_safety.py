"""The product CSV export cannot carry a spreadsheet formula, and still imports back unchanged."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.catalog.models import Product
from app.core.csvfiles import spreadsheet_safe, unescape_cell

RISKY = ['=HYPERLINK("http://evil.test","x")', "+1+2", "-Minus tea", "@SUM(A1)", "'=already quoted"]


def test_formula_cells_are_quoted_in_the_export(client, admin_headers, make_product):
    for name in RISKY:
        make_product(name=name, description="=1+1")
    exported = client.get("/api/v1/products/export.csv", headers=admin_headers)
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["name"] for r in rows] == ["'" + name for name in RISKY]
    assert {r["description"] for r in rows} == {"'=1+1"}
    assert rows[0]["sku"] == "SKU-0001"  # plain cells are untouched


def test_the_export_imports_back_to_the_same_values(client, admin_headers, make_product, db):
    for name in RISKY:
        make_product(name=name)
    exported = client.get("/api/v1/products/export.csv", headers=admin_headers).text
    answer = client.post(
        "/api/v1/products/import", data=exported.encode(), content_type="text/csv", headers=admin_headers
    )
    assert answer.status_code == 200 and answer.json["unchanged"] == len(RISKY)
    names = db.session.scalars(select(Product.name).order_by(Product.id)).all()
    assert names == RISKY


def test_a_hand_written_leading_dash_imports_as_written(client, admin_headers, db):
    text = "sku,name,price\nD-1,-Dash name,1\nD-2,'-Quoted dash,1\n"
    answer = client.post("/api/v1/products/import", data=text.encode(), content_type="text/csv", headers=admin_headers)
    assert answer.status_code == 200 and answer.json["created"] == 2
    names = db.session.scalars(select(Product.name).order_by(Product.sku)).all()
    assert names == ["-Dash name", "-Quoted dash"]


def test_every_value_survives_escape_and_unescape():
    for value in ["", "plain", "'", "''", "'plain", "=a", "'=a", "''=a", "\tx", "\rx", "-", "@"]:
        assert unescape_cell(spreadsheet_safe(value)) == value
