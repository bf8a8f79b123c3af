"""The printable label of a mail return: the return's QR, where to send it, and what is inside.

Drawn with reportlab on an A6 page (a parcel label; it prints on A4 too). The QR is the
shelf labels' own matrix (``app.labels.qr``), drawn as one path of row runs with whole
printer dots per module, so a warehouse scanner reads it as it reads a shelf label.
"""

from __future__ import annotations

import io

from flask import Response
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.errors import NotFound
from app.extensions import db
from app.labels.fonts import draw_text, printable, truncate
from app.labels.qr import QUIET_ZONE, qr_matrix, qr_runs
from app.orders.models import Order
from app.returns import services
from app.returns.models import Return

FONT, FONT_BOLD = "Helvetica", "Helvetica-Bold"
DOT = 72 / 300  # modules snap to a 300 dpi printer grid
QR_SIDE = 50 * mm


def _clean(text: str) -> str:
    """One line of what the label's fonts can draw (a name's Chinese too, with a CJK font installed)."""
    return " ".join(printable(text or "").split())


def _draw_qr(c: Canvas, text: str, x: float, top: float) -> float:
    """Draw the QR with its top-left (quiet zone included) at (x, top); its side."""
    matrix = qr_matrix(text)
    n = len(matrix)
    module = DOT * max(1, int(QR_SIDE / DOT / (n + 2 * QUIET_ZONE)))
    side = module * (n + 2 * QUIET_ZONE)
    left, upper = x + QUIET_ZONE * module, top - QUIET_ZONE * module
    path = c.beginPath()
    for row, col, width in qr_runs(matrix):
        path.rect(left + col * module, upper - (row + 1) * module, width * module, module)
    c.setFillGray(0)
    c.drawPath(path, stroke=0, fill=1)
    return side


def render_label(ret: Return) -> bytes:
    """The label of a mail return as a PDF."""
    order = db.session.get(Order, ret.order_id)
    warehouse = services.return_warehouse()
    width, height = A6
    out = io.BytesIO()
    c = Canvas(out, pagesize=A6, pageCompression=1)
    c.setTitle(f"Return {ret.number}")
    c.setCreator("returns")
    margin = 8 * mm
    y = height - margin
    room = width - 2 * margin

    def put(x: float, y: float, text: str, font: str, size: float, align: str = "left") -> None:
        draw_text(c, x, y, truncate(_clean(text), font, size, room), font, size, align)

    put(margin, y - 12, "RETURN", FONT_BOLD, 14)
    put(width - margin, y - 12, f"{ret.number} · order {order.number}", FONT, 9, align="right")
    y -= 22
    put(margin, y - 8, "Send to", FONT, 8)
    put(margin, y - 21, warehouse.name if warehouse else "Oneshelf returns", FONT_BOLD, 11)
    put(margin, y - 34, warehouse.address if warehouse else "", FONT, 10)
    y -= 44
    side = _draw_qr(c, services.qr_text(ret), (width - QR_SIDE) / 2, y)
    y -= side + 4
    put(width / 2, y - 6, services.token_of(ret), FONT, 7, align="centre")
    y -= 18
    sold = {line.id: line for line in order.lines}
    for returned in ret.lines[:6]:
        item = sold[returned.order_line_id]
        put(margin, y, f"{returned.quantity} x {item.name} ({item.sku})", FONT, 8)
        y -= 10
    put(margin, max(y - 4, margin), "Put this label on the parcel. The QR tells us whose return it is.", FONT, 8)
    c.showPage()
    c.save()
    return out.getvalue()


def pdf_response(ret: Return) -> Response:
    """The label as an inline PDF (404 for a return that is not sent by mail)."""
    if ret.channel != "mail":
        raise NotFound("no_label", f"Return {ret.number} is not sent by mail: it has no label.")
    response = Response(render_label(ret), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="return-{ret.number}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
