"""Renders a ``selectors.Receipt`` as a PDF with reportlab (no data access here)."""

from __future__ import annotations

from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from apps.core.pdf import render_pdf, table_style
from apps.fees.models import InvoiceLine
from apps.fees.money import amount_in_words
from apps.fees.selectors import Receipt


def render_receipt(receipt: Receipt) -> bytes:
    payment, invoice = receipt.payment, receipt.invoice
    currency = invoice.currency
    student = invoice.student
    student_name = student.get_full_name() or student.username
    styles = getSampleStyleSheet()
    # Only a received payment has a receipt (``selectors.receipt_for``), so it has a time paid.
    paid_at = (payment.paid_at or payment.created_at).astimezone(ZoneInfo(receipt.school.timezone))
    # Paragraph text is markup: names are escaped so "&" or "<" in them cannot break it.
    story = [
        Paragraph(escape(receipt.school.name), styles["Title"]),
        Paragraph(f"Fee receipt No. {payment.receipt_number}", styles["Heading2"]),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"Student: {student_name} ({student.username})"), styles["Normal"]),
        Paragraph(
            escape(f"Class: {invoice.school_class}" if invoice.school_class else "Class: -"),
            styles["Normal"],
        ),
        Paragraph(
            escape(f"Invoice: {invoice.title} (due {invoice.due_date:%d %b %Y})"), styles["Normal"]
        ),
        Paragraph(f"Invoice id: {invoice.pk}", styles["Normal"]),
        Paragraph(
            escape(
                f"Paid on {paid_at:%d %B %Y %H:%M} by {payment.get_method_display()}"
                + (f", reference {payment.reference}" if payment.reference else "")
            ),
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [["Invoice line", f"Amount ({currency})"]]
    for line in receipt.lines:
        sign = "-" if line.kind == InvoiceLine.Kind.DISCOUNT else ""
        rows.append([line.description, f"{sign}{line.amount}"])
    rows.append(
        [
            "Total invoiced",
            f"{invoice.charges_total - invoice.discounts_total + invoice.fines_total}",
        ]
    )
    rows.append(["Paid before this receipt", f"{receipt.paid_before}"])
    rows.append(["Paid with this receipt", f"{payment.amount}"])
    rows.append(["Balance left", f"{payment.balance_after}"])
    table = Table(rows, colWidths=[120 * mm, 45 * mm], repeatRows=1)
    table.setStyle(
        table_style(
            ("FONTNAME", (0, -4), (-1, -1), "Helvetica-Bold"), ("ALIGN", (1, 0), (1, -1), "RIGHT")
        )
    )
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    words = amount_in_words(payment.amount, currency=currency, decimals=receipt.currency_decimals)
    story.append(Paragraph(escape(f"Received with thanks: {words}."), styles["Normal"]))
    if payment.balance_after is not None and payment.balance_after < 0:
        story.append(
            Paragraph(f"{currency} {-payment.balance_after} is kept as credit.", styles["Normal"])
        )
    return render_pdf(story, title=f"Receipt {payment.receipt_number}", author=receipt.school.name)
