"""Renders a ``selectors.ReportCard`` as a PDF with reportlab (no data access here)."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from apps.grades.selectors import ReportCard


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value}%"


def render_report_card(card: ReportCard) -> bytes:
    buffer = io.BytesIO()
    student_name = card.student.get_full_name() or card.student.username
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"Report card: {student_name}, {card.term}",
        author=card.school.name,
    )
    styles = getSampleStyleSheet()
    issued_on = timezone.localdate(timezone=ZoneInfo(card.school.timezone))
    classes = ", ".join(str(school_class) for school_class in card.classes) or "-"
    story = [
        Paragraph(escape(card.school.name), styles["Title"]),
        Paragraph(escape(f"Term report card: {card.term}"), styles["Heading2"]),
        Spacer(1, 4 * mm),
        # Paragraph text is markup: names are escaped so "&" or "<" in them cannot break it.
        Paragraph(escape(f"Student: {student_name} ({card.student.username})"), styles["Normal"]),
        Paragraph(escape(f"Class: {classes}"), styles["Normal"]),
        Paragraph(
            f"Term: {card.term.starts_on:%d %b %Y} to {card.term.ends_on:%d %b %Y}",
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [["Subject", "Assessments marked", "Weighted score", "Grade"]]
    for result in card.subjects:
        rows.append(
            [
                result.subject.name,
                f"{result.marked} of {result.assessments}",
                _percent(result.percent),
                result.letter or "-",
            ]
        )
    rows.append(["Overall", "", _percent(card.overall_percent), card.overall_letter or "-"])
    table = Table(rows, colWidths=[60 * mm, 40 * mm, 35 * mm, 25 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "CENTER"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#eef3f8")]),
            ]
        )
    )
    story.append(table)
    if not card.subjects:
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph("No assessments in this term yet.", styles["Italic"]))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(f"Issued on {issued_on:%d %B %Y}.", styles["Normal"]))
    document.build(story)
    return buffer.getvalue()
