"""Image files follow their transaction: kept when it commits, gone when it rolls back, and a
replaced image's file removed once the replacement commits (unless another product shows it)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.catalog import images
from tests.catalog.test_images import _image_of, _put, png_bytes
from tests.conftest import csrf_from


def files(app) -> set[str]:
    """The image files on disk (leftover temporary files included)."""
    folder = Path(app.config["IMAGES_PATH"])
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def name_of(url: str) -> str:
    return url.removeprefix("/images/")


def product_form(client, page_url: str, **fields) -> dict:
    page = client.get(page_url)
    return {
        "name": "Jasmine tea",
        "price": "10.00",
        "currency": "CNY",
        "barcode": "",
        "category": "Tea",
        "description": "",
        "image": "",
        "active": "y",
        "csrf_token": csrf_from(page.text),
        **fields,
    }


def post_form(client, url: str, form: dict, picture: bytes):
    return client.post(
        url,
        data={**form, "image_file": (io.BytesIO(picture), "tea.png", "image/png")},
        content_type="multipart/form-data",
    )


def test_a_new_product_refused_after_its_image_was_stored_leaves_no_file(app, signed_in, make_product, db):
    taken = make_product()
    client = signed_in("admin")
    form = product_form(client, "/staff/products/new", sku=taken.sku)
    refused = post_form(client, "/staff/products/new", form, png_bytes())
    assert refused.status_code == 422 and "already exists" in refused.text
    assert files(app) == set()

    saved = post_form(client, "/staff/products/new", {**form, "sku": "TEA-NEW"}, png_bytes())
    assert saved.status_code == 302
    url = _image_of(db, "TEA-NEW")
    assert files(app) == {name_of(url)}
    assert client.get(url).status_code == 200


def test_an_edit_refused_after_the_image_step_keeps_the_old_file_and_drops_the_new(
    app, signed_in, make_product, admin_headers, client, db
):
    product, other = make_product(), make_product()
    old = _put(client, admin_headers, product.sku, png_bytes(colour=(1, 2, 3))).json["image"]
    assert files(app) == {name_of(old)}
    staff = signed_in("admin")
    page = f"/staff/products/{product.sku}"
    form = product_form(staff, page, sku=product.sku, barcode=other.barcode)  # another product's barcode
    refused = post_form(staff, page, form, png_bytes(colour=(9, 9, 9)))
    assert refused.status_code == 422 and "already belongs" in refused.text
    assert _image_of(db, product.sku) == old
    assert files(app) == {name_of(old)}  # the new file is gone, the old one still shown


def test_replacing_an_image_removes_the_old_file_once_it_commits(app, client, admin_headers, make_product, db):
    product = make_product()
    first = _put(client, admin_headers, product.sku, png_bytes(colour=(10, 20, 30))).json["image"]
    second = _put(client, admin_headers, product.sku, png_bytes(colour=(40, 50, 60))).json["image"]
    assert first != second and _image_of(db, product.sku) == second
    assert files(app) == {name_of(second)}
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200

    cleared = client.patch(f"/api/v1/products/{product.sku}", json={"image": ""}, headers=admin_headers)
    assert cleared.status_code == 200
    assert files(app) == set()


def test_an_image_another_product_shows_stays(app, client, admin_headers, make_product, db):
    product, other = make_product(), make_product()
    shared = _put(client, admin_headers, product.sku, png_bytes()).json["image"]
    assert _put(client, admin_headers, other.sku, png_bytes()).json["image"] == shared  # the same bytes
    replaced = _put(client, admin_headers, product.sku, png_bytes(colour=(0, 0, 255))).json["image"]
    assert files(app) == {name_of(shared), name_of(replaced)}
    assert client.get(shared).status_code == 200  # the other product still shows it


def test_a_replacement_that_rolls_back_keeps_the_old_file(app, make_product, db):
    product = make_product()
    old = images.store_image(png_bytes(colour=(5, 5, 5)))
    product.image = old
    db.session.commit()
    product.image = images.store_image(png_bytes(colour=(6, 6, 6)))
    db.session.flush()
    db.session.rollback()
    assert files(app) == {name_of(old)}
    assert _image_of(db, product.sku) == old


def test_a_savepoint_is_not_the_commit(app, make_product, db):
    """A file stored inside a savepoint goes with the transaction around it."""
    make_product()
    with db.session.begin_nested():
        url = images.store_image(png_bytes())
    assert files(app) == {name_of(url)}
    db.session.rollback()
    assert files(app) == set()


@pytest.mark.parametrize("app", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_same_image_stored_by_two_transactions_stays_while_one_may_commit(app, db):
    """Files are named by content: one transaction rolling back must not take the other's file.

    On PostgreSQL, where two writing transactions run at once (SQLite lets one write at a time).
    """
    picture = png_bytes(colour=(7, 7, 7))
    first = images.store_image(picture)
    with app.app_context():  # a second request in this process: its own session and transaction
        assert images.store_image(picture) == first
        db.session.rollback()
        assert files(app) == {name_of(first)}  # the first transaction still holds it
    db.session.commit()
    with app.app_context():
        assert images.store_image(picture) == first  # already kept: this transaction does not own it
        db.session.rollback()
    assert files(app) == {name_of(first)}

    both_roll_back = png_bytes(colour=(8, 8, 8))
    url = images.store_image(both_roll_back)
    with app.app_context():
        images.store_image(both_roll_back)
        db.session.rollback()
    assert name_of(url) in files(app)
    db.session.rollback()
    assert files(app) == {name_of(first)}
