"""The loyalty card's barcode: its EAN-13 number (customers.identities.loyalty_card_issue) as
an SVG a customer prints or shows at the till (python-barcode, no image library needed)."""

from __future__ import annotations

import io

import barcode
from barcode.writer import SVGWriter


def loyalty_card_svg(*, number: str) -> bytes:
    """The EAN-13 barcode of `number` (13 digits with its check digit) as an SVG document."""
    out = io.BytesIO()
    barcode.get("ean13", number, writer=SVGWriter()).write(
        out, options={"module_height": 15.0, "font_size": 10, "text_distance": 5.0}
    )
    return out.getvalue()
