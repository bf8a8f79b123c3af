"""Product images: only our own uploads, checked by opening them, served back from /images/."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.catalog.models import Product
from tests.conftest import csrf_from

HEADER = "sku,name,price,currency,barcode,category,description,image,active\n"


def png_bytes(size=(32, 24), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    image.save(out, format="PNG", pnginfo=_text_chunk())
    return out.getvalue()


def _text_chunk():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Someone at home")
    return info


def _put(client, headers, sku, data, content_type="image/png"):
    return client.put(f"/api/v1/products/{sku}/image", data=data, content_type=content_type, headers=headers)


def _image_of(db, sku):
    db.session.expire_all()
    return db.session.scalar(select(Product.image).filter_by(sku=sku))


def test_uploaded_png_becomes_our_url_and_is_served_back(client, admin_headers, make_product, db):
    product = make_product()
    response = _put(client, admin_headers, product.sku, png_bytes())
    assert response.status_code == 200, response.json
    url = response.json["image"]
    assert url.startswith("/images/") and url.endswith(".png")
    assert client.get(f"/api/v1/products/{product.sku}", headers=admin_headers).json["image"] == url
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"] and served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.data)) as image:
        image.load()
        assert image.size == (32, 24) and image.format == "PNG"
        assert "Author" not in image.info  # re-encoded: the metadata is gone


def test_multipart_upload_of_a_jpeg_works(client, admin_headers, make_product):
    product = make_product()
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 90, 0)).save(out, format="JPEG")
    response = client.put(
        f"/api/v1/products/{product.sku}/image",
        data={"file": (io.BytesIO(out.getvalue()), "photo.jpg", "image/jpeg")},
        content_type="multipart/form-data",
        headers=admin_headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["image"].endswith(".jpg")
    with Image.open(io.BytesIO(client.get(response.json["image"]).data)) as image:
        assert image.format == "JPEG"


def test_text_sent_as_png_is_refused(client, admin_headers, make_product, db):
    product = make_product()
    response = _put(client, admin_headers, product.sku, b"<script>alert(1)</script>")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_image"
    assert _image_of(db, product.sku) == ""


def test_a_truncated_png_is_refused(client, admin_headers, make_product):
    product = make_product()
    response = _put(client, admin_headers, product.sku, png_bytes((300, 300))[:200])
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_image"


def test_a_body_over_5_mb_is_refused(client, admin_headers, make_product, db):
    product = make_product()
    response = _put(client, admin_headers, product.sku, b"\x89PNG" + b"\0" * (5 * 1024 * 1024 + 100_000))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "image_too_large"
    assert _image_of(db, product.sku) == ""


def test_clerks_cannot_upload(client, clerk_headers, make_product):
    product = make_product()
    assert _put(client, clerk_headers, product.sku, png_bytes()).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "https://elsewhere.example/pic.png",
        "http://elsewhere.example/pic.png",
        "//elsewhere.example/pic.png",
        "/images/../secret_key",
        "/images/abc.png",
    ],
)
def test_outside_urls_are_refused_and_the_product_is_unchanged(client, admin_headers, make_product, db, url):
    product = make_product()
    good = _put(client, admin_headers, product.sku, png_bytes()).json["image"]
    response = client.patch(f"/api/v1/products/{product.sku}", json={"image": url}, headers=admin_headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_image"
    assert "upload" in response.json["error"]["message"]
    assert _image_of(db, product.sku) == good
    created = client.post(
        "/api/v1/products",
        json={"sku": "NEW-1", "name": "New", "price": {"amount": 100}, "image": url},
        headers=admin_headers,
    )
    assert created.status_code == 422 and created.json["error"]["code"] == "invalid_image"
    assert client.get("/api/v1/products/NEW-1", headers=admin_headers).status_code == 404


def test_our_url_can_be_set_and_cleared_through_the_api(client, admin_headers, make_product, db):
    product = make_product()
    url = _put(client, admin_headers, product.sku, png_bytes()).json["image"]
    other = make_product()
    assert client.patch(f"/api/v1/products/{other.sku}", json={"image": url}, headers=admin_headers).status_code == 200
    assert client.patch(f"/api/v1/products/{other.sku}", json={"image": ""}, headers=admin_headers).status_code == 200
    assert _image_of(db, other.sku) == ""


def test_unknown_image_names_are_not_found(client):
    assert client.get("/images/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/images/secret_key").status_code == 404


def test_import_refuses_outside_images_per_row(client, admin_headers, db):
    text = HEADER + "OK-1,Fine,1.00,CNY,,,,,\nBAD-1,Bad,1.00,CNY,,,,javascript:alert(1),\n"
    response = client.post(
        "/api/v1/products/import?mode=valid_only", data=text.encode(), content_type="text/csv", headers=admin_headers
    )
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1
    [error] = response.json["errors"]
    assert error["line"] == 3 and error["sku"] == "BAD-1" and error["field"] == "image"
    assert db.session.scalar(select(Product.id).filter_by(sku="BAD-1")) is None


def test_staff_form_uploads_an_image(signed_in, make_product, db):
    product = make_product()
    client = signed_in("admin")
    page = client.get(f"/staff/products/{product.sku}")
    assert 'type="file"' in page.text
    form = {
        "sku": product.sku,
        "name": product.name,
        "price": "10.00",
        "currency": "CNY",
        "barcode": product.barcode,
        "category": "Tea",
        "description": "",
        "image": "",
        "active": "y",
        "csrf_token": csrf_from(page.text),
    }
    saved = client.post(
        f"/staff/products/{product.sku}",
        data={**form, "image_file": (io.BytesIO(png_bytes()), "tea.png", "image/png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    url = _image_of(db, product.sku)
    assert url.startswith("/images/") and f'src="{url}"' in saved.text
    assert client.get(url).status_code == 200

    refused = client.post(
        f"/staff/products/{product.sku}",
        data={**form, "image": "https://elsewhere.example/x.png", "csrf_token": csrf_from(saved.text)},
    )
    assert refused.status_code == 422 and "must be uploaded" in refused.text
    not_an_image = client.post(
        f"/staff/products/{product.sku}",
        data={
            **form,
            "image_file": (io.BytesIO(b"hello"), "fake.png", "image/png"),
            "csrf_token": csrf_from(saved.text),
        },
        content_type="multipart/form-data",
    )
    assert not_an_image.status_code == 422 and "not a readable" in not_an_image.text
    assert _image_of(db, product.sku) == url
