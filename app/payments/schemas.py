"""Payment shapes other domains' answers share."""

from __future__ import annotations

import marshmallow as ma


class NextActionOut(ma.Schema):
    type = ma.fields.String(metadata={"description": "redirect: send the shopper to redirect_url."})
    redirect_url = ma.fields.String(metadata={"description": "The card provider's page, where the card is typed."})
    qr_svg = ma.fields.String(
        metadata={"description": "redirect_url as a QR (SVG): a kiosk shows it for a phone to pay."}
    )
