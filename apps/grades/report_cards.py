"""Renders a ``selectors.ReportCard`` as a PDF with reportlab (no data access here)."""

from __future__ import annotations

import io
import logging
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, PageBreak, Paragraph, Spacer, Table, TableStyle

from apps.attendance.services import school_today
from apps.core.pdf import render_pdf, table_style
from apps.grades.selectors import ReportCard

logger = logging.getLogger(__name__)


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value}%"


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _logo(card: ReportCard) -> list:
    """The school's logo, at most 25 mm high; a missing or unreadable file prints nothing (a
    report card is not refused for its letterhead)."""
    if not card.school.logo:
        return []
    try:
        with card.school.logo.open("rb") as handle:
            data = io.BytesIO(handle.read())
        reader = ImageReader(data)
        width, height = reader.getSize()
    except Exception:  # noqa: BLE001 - any storage or image error: no logo
        logger.warning("report card: the logo of %s cannot be read", card.school.pk)
        return []
    scale = min(25 * mm / height, 60 * mm / width)
    data.seek(0)
    return [Image(data, width=width * scale, height=height * scale, hAlign="LEFT")]


def _story(card: ReportCard, styles) -> list:
    student_name = _person(card.student)
    issued_on = school_today(card.school)
    classes = ", ".join(str(school_class) for school_class in card.classes) or "-"
    story = [
        *_logo(card),
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
        table_style(
            ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
            ("ALIGN", (1, 1), (-1, -1), "CENTER"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#eef3f8")]),
        )
    )
    story.append(table)
    if not card.subjects:
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph("No assessments in this term yet.", styles["Italic"]))
    if card.grading_key:
        key = ", ".join(f"{band.letter} from {band.min_percent}%" for band in card.grading_key)
        story += [Spacer(1, 2 * mm), Paragraph(escape(f"Grading key: {key}."), styles["Normal"])]

    story += [Spacer(1, 6 * mm), Paragraph("Attendance", styles["Heading3"])]
    attendance = card.attendance
    if attendance is None or not attendance.days:
        story.append(Paragraph("No registers taken in this term yet.", styles["Normal"]))
    else:
        counts = attendance.counts
        parts = [f"{counts[code]} {code}" for code in counts if counts[code]]
        rate = f"{attendance.rate}%" if attendance.rate is not None else "-"
        story.append(
            Paragraph(
                escape(
                    f"{attendance.days} school day{'s' if attendance.days != 1 else ''}: "
                    f"{', '.join(parts)}. Attendance {rate}."
                ),
                styles["Normal"],
            )
        )

    commented = [result for result in card.subjects if result.comment]
    if commented:
        story += [Spacer(1, 4 * mm), Paragraph("Subject teachers' comments", styles["Heading3"])]
        for result in commented:
            by = f" ({_person(result.comment_by)})" if result.comment_by else ""
            story.append(
                Paragraph(escape(f"{result.subject.name}{by}: {result.comment}"), styles["Normal"])
            )
    story += [Spacer(1, 4 * mm), Paragraph("Class teacher's remark", styles["Heading3"])]
    story.append(Paragraph(escape(card.remark or "-"), styles["Normal"]))

    story.append(Spacer(1, 14 * mm))
    signatures = Table(
        [
            ["_" * 28, "_" * 28, "_" * 28],
            [
                f"Class teacher{': ' + _person(card.class_teacher) if card.class_teacher else ''}",
                "Principal",
                "Parent or guardian",
            ],
        ],
        colWidths=[55 * mm, 55 * mm, 55 * mm],
    )
    signatures.setStyle(TableStyle([("FONTSIZE", (0, 1), (-1, 1), 8)]))
    story += [signatures, Spacer(1, 6 * mm)]
    story.append(Paragraph(f"Issued on {issued_on:%d %B %Y}.", styles["Normal"]))
    return story


def render_report_cards(cards: list[ReportCard], *, title: str, author: str) -> bytes:
    """Report cards one after another, each starting on a new page, in one PDF."""
    styles = getSampleStyleSheet()
    story: list = []
    for index, card in enumerate(cards):
        if index:
            story.append(PageBreak())
        story += _story(card, styles)
    if not story:
        story.append(Paragraph("No students in this class.", styles["Normal"]))
    return render_pdf(story, title=title, author=author, vertical_margin=15 * mm)


def render_report_card(card: ReportCard) -> bytes:
    student_name = _person(card.student)
    return render_report_cards(
        [card], title=f"Report card: {student_name}, {card.term}", author=card.school.name
    )
