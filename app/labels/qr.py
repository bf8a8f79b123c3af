"""QR code generation for shelf labels: module matrix, PNG and SVG output."""

from __future__ import annotations

import io
import re
from functools import lru_cache

from PIL import Image
from qrcode import QRCode, constants, util

__all__ = [
    "AUTO_MASK",
    "best_mask",
    "fit_version",
    "qr_matrix",
    "qr_png",
    "qr_runs",
    "qr_svg",
]

EC_LEVEL = constants.ERROR_CORRECT_M
QUIET_ZONE = 4
# Sentinel for "let qrcode score all 8 masks" (slow but the spec's choice).
AUTO_MASK: int | None = None

_DARK_RUN = re.compile(rb"\x01+")
# Maps module bytes 0 (light) / 1 (dark) to "L" pixel values.
_L_TABLE = bytes([255, 0]) + bytes(254)


def _segments(data: str) -> list[util.QRData]:
    """Split data into QR segments, forcing one alphanumeric segment when possible."""
    raw = data.encode("utf-8")
    if util.RE_ALPHA_NUM.match(raw):
        # Upper-case URLs are one alphanumeric segment (5.5 bits a character
        # against 8 in byte mode); qrcode's optimiser finds the same segment
        # for our short codes, but only after several regex passes.
        return [util.QRData(raw, mode=util.MODE_ALPHA_NUM, check_data=False)]
    return list(util.optimal_data_chunks(raw, minimum=20))


# Filler bytes per mode: the bit length depends only on mode and length.
_FILLER = {
    util.MODE_NUMBER: b"0",
    util.MODE_ALPHA_NUM: b"A",
    util.MODE_8BIT_BYTE: b"\0",
}


@lru_cache(maxsize=256)
def _fit_version_for(signature: tuple[tuple[int, int], ...]) -> int:
    """Smallest version for segments of the given (mode, length) signature."""
    qr = QRCode(error_correction=EC_LEVEL)
    for mode, length in signature:
        qr.add_data(util.QRData(_FILLER[mode] * length, mode=mode, check_data=False))
    return qr.best_fit()


def fit_version(data: str) -> int:
    """Smallest QR version (EC level M) holding data; cached per segment shape."""
    segments = _segments(data)
    signature = tuple((s.mode, len(s.data)) for s in segments)
    return _fit_version_for(signature)


def _make(data: str, version: int | None, mask: int | None) -> QRCode:
    """Build a qrcode.QRCode with the given (or fitted) version and mask."""
    qr = QRCode(
        version=version if version is not None else fit_version(data),
        error_correction=EC_LEVEL,
        mask_pattern=mask,
        border=0,
    )
    for segment in _segments(data):
        qr.add_data(segment)
    # fit=False keeps the version we give; an overflow raises DataOverflowError.
    qr.make(fit=False)
    return qr


def qr_matrix(data: str, version: int | None = None, mask: int | None = AUTO_MASK) -> list[list[bool]]:
    """Module matrix without quiet zone (True = dark); mask None scores all 8 masks."""
    return _make(data, version, mask).modules  # type: ignore[return-value]


def best_mask(data: str, version: int | None = None) -> int:
    """Mask that qrcode's penalty scoring picks for data (reusable for a batch)."""
    qr = QRCode(
        version=version if version is not None else fit_version(data),
        error_correction=EC_LEVEL,
        border=0,
    )
    for segment in _segments(data):
        qr.add_data(segment)
    return qr.best_mask_pattern()


def qr_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Horizontal dark runs as (row, start column, length)."""
    runs: list[tuple[int, int, int]] = []
    append = runs.append
    for y, row in enumerate(matrix):
        # bytes(list[bool]) gives 0/1 bytes; the regex scan runs in C.
        for m in _DARK_RUN.finditer(bytes(row)):
            start = m.start()
            append((y, start, m.end() - start))
    return runs


def qr_png(
    data: str,
    scale: int = 8,
    border: int = QUIET_ZONE,
    version: int | None = None,
    mask: int | None = AUTO_MASK,
) -> bytes:
    """Black-on-white 1-bit PNG of the QR code, scale pixels per module."""
    if scale < 1 or border < 0:
        raise ValueError("scale must be >= 1 and border >= 0")
    matrix = qr_matrix(data, version, mask)
    size = len(matrix) + 2 * border
    # One byte per module in "L" mode (0 = black, 255 = white), then let
    # Pillow scale and threshold in C instead of looping per pixel.
    side = b"\xff" * border
    margin = b"\xff" * (size * border)
    buf = bytearray(margin)
    for row in matrix:
        buf += side
        buf += bytes(row).translate(_L_TABLE)
        buf += side
    buf += margin
    img = Image.frombytes("L", (size, size), bytes(buf))
    img = img.convert("1", dither=Image.Dither.NONE)
    if scale != 1:
        img = img.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def qr_svg(
    data: str,
    border: int = QUIET_ZONE,
    version: int | None = None,
    mask: int | None = AUTO_MASK,
) -> str:
    """Compact SVG: white background rect plus one path of merged horizontal runs."""
    if border < 0:
        raise ValueError("border must be >= 0")
    matrix = qr_matrix(data, version, mask)
    size = len(matrix) + 2 * border
    path = "".join(f"M{x + border} {y + border}h{n}v1h-{n}z" for y, x, n in qr_runs(matrix))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )
