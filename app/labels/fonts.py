"""Fonts of the printed PDFs: Helvetica where WinAnsi can say it, an embedded CJK font for the rest.

Helvetica is one of the PDF base fonts: nothing is embedded and reportlab measures it from
built-in metrics, so most text stays fast and small. It can only draw WinAnsi (cp1252), so a
text is cut into runs and what Helvetica lacks (a product's Chinese name) is drawn with a
TrueType CJK font, registered on first use. reportlab embeds only the glyphs a document uses,
so a sheet of Chinese names grows by a few kilobytes, not by the font's megabytes.

Without a CJK font file everything is drawn with Helvetica as before (reportlab prints a box
for each character it cannot draw) and a warning says which package to install, once.
"""

from __future__ import annotations

import logging
import os
import threading

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["ELLIPSIS", "cjk_font", "draw_text", "prefix_fitting", "printable", "runs", "text_width", "truncate"]

log = logging.getLogger(__name__)

ELLIPSIS = "\u2026"  # in WinAnsi, so Helvetica draws it
CJK_FONT = "OneshelfCJK"
# TrueType outlines only: reportlab cannot embed CFF fonts such as Noto CJK's .ttc files.
CJK_FONT_FILES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
)
CJK_PACKAGE = "fonts-droid-fallback"

BOLD = frozenset({"Helvetica-Bold"})
FAKE_BOLD = 0.035  # outline width, in ems, that makes a regular CJK glyph bold
# What Helvetica draws: the characters of WinAnsi (cp1252) from the space up.
WINANSI = frozenset(bytes(range(0x20, 0x100)).decode("cp1252", "ignore"))

_lock = threading.Lock()
_loaded: dict[str, tuple[str, frozenset[int]] | None] = {}


def _register() -> tuple[str, frozenset[int]] | None:
    """Register the first CJK font file found; its name and the code points it draws."""
    for path, index in CJK_FONT_FILES:
        if not os.path.exists(path):
            continue
        try:
            font = TTFont(CJK_FONT, path, subfontIndex=index)
        except (OSError, TTFError) as error:
            log.warning("CJK font %s could not be loaded: %s", path, error)
            continue
        pdfmetrics.registerFont(font)
        return CJK_FONT, frozenset(font.face.charToGlyph)
    log.warning(
        "No CJK font found (looked for %s): Chinese text prints as boxes on labels; install %s",
        ", ".join(path for path, _ in CJK_FONT_FILES),
        CJK_PACKAGE,
    )
    return None


def _cjk() -> tuple[str, frozenset[int]] | None:
    """The registered CJK font and its code points, loaded once per process."""
    try:
        return _loaded["font"]
    except KeyError:
        pass
    # One registration even when two renders start at once: a second TTFont object under
    # the same name would give a document two copies of the font.
    with _lock:
        if "font" not in _loaded:
            _loaded["font"] = _register()
        return _loaded["font"]


def cjk_font() -> str | None:
    """Name of the registered CJK font, or None when no font file is installed."""
    found = _cjk()
    return found[0] if found else None


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """Text cut into (font, piece) runs: font where WinAnsi has the character, else the CJK font.

    Spaces stay in the run they are in, so "龙井 绿茶" is one run. A character neither font
    has stays with font (which prints a box for it, as it always did).
    """
    if text.isascii() or not (found := _cjk()):
        return [(font, text)] if text else []
    cjk, glyphs = found
    out: list[tuple[str, str]] = []
    start, current = 0, None
    for i, ch in enumerate(text):
        if ch == " " and current is not None:
            continue
        wanted = cjk if ch not in WINANSI and ord(ch) in glyphs else font
        if wanted != current:
            if current is not None:
                out.append((current, text[start:i]))
            start, current = i, wanted
    if current is not None:
        out.append((current, text[start:]))
    return out


def text_width(text: str, font: str, size: float) -> float:
    """Width of text in points, measured with the fonts it is drawn with."""
    if text.isascii():
        return stringWidth(text, font, size)
    return sum(stringWidth(piece, run_font, size) for run_font, piece in runs(text, font))


def prefix_fitting(text: str, font: str, size: float, width: float) -> int:
    """Length of the longest prefix of text that fits width (binary search)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid], font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def truncate(text: str, font: str, size: float, width: float) -> str:
    """Text cut with an ellipsis so that it fits width."""
    if text_width(text, font, size) <= width:
        return text
    keep = prefix_fitting(text, font, size, width - text_width(ELLIPSIS, font, size))
    return text[:keep].rstrip() + ELLIPSIS


def draw_text(c: Canvas, x: float, y: float, text: str, font: str, size: float, align: str = "left") -> None:
    """Draw text with its baseline at y, starting at x ("left"), centred on it or ending at it."""
    pieces = runs(text, font)
    if align != "left":
        x -= text_width(text, font, size) / (2 if align == "centre" else 1)
    for i, (run_font, piece) in enumerate(pieces):
        _set_font(c, run_font, size)
        if run_font != font and font in BOLD:
            # The CJK font has one weight: outlining its glyphs as they are filled
            # makes them about as heavy as the bold Latin beside them.
            c.setLineWidth(FAKE_BOLD * size)
            c.drawString(x, y, piece, mode=2)
        else:
            c.drawString(x, y, piece)
        if i + 1 < len(pieces):
            x += stringWidth(piece, run_font, size)


def _set_font(c: Canvas, font: str, size: float) -> None:
    """Select font and size unless they are already selected (each choice is a few page operators)."""
    if c._fontname != font or c._fontsize != size:
        c.setFont(font, size)


def printable(text: str) -> str:
    """Text without the characters no font here can draw (all but WinAnsi without a CJK font)."""
    found = _cjk()
    glyphs = found[1] if found else frozenset()
    return "".join(ch for ch in text if ch in WINANSI or ord(ch) in glyphs)
