"""Product images: only our own uploaded files, checked and re-encoded before they are kept."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from app.errors import DomainError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a small file may still decode into a huge bitmap
CONTENT_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
IMAGE_NAME_RE = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp)$")
# Our uploaded images, and the pictures the demo draws into instance/media/products.
OWN_URL_RE = re.compile(
    r"^/images/[0-9a-f]{64}\.(png|jpg|webp)$"
    r"|^/media/products/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.png$"
)


def check_image_url(value: str | None) -> str:
    """An empty string or one of our own image URLs; anything else is refused with invalid_image."""
    url = (value or "").strip()
    if url and (not OWN_URL_RE.match(url) or ".." in url):
        raise DomainError(
            "invalid_image",
            "A product image must be uploaded (PUT /api/v1/products/<sku>/image or the product form); "
            "outside addresses, data: and javascript: URLs are not accepted.",
        )
    return url


def _refuse(message: str) -> DomainError:
    return DomainError("invalid_image", message)


def store_image(data: bytes, content_type: str | None = None) -> str:
    """Check uploaded bytes are a PNG, JPEG or WebP image, re-encode them and return their URL."""
    if content_type is not None:
        content_type = content_type.split(";")[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            raise _refuse("Send the image as image/png, image/jpeg or image/webp.")
    if len(data) > MAX_IMAGE_BYTES:
        raise DomainError("image_too_large", "An image may be at most 5 MB.", status=413)
    if not data:
        raise _refuse("The image is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in EXTENSIONS:
                    raise _refuse("Only PNG, JPEG and WebP images are accepted.")
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise _refuse("The image has too many pixels.")
                image.load()
                picture, kind = _clean(image), image.format
    except DomainError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
    ):
        raise _refuse("The file is not a readable PNG, JPEG or WebP image.") from None
    out = io.BytesIO()
    # Saving without exif/icc/text parameters drops the file's metadata.
    picture.save(out, format=kind, **({"quality": 90} if kind in ("JPEG", "WEBP") else {"optimize": True}))
    encoded = out.getvalue()
    name = f"{hashlib.sha256(encoded).hexdigest()}.{EXTENSIONS[kind]}"
    _write(Path(current_app.config["IMAGES_PATH"]), name, encoded)
    return f"/images/{name}"


def _clean(image: Image.Image) -> Image.Image:
    """The pixels alone, in a mode the format can save."""
    if image.format == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    elif image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        mode = "RGBA"
    else:
        mode = "L" if image.mode in ("L", "1") and image.format == "PNG" else "RGB"
    clean = image.convert(mode)
    clean.info = {}
    return clean


def _write(folder: Path, name: str, data: bytes) -> None:
    """Write the file once, atomically; the same content has the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
