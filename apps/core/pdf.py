"""A4 documents with reportlab in the house style, shared by fee receipts and report cards."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, TableStyle

HEADING_BLUE = colors.HexColor("#1f4e79")


def render_pdf(
    story: list[Flowable],
    *,
    title: str,
    author: str,
    vertical_margin: float = 20 * mm,
) -> bytes:
    """An A4 PDF of ``story`` (20 mm side margins, ``vertical_margin`` top and bottom)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=vertical_margin,
        bottomMargin=vertical_margin,
        title=title,
        author=author,
    )
    document.build(story)
    return buffer.getvalue()


def table_style(*commands: tuple) -> TableStyle:
    """A table whose first row is the heading (white bold on blue), with a grey grid, then
    ``commands``."""
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), HEADING_BLUE),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            *commands,
        ]
    )
