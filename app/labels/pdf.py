"""Printable PDF label sheets (A4 3x8 and 50x30 mm thermal) drawn with reportlab."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.labels.fonts import draw_text, prefix_fitting, text_width, truncate
from app.labels.qr import QUIET_ZONE, best_mask, fit_version, qr_matrix, qr_runs

__all__ = ["FORMATS", "LabelData", "render_labels"]

PROGRESS_EVERY = 50
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
# Poppler antialiasing spills 1/8 pixel past the right and bottom edges of a
# many-rectangle path when they sit exactly on pixel boundaries. The grey
# fringe made finder patterns measure one scanline more or less at random,
# which scrambles zbar's candidate order until it gives up on a full page
# (about 1 in 2,500 codes lost). Trimming each run by 1/32 of a 300 dpi
# pixel removes the fringe and is far below anything a printer resolves.
HAIRLINE = 72 / 300 / 32


@dataclass(frozen=True)
class LabelData:
    """Everything printed on one shelf label."""

    code: str
    url: str
    name: str
    price: str
    sku: str
    barcode: str | None
    location: str


@dataclass(frozen=True)
class _Sheet:
    """Geometry of one label format; lengths in points."""

    page_w: float
    page_h: float
    cols: int
    rows: int
    cell_w: float
    cell_h: float
    qr_inset: float  # cell edge to the outer edge of the QR quiet zone
    qr_box: float  # QR side including the 4-module quiet zone
    dot_dpi: int  # printer grid that module edges snap to
    text_gap: float  # quiet zone edge to the text column
    pad: float  # text column to the cell's right, top and bottom edges
    name_size: float
    name_lines: int
    price_size: float
    small_size: float
    code_size: float

    @property
    def per_page(self) -> int:
        """Labels on one page."""
        return self.cols * self.rows


# A4 sheets of 70 x 37.125 mm labels fill the page edge to edge (3 x 8).
# A 32 mm quiet-zone box gives 11 dots (0.93 mm) per module at version 2 and
# 10 dots (0.85 mm) at version 3 on the 300 dpi grid, well above 0.6 mm.
# Thermal printers are 203 dpi: 28 mm gives 6 dots (0.75 mm) up to v3.
SHEETS: dict[str, _Sheet] = {
    "a4": _Sheet(
        page_w=210 * mm, page_h=297 * mm, cols=3, rows=8,
        cell_w=70 * mm, cell_h=37.125 * mm,
        qr_inset=2.5 * mm, qr_box=32 * mm, dot_dpi=300, text_gap=0.5 * mm, pad=3.5 * mm,
        name_size=8.5, name_lines=3, price_size=15, small_size=7, code_size=6,
    ),
    "thermal-50x30": _Sheet(
        page_w=50 * mm, page_h=30 * mm, cols=1, rows=1,
        cell_w=50 * mm, cell_h=30 * mm,
        qr_inset=1 * mm, qr_box=28 * mm, dot_dpi=203, text_gap=0.3 * mm, pad=1.5 * mm,
        name_size=6.5, name_lines=3, price_size=11, small_size=5.5, code_size=5,
    ),
}  # fmt: skip
FORMATS = tuple(SHEETS)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_NO_LINE_START = frozenset("）」』】〕〉》〗，。、；：？！・ー…)]}’”,.;:?!%")
_NO_LINE_END = frozenset("（「『【〔〈《〖‘“([{")


def _clean(text: str | None) -> str:
    """Single-line printable text; lone surrogates and controls become harmless."""
    if not text:
        return ""
    # Lone surrogates would make reportlab's UTF-8 encoding raise.
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def _break_before(text: str, cut: int) -> int:
    """Where a line that may hold text[:cut] ends: the last space, else between CJK characters, else cut.

    A space wins so that a Chinese name after an English one moves to the next line whole.
    A CJK line may not start with a closing mark nor end with an opening one. Overlong words
    are broken at cut.
    """
    space = text.rfind(" ", 0, cut + 1)
    if space > 0:
        return space
    for i in range(min(cut, len(text) - 1), 0, -1):
        before, after = text[i - 1], text[i]
        if (_wide(before) or _wide(after)) and after not in _NO_LINE_START and before not in _NO_LINE_END:
            return i
    return cut


def _wide(ch: str) -> bool:
    """Whether ch is a CJK (full-width) character, between any two of which a line may break."""
    return unicodedata.east_asian_width(ch) in "WF"


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most max_lines; the last line is ellipsised."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines - 1:
        if text_width(rest, font, size) <= width:
            break
        cut = max(_break_before(rest, prefix_fitting(rest, font, size, width)), 1)
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        lines.append(truncate(rest, font, size, width))
    return lines


def _fit_size(text: str, font: str, size: float, width: float, floor: float) -> float:
    """Largest font size <= size (not below floor) at which text fits width."""
    natural = text_width(text, font, size)
    if natural <= width:
        return size
    # Round down to 0.1 pt: the exact ratio can overshoot by a rounding error
    # and then get the text needlessly ellipsised.
    return max(floor, math.floor(size * width / natural * 10) / 10)


def _barcode_text(barcode: str | None) -> str:
    """Human-readable legacy barcode line, e.g. 'EAN 0012345678905'."""
    code = _clean(barcode)
    if not code:
        return ""
    kind = {8: "EAN-8", 12: "UPC", 13: "EAN", 14: "GTIN"}.get(len(code), "EAN")
    return f"{kind} {code}" if code.isdigit() else f"Barcode {code}"


@lru_cache(maxsize=64)
def _run_sizes(n: int, trim: float) -> tuple[list[str], str]:
    """Run widths 0..n and the row height, each trimmed, as PDF number strings."""
    return [f"{w - trim:.4f}" for w in range(n + 1)], f"{1 - trim:.4f}"


def _qr_ops(url: str, mask: int, sheet: _Sheet, x: float, y: float) -> str:
    """PDF operators filling the QR's dark modules as one path of row runs."""
    matrix = qr_matrix(url, fit_version(url), mask)
    n = len(matrix)
    # Whole printer dots per module, edges on the dot grid: modules come out
    # equally wide instead of alternating n/n+1 dots with grey antialiased
    # edges, which cost zbar about 1 % of codes on a full A4 page at 300 dpi.
    dot = 72 / sheet.dot_dpi
    module = dot * max(1, int(sheet.qr_box / dot / (n + 2 * QUIET_ZONE)))
    slack = (sheet.qr_box - module * (n + 2 * QUIET_ZONE)) / 2
    left = round((x + slack + QUIET_ZONE * module) / dot) * dot
    # Rasterisers count rows from the top edge of the page.
    from_top = sheet.page_h - (y + sheet.qr_box - slack - QUIET_ZONE * module)
    top = sheet.page_h - round(from_top / dot) * dot
    # Flip the y axis and scale to module units so that every rectangle is
    # a few short numbers; reportlab's path API would format floats per call.
    parts = [f"q 0 g {module:.6f} 0 0 {-module:.6f} {left:.4f} {top:.4f} cm\n"]
    widths, height = _run_sizes(n, round(HAIRLINE / module, 4))
    parts.extend([f"{c} {r} {widths[w]} {height} re\n" for r, c, w in qr_runs(matrix)])
    parts.append("f Q")
    return "".join(parts)


def _draw_label(c: Canvas, sheet: _Sheet, label: LabelData, mask: int, x: float, y: float) -> None:
    """Draw one label with its cell's bottom-left corner at (x, y)."""
    qr_x = x + sheet.qr_inset
    # The QR sits high enough to leave a strip under it for the host its URL opens.
    host_size = sheet.code_size - 1
    qr_y = y + min(sheet.cell_h - sheet.qr_box, max((sheet.cell_h - sheet.qr_box) / 2, 1.4 * host_size))
    # Raw operators go straight into the page stream (reportlab's own list of
    # them): its path API costs a method call and float formatting per rect.
    c._code.append(_qr_ops(label.url, mask, sheet, qr_x, qr_y))
    # A sticker over the QR pointing elsewhere is told apart by this readable host.
    host = _clean(urlsplit(label.url).netloc.rpartition("@")[2].lower())
    host_y = max(y + 0.3 * host_size, qr_y - 1.05 * host_size)
    host = truncate(host, FONT, host_size, sheet.qr_box)
    draw_text(c, qr_x + sheet.qr_box / 2, host_y, host, FONT, host_size, align="centre")

    # Text lives right of the quiet zone, so it can never touch the QR.
    tx = qr_x + sheet.qr_box + sheet.text_gap
    width = x + sheet.cell_w - sheet.pad - tx
    top = y + sheet.cell_h - sheet.pad
    bottom = y + sheet.pad
    small, tiny = sheet.small_size, sheet.code_size
    lead = 1.2

    # Bottom block, drawn upwards: code (+ location), barcode, SKU.
    base = bottom + 0.2 * tiny
    code = _clean(label.code)
    location = _clean(label.location)
    draw_text(c, tx, base, truncate(code, FONT, tiny, width), FONT, tiny)
    if location:
        room = width - text_width(code, FONT, tiny) - 2 * tiny
        if room > 3 * tiny:
            loc = truncate(location, FONT, tiny, room)
            draw_text(c, tx + width, base, loc, FONT, tiny, align="right")
    base += tiny * lead
    sku = _clean(label.sku)
    for line in (_barcode_text(label.barcode), f"SKU {sku}" if sku else ""):
        if line:
            base += 0.1 * small
            draw_text(c, tx, base, truncate(line, FONT, small, width), FONT, small)
            base += small * lead
    block_top = base

    # Name from the top, then the price under it; the price shrinks before
    # the name loses lines, and the name gives up lines before overlapping.
    price = _clean(label.price)
    price_size = _fit_size(price, FONT_BOLD, sheet.price_size, width, sheet.price_size * 0.6)
    name_lead = sheet.name_size * lead
    room = top - block_top - price_size * 1.1
    max_lines = max(1, min(sheet.name_lines, int(room // name_lead)))
    lines = _wrap(_clean(label.name), FONT_BOLD, sheet.name_size, width, max_lines)
    line_y = top - sheet.name_size * 0.8
    for line in lines:
        draw_text(c, tx, line_y, line, FONT_BOLD, sheet.name_size)
        line_y -= name_lead
    if price:
        price_y = line_y + name_lead - sheet.name_size * 0.3 - price_size
        price_y = max(price_y, block_top + 0.1 * price_size)
        draw_text(c, tx, price_y, truncate(price, FONT_BOLD, price_size, width), FONT_BOLD, price_size)


def render_labels(
    labels: list[LabelData],
    fmt: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Render labels to a PDF in the given format ("a4" or "thermal-50x30")."""
    sheet = SHEETS.get(fmt)
    if sheet is None:
        raise ValueError(f"unknown label format {fmt!r}; expected one of {FORMATS}")
    out = io.BytesIO()
    c = Canvas(out, pagesize=(sheet.page_w, sheet.page_h), pageCompression=1)
    c.setTitle("Shelf labels")
    c.setCreator("labels")
    total = len(labels)
    # Labels in a batch share host and path, so the mask qrcode scores best
    # for the first is a good fixed choice; scoring all 8 per label would
    # cost ~9x the encoding itself.
    mask = best_mask(labels[0].url) if labels else 0
    per_page = sheet.per_page
    grid_top = sheet.page_h - (sheet.page_h - sheet.rows * sheet.cell_h) / 2
    grid_left = (sheet.page_w - sheet.cols * sheet.cell_w) / 2
    for i, label in enumerate(labels):
        slot = i % per_page
        if slot == 0 and i:
            c.showPage()
        row, col = divmod(slot, sheet.cols)
        x = grid_left + col * sheet.cell_w
        y = grid_top - (row + 1) * sheet.cell_h
        _draw_label(c, sheet, label, mask, x, y)
        done = i + 1
        if progress is not None and done % PROGRESS_EVERY == 0 and done != total:
            progress(done, total)
    c.showPage()
    c.save()
    if progress is not None:
        progress(total, total)
    return out.getvalue()
