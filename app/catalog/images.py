"""Product images: only our own uploaded files, checked and re-encoded before they are kept.

A file is written when the image is stored, before the transaction that uses it commits, and
follows that transaction: if it rolls back (bad input after the image step, a conflict) the
file it wrote is removed; if it commits the file is kept. A file a product no longer shows
(its image was replaced or cleared) is removed once that change commits, unless another
product still shows it. Files are named by their content, so two transactions may store the
same file: within a process, a file stays while any transaction that stored it may still
commit (a race between processes on the very same bytes can still remove a file too early).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from app.catalog.models import Product
from app.db import begin_write
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
    from app.extensions import db

    _write(db.session(), Path(current_app.config["IMAGES_PATH"]), name, encoded)
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


def _write(session: Session, folder: Path, name: str, data: bytes) -> None:
    """Write the file atomically for the session's transaction; the same content has the same name."""
    begin_write(session)  # the transaction that decides whether the file stays
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists() and target not in _claims:
        return  # kept by a transaction that committed: not this one's to remove
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        with _claims_lock:
            if not target.exists():
                os.replace(tmp, target)
                _claims[target] = 1
            elif target in _claims:
                _claims[target] += 1  # stored by another transaction that has not ended yet
            else:
                return
    finally:
        Path(tmp).unlink(missing_ok=True)
    session.info.setdefault(WRITTEN, []).append(target)


# ---- files follow the transaction that stored them ---------------------------------------

WRITTEN = "oneshelf_image_files_written"  # stored in this transaction: removed unless it commits
DROPPED = "oneshelf_image_urls_dropped"  # images a product of this transaction no longer shows
UNUSED = "oneshelf_image_files_unused"  # of those, the files no product shows: removed on commit
# Files stored by transactions of this process that have not ended yet, with how many store them.
_claims: dict[Path, int] = {}
_claims_lock = threading.Lock()


@event.listens_for(Product.image, "set", active_history=True)
def _image_replaced(product: Product, value: str, previous: object, initiator: object) -> None:
    """Remember an uploaded image a product stops showing; its file may go when this commits."""
    session = object_session(product)
    if session is not None and isinstance(previous, str) and previous != value and _own_file_name(previous):
        session.info.setdefault(DROPPED, set()).add(previous)


def _own_file_name(url: str) -> str | None:
    name = url.removeprefix("/images/")
    return name if url.startswith("/images/") and IMAGE_NAME_RE.match(name) else None


@event.listens_for(Session, "before_commit")
def _find_unused(session: Session) -> None:
    """Before the commit, while the session can still read: which dropped images no product shows."""
    if session.in_nested_transaction() or not session.info.get(DROPPED):
        return  # a savepoint: decided when the transaction around it commits
    dropped = session.info.pop(DROPPED)
    shown = set(session.scalars(select(Product.image).where(Product.image.in_(sorted(dropped)))))
    folder = Path(current_app.config["IMAGES_PATH"])
    session.info[UNUSED] = [folder / name for url in dropped - shown if (name := _own_file_name(url))]


@event.listens_for(Session, "after_commit")
def _keep_on_commit(session: Session) -> None:
    """The transaction committed: its files stay for good, the files nothing shows go."""
    if session.in_nested_transaction():
        return  # a savepoint released; the transaction around it may still roll back
    written, unused = session.info.pop(WRITTEN, []), session.info.pop(UNUSED, [])
    with _claims_lock:
        for path in written:
            _claims.pop(path, None)
        for path in unused:
            if path not in _claims:  # another transaction here has just stored the same image
                path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _remove_unless_committed(session: Session, transaction) -> None:
    """The transaction ended without committing (rollback, close): remove the files it wrote."""
    if transaction.parent is not None:
        return
    session.info.pop(DROPPED, None)
    session.info.pop(UNUSED, None)
    written = session.info.pop(WRITTEN, [])
    with _claims_lock:
        for path in written:
            left = _claims.get(path)
            if left is None:
                continue  # another transaction that stored it committed
            if left > 1:
                _claims[path] = left - 1
            else:
                del _claims[path]
                path.unlink(missing_ok=True)
