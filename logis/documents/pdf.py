"""The invoice and receipt PDFs, drawn with ReportLab in the active language.

Labels go through ``charter.both``: rendered inside ``charter.documents_in`` for a Quebec property and a
reader who prefers English, they read « Facture / Invoice » (Charter of the French language, s. 57).

Generated on request and never stored: a document takes a few tens of milliseconds (``make bench``).
Every text goes through ``fonts.safe_text`` (no character the embedded font lacks) and is escaped for
ReportLab's paragraph markup; amounts and dates are written as everywhere else in Logis
(``format_amount``, Django's ``DATE_FORMAT`` of the language).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from logis.core.charter import both, both_lines
from logis.core.links import portal_invoice_url
from logis.core.money import format_amount
from logis.core.templatetags.logis import localdate
from logis.documents.fonts import BOLD, REGULAR, register_fonts, safe_text
from logis.documents.selectors import InvoiceDocument, ReceiptDocument, RemittanceDocument
from logis.invoicing.models import InvoiceStatus
from logis.invoicing.templatetags.invoicing import STATUS_LABELS
from logis.payments.models import PaymentKind
from logis.properties.models import PaymentMethod, Property
from logis.properties.setup import open_logo

PAGE = LETTER  # North American paper: what boards print on and mail.
MARGIN = 0.75 * inch
FRAME_PADDING = 6  # SimpleDocTemplate's frame keeps 6 pt inside the margins
WIDTH = PAGE[0] - 2 * MARGIN - 2 * FRAME_PADDING
INK = colors.HexColor("#212529")
MUTED = colors.HexColor("#6c757d")
RULE = colors.HexColor("#dee2e6")
DANGER = colors.HexColor("#b02a37")
WARNING = colors.HexColor("#997404")


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": REGULAR, "fontSize": 10, "leading": 13, "textColor": INK}
    base.update(kwargs)
    return ParagraphStyle(name, **base)


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    label_right: ParagraphStyle
    strong: ParagraphStyle
    heading: ParagraphStyle
    org: ParagraphStyle
    doc_title: ParagraphStyle
    doc_number: ParagraphStyle
    amount: ParagraphStyle
    amount_strong: ParagraphStyle
    banner: ParagraphStyle
    big: ParagraphStyle


def _styles() -> _Styles:
    register_fonts()
    return _Styles(
        body=_style("body"),
        small=_style("small", fontSize=8.5, leading=11, textColor=MUTED),
        label=_style("label", fontSize=8.5, leading=11, textColor=MUTED),
        label_right=_style("label_right", fontSize=8.5, leading=11, textColor=MUTED, alignment=TA_RIGHT),
        strong=_style("strong", fontName=BOLD),
        heading=_style("heading", fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=6),
        org=_style("org", fontName=BOLD, fontSize=14, leading=18),
        doc_title=_style("doc_title", fontName=BOLD, fontSize=22, leading=26, alignment=TA_RIGHT),
        doc_number=_style("doc_number", fontSize=11, leading=14, alignment=TA_RIGHT),
        amount=_style("amount", alignment=TA_RIGHT),
        amount_strong=_style("amount_strong", fontName=BOLD, fontSize=12, leading=15, alignment=TA_RIGHT),
        banner=_style("banner", fontName=BOLD, fontSize=14, leading=18, textColor=colors.white),
        big=_style("big", fontName=BOLD, fontSize=20, leading=24),
    )


def text(value: object) -> str:
    """``value`` as paragraph markup: characters the font lacks replaced, markup escaped, lines kept."""
    return escape(safe_text(str(value))).replace("\n", "<br/>")


def _p(value: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text(value), style)


def page_date(value: dt.date | None) -> str:
    """A date as Logis pages write it (``1er mars 2026``, ``3 mars 2026`` / ``Mar. 3, 2026``)."""
    return localdate(value) if value else ""


def _table(cells: Sequence[Sequence[Any]], widths: Sequence[float], commands: list[Any]) -> Table:
    """A layout table; its own font is Vera too (ReportLab's default, Helvetica, is never referenced)."""
    table = Table(cells, colWidths=widths)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *commands]))
    return table


LOGO_MAX_HEIGHT = 0.75 * inch
LOGO_MAX_WIDTH = 2.25 * inch


def _logo(prop: Property) -> Flowable | None:
    """The property's logo (a PNG or JPEG checked when uploaded), at most 2¼ × ¾ inch; None without one."""
    data = open_logo(prop)
    if data is None:
        return None
    try:
        reader = ImageReader(io.BytesIO(data))
        width, height = reader.getSize()
    except Exception:  # a file damaged since it was checked: the document goes out without it
        return None
    scale = min(LOGO_MAX_WIDTH / width, LOGO_MAX_HEIGHT / height, 1.0)
    image = Image(io.BytesIO(data), width=width * scale, height=height * scale)
    image.hAlign = "LEFT"
    return image


def _identity(st: _Styles, prop: Property) -> str:
    """The syndicate's legal name and NEQ under the address, when the property has them."""
    parts = [prop.legal_name] if prop.legal_name else []
    if prop.neq:
        parts.append(both(lambda: _("NEQ %(neq)s") % {"neq": prop.neq}))
    return " — ".join(parts)


def _header(
    st: _Styles, *, property_name: str, address: str, title: str, number: str, prop: Property | None = None
) -> Table:
    left: list[Flowable] = []
    identity = ""
    if prop is not None:
        logo = _logo(prop)
        if logo is not None:
            left += [logo, Spacer(1, 4)]
        identity = _identity(st, prop)
    left.append(_p(property_name, st.org))
    below = [_p(address, st.body)] if address else []
    if identity:
        below.append(_p(identity, st.body))
    table = _table(
        [
            [left, _p(title, st.doc_title)],
            [below, _p(number, st.doc_number) if number else ""],
        ],
        [WIDTH * 0.6, WIDTH * 0.4],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("LINEBELOW", (0, -1), (-1, -1), 0.75, RULE),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 10),
        ],
    )
    return table


def _banner(st: _Styles, headline: str, lines: Sequence[str], color: colors.Color) -> Table:
    """A coloured box across the page: what a reader must not miss (draft, void, reversed)."""
    line_style = _style("banner_line", textColor=colors.white)
    cells: list[list[Flowable]] = [[_p(headline, st.banner)]]
    cells.extend([[_p(line, line_style)] for line in lines])
    table = _table(
        cells,
        [WIDTH],
        [
            ("BACKGROUND", (0, 0), (-1, -1), color),
            ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ("RIGHTPADDING", (0, 0), (-1, -1), 10),
            ("TOPPADDING", (0, 0), (-1, 0), 8),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
        ],
    )
    return table


def _facts(
    st: _Styles,
    rows: Sequence[tuple[str, str]],
    width: float,
    *,
    label_share: float = 0.42,
    value_style: ParagraphStyle | None = None,
) -> Table:
    """Facts (dates, status, who) as rows of a label and its value."""
    cells = [[_p(label, st.label), _p(value, value_style or st.body)] for label, value in rows]
    table = _table(
        cells,
        [width * label_share, width * (1 - label_share)],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
    )
    return table


def _two_columns(left: Flowable, right: Flowable) -> Table:
    table = _table(
        [[left, right]],
        [WIDTH * 0.5, WIDTH * 0.5],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, -1), 12),
        ],
    )
    return table


def _decorations(*, footer: str, watermark: str | None) -> Callable[[Canvas, Any], None]:
    """Each page's footer (what and whose, page number) and, for a draft or a void invoice, a
    diagonal word across the page."""
    safe_footer = safe_text(footer)
    safe_mark = safe_text(watermark) if watermark else None

    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        if safe_mark:
            canvas.setFont(BOLD, 72)
            canvas.setFillColor(colors.Color(0.85, 0.2, 0.25, alpha=0.12))
            canvas.translate(PAGE[0] / 2, PAGE[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, safe_mark)
            canvas.rotate(-35)
            canvas.translate(-PAGE[0] / 2, -PAGE[1] / 2)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        page = safe_text(_("Page %(page)s") % {"page": doc.page})
        canvas.drawString(MARGIN, MARGIN / 2, safe_footer)
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, page)
        canvas.restoreState()

    return draw


def _build(story: list[Flowable], *, title: str, author: str, footer: str, watermark: str | None) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=safe_text(title),
        author=safe_text(author),
        creator="Logis",
        # Vera from the first line: ReportLab's default Helvetica (WinAnsi only) is never referenced.
        initialFontName=REGULAR,
        lang=(translation.get_language() or "fr")[:2],  # the document's language, for screen readers
    )
    decorate = _decorations(footer=footer, watermark=watermark)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _method_labels(codes: Sequence[str]) -> str:
    labels = dict(PaymentMethod.choices)
    return ", ".join(str(labels[c]) for c in codes if c in labels)


def billed_to(unit_number: str, resident_name: str) -> str:
    """``Marie Tremblay, Unit 101``, or ``Unit 112`` alone when the unit has no primary resident."""
    unit = both(lambda: _("Unit %(unit)s") % {"unit": unit_number})
    return f"{resident_name}, {unit}" if resident_name else unit


def invoice_title(document: InvoiceDocument) -> str:
    """The PDF's title and the page heading's number: ``Invoice no. 7``, or the draft's or void's word."""
    number = document.invoice.number
    if number:
        return _("Invoice no. %(number)s") % {"number": number}
    if document.is_draft:
        return pgettext("pdf document", "Draft")
    return pgettext("pdf document", "Void invoice")


def _line_rows(st: _Styles, document: InvoiceDocument) -> list[list[Any]]:
    """The invoice's title, one row per line (its description and category), and, when a line is
    taxed, the subtotal, the GST and the QST with the syndicate's registration numbers, and the total."""
    invoice = document.invoice
    rows: list[list[Any]] = [
        [
            _p(both(lambda: pgettext("invoice", "Description")), st.label),
            _p(both(lambda: pgettext("invoice", "Amount")), st.label_right),
        ]
    ]
    lines = document.lines
    single = len(lines) == 1 and lines[0].description == invoice.title and not lines[0].gst_amount
    if not lines or single:
        # One untaxed line named like the invoice: the invoice as it always read.
        rows.append([_p(invoice.title, st.strong), _p(format_amount(invoice.amount), st.amount)])
        return rows
    rows.append([_p(invoice.title, st.strong), ""])
    for line in lines:
        category = line.category
        rows.append(
            [
                [
                    _p(line.description, st.body),
                    _p(both(partial(getattr, category, "display_name")), st.small),
                ],
                _p(format_amount(line.amount), st.amount),
            ]
        )
    gst = sum((line.gst_amount for line in lines), Decimal("0.00"))
    qst = sum((line.qst_amount for line in lines), Decimal("0.00"))
    if gst or qst:
        subtotal = sum((line.amount for line in lines), Decimal("0.00"))
        rows.append([_p(both(lambda: _("Subtotal")), st.body), _p(format_amount(subtotal), st.amount)])
        gst_label = both(lambda: _("GST (5 %)"))
        qst_label = both(lambda: _("QST (9.975 %)"))
        if document.gst_number:
            gst_label += " — " + both(lambda: _("no. %(number)s") % {"number": document.gst_number})
        if document.qst_number:
            qst_label += " — " + both(lambda: _("no. %(number)s") % {"number": document.qst_number})
        rows.append([_p(gst_label, st.body), _p(format_amount(gst), st.amount)])
        rows.append([_p(qst_label, st.body), _p(format_amount(qst), st.amount)])
    rows.append(
        [
            _p(both(lambda: pgettext("invoice lines", "Total")), st.strong),
            _p(format_amount(invoice.amount), st.amount_strong),
        ]
    )
    return rows


def _amount_rows(st: _Styles, document: InvoiceDocument) -> list[Flowable]:
    """What is billed, then what was paid and what is left. The description flows as paragraphs, not
    inside a table cell: a long one continues on the next page instead of failing to fit."""
    invoice = document.invoice
    # A draft shows what it will ask for once published; ``balance_due`` is 0 until then.
    balance = invoice.amount - invoice.amount_paid if document.is_draft else document.balance_due
    columns = [WIDTH * 0.72, WIDTH * 0.28]
    padding = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    billed = _table(
        _line_rows(st, document),
        columns,
        [*padding, ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE), ("BOTTOMPADDING", (0, 1), (-1, -1), 2)],
    )
    description = _style("description", rightIndent=columns[1])
    lines: list[Flowable] = [
        _p(line, description) if line.strip() else Spacer(1, 8)
        for line in invoice.description.strip().splitlines()
    ]
    totals = _table(
        [
            [_p(both(lambda: _("Amount paid")), st.body), _p(format_amount(invoice.amount_paid), st.amount)],
            [_p(both(lambda: _("Balance due")), st.strong), _p(format_amount(balance), st.amount_strong)],
        ],
        columns,
        [*padding, ("LINEABOVE", (0, 0), (-1, 0), 0.75, RULE), ("LINEABOVE", (0, 1), (-1, 1), 1, INK)],
    )
    return [billed, *lines, Spacer(1, 6), totals]


def _how_to_pay(st: _Styles, document: InvoiceDocument, *, online: bool) -> list[Flowable]:
    prop = document.property
    lines: list[str] = []
    if online:
        url = portal_invoice_url(document.invoice.pk)
        lines += both_lines(lambda: _("Online, in your resident portal: %(url)s") % {"url": url})
    codes = prop.accepted_methods or []
    if prop.payments_enabled and _method_labels(codes):
        lines += both_lines(
            lambda: _("Accepted payment methods: %(methods)s") % {"methods": _method_labels(codes)}
        )
    if not lines:
        lines += both_lines(lambda: _("Pay your manager by the usual means."))
    number = document.invoice.number
    if number:
        lines += both_lines(
            lambda: _("Please write the invoice number (%(number)s) on your payment.") % {"number": number}
        )
    return [_p(both(lambda: _("How to pay")), st.heading), *[_p(line, st.body) for line in lines]]


def render_invoice_pdf(document: InvoiceDocument, *, online_payment: bool) -> bytes:
    """The invoice as a PDF in the active language. ``online_payment``: whether the property takes
    payments online now (the portal address is printed then)."""
    st = _styles()
    invoice, prop = document.invoice, document.property
    status = document.status
    story: list[Flowable] = [
        _header(
            st,
            property_name=prop.name,
            address=prop.address,
            prop=prop,
            title=both(lambda: pgettext("pdf document", "Draft invoice"))
            if document.is_draft
            else both(lambda: pgettext("pdf document", "Invoice")),
            number=both(lambda: _("No. %(number)s") % {"number": invoice.number}) if invoice.number else "",
        ),
        Spacer(1, 12),
    ]
    watermark = None
    if document.is_draft:
        watermark = pgettext("watermark", "DRAFT")
        story += [
            _banner(
                st,
                _("DRAFT — not an invoice"),
                [_("This draft has not been published: it has no number and nothing is owed on it yet.")],
                WARNING,
            ),
            Spacer(1, 12),
        ]
    elif document.is_void:
        watermark = pgettext("watermark", "VOID")
        lines = both_lines(lambda: _("This invoice was voided: nothing is owed on it."))
        if invoice.void_reason:
            lines += both_lines(lambda: _("Reason: %(reason)s") % {"reason": invoice.void_reason})
        if invoice.amount_paid > 0:
            paid = format_amount(invoice.amount_paid)
            lines += both_lines(
                lambda: (
                    _("The %(amount)s received on it were kept as credit on the unit's account.")
                    % {"amount": paid}
                )
            )
        story += [_banner(st, both(lambda: pgettext("pdf banner", "VOID")), lines, DANGER), Spacer(1, 12)]

    status_text = both(lambda: str(STATUS_LABELS.get(status, status)))
    if status == InvoiceStatus.VOID and invoice.void_reason:
        status_text = _("%(status)s — %(reason)s") % {"status": status_text, "reason": invoice.void_reason}
    issued = page_date(document.issued_on) if document.issued_on else both(lambda: _("Not published"))
    facts = [
        (both(lambda: _("Issue date")), issued),
        (both(lambda: pgettext("invoice", "Due date")), page_date(invoice.due_date)),
        (both(lambda: pgettext("invoice", "Status")), status_text),
    ]
    billed = [
        _p(both(lambda: _("Billed to")), st.label),
        _p(billed_to(document.unit_number, document.resident_name), st.body),
    ]
    story += [_two_columns(billed, _facts(st, facts, WIDTH * 0.5)), Spacer(1, 16)]
    if document.late_fee_of is not None:
        origin = document.late_fee_of
        story += [
            *[
                _p(line, st.body)
                for line in both_lines(
                    lambda: (
                        _("Late fee on invoice no. %(number)s — %(title)s")
                        % {"number": origin.number or "—", "title": origin.title}
                    )
                )
            ],
            Spacer(1, 8),
        ]
    story += [*_amount_rows(st, document), Spacer(1, 16)]
    if status in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN, InvoiceStatus.OVERDUE):
        story += _how_to_pay(st, document, online=online_payment)
    elif status == InvoiceStatus.PAID:
        story += [
            _p(line, st.strong) for line in both_lines(lambda: _("This invoice is paid in full. Thank you!"))
        ]
    title = invoice_title(document)
    return _build(
        story,
        title=f"{title} — {prop.name}",
        author=prop.name,
        footer=f"{prop.name} — {title}",
        watermark=watermark,
    )


def receipt_title(document: ReceiptDocument) -> str:
    return both(lambda: _("Receipt no. %(number)s") % {"number": document.number})


def _refund_line(amount: Decimal, on: dt.date) -> Callable[[], str]:
    """« Refund of $20.00 on March 1, 2026. » in the active language (for ``both_lines``)."""
    return lambda: (
        _("Refund of %(amount)s on %(date)s.") % {"amount": format_amount(amount), "date": page_date(on)}
    )


def _returned_banner(st: _Styles, document: ReceiptDocument) -> list[Flowable]:
    if not document.returned:
        return []
    payment = document.payment
    if document.reversed:
        on = next(r.on for r in document.returned if r.kind == PaymentKind.REVERSAL)
        headline = both(lambda: _("PAYMENT REVERSED"))
        lines = both_lines(
            lambda: (
                _("This payment was reversed on %(date)s: it no longer counts toward the invoice.")
                % {"date": page_date(on)}
            )
        )
    else:
        refunded = document.refunded
        if refunded >= payment.amount:
            headline = both(lambda: _("PAYMENT REFUNDED"))
        else:
            headline = both(lambda: _("PAYMENT PARTLY REFUNDED"))
        lines = []
        for r in document.returned:
            lines += both_lines(_refund_line(r.amount, r.on))
    return [_banner(st, headline, lines, DANGER), Spacer(1, 12)]


def render_receipt_pdf(document: ReceiptDocument) -> bytes:
    """The receipt of a payment as a PDF in the active language."""
    st = _styles()
    payment, invoice, prop = document.payment, document.invoice, document.property
    story: list[Flowable] = [
        _header(
            st,
            property_name=prop.name,
            address=prop.address,
            prop=prop,
            title=both(lambda: pgettext("pdf document", "Receipt")),
            number=both(lambda: _("No. %(number)s") % {"number": document.number}),
        ),
        Spacer(1, 12),
        *_returned_banner(st, document),
    ]
    invoice_line = (
        _("No. %(number)s — %(title)s") % {"number": invoice.number, "title": invoice.title}
        if invoice.number
        else invoice.title
    )
    facts = [
        (both(lambda: _("Received from")), billed_to(payment.unit.number, document.resident_name)),
        (both(lambda: _("Date received")), page_date(payment.paid_on)),
        (both(lambda: _("Payment method")), both(lambda: str(payment.get_method_display()))),
    ]
    if payment.reference:
        facts.append((both(lambda: _("Reference")), payment.reference))
    facts += [
        (both(lambda: pgettext("pdf document", "Invoice")), invoice_line),
        (both(lambda: _("Balance of the invoice after this payment")), format_amount(document.balance_after)),
    ]
    received = [(both(lambda: _("Amount received")), format_amount(payment.amount))]
    story += [
        _facts(st, received, WIDTH, value_style=st.big),
        Spacer(1, 8),
        _facts(st, facts, WIDTH, label_share=0.35),
        Spacer(1, 16),
    ]
    if invoice.status == InvoiceStatus.VOID and not document.reversed and document.refunded < payment.amount:
        kept = both_lines(
            lambda: _("The invoice was voided since: this payment was kept as credit on the unit's account.")
        )
        story += [*[_p(line, st.body) for line in kept], Spacer(1, 8)]
    if not document.returned:
        story += [_p(line, st.strong) for line in both_lines(lambda: _("Thank you for your payment."))]
    story += [
        Spacer(1, 16),
        *[
            _p(line, st.small)
            for line in both_lines(
                lambda: _(
                    "The receipt number is made of the property's number and the payment's number in Logis."
                )
            )
        ],
    ]
    title = receipt_title(document)
    return _build(
        story,
        title=f"{title} — {prop.name}",
        author=prop.name,
        footer=f"{prop.name} — {title}",
        watermark=None,
    )


def imputation_rule_label(rule: str) -> str:
    """Why one invoice of a remittance received its amount (art. 1569–1572), in the active language."""
    if rule == "designated":
        return _("Chosen by the payer")
    if rule == "fees_first":
        return _("Late fees and interest first")
    return _("Oldest amount due first")


def imputation_statements(document: RemittanceDocument) -> list[str]:
    """How the payment was applied, as the receipt must say (Civil Code of Québec, art. 1569–1572)."""
    lines = []
    if document.designated:
        lines.append(_("Applied as you chose."))
    if document.by_default or not document.shares:
        lines.append(_("Applied first to late fees and interest, then to the oldest amounts."))
    return lines


def both_statements(document: RemittanceDocument) -> list[str]:
    """``imputation_statements`` in the main language, each followed by its companion translation when
    one is due (s. 57, core/charter.py)."""
    lines: list[str] = []
    for n in range(len(imputation_statements(document))):
        lines += both_lines(partial(_statement, document, n))
    return lines


def _statement(document: RemittanceDocument, n: int) -> str:
    return imputation_statements(document)[n]


def remittance_title(document: RemittanceDocument) -> str:
    return _("Receipt no. %(number)s") % {"number": document.number}


def render_remittance_pdf(document: RemittanceDocument) -> bytes:
    """The one receipt of a payment for several invoices as a PDF in the active language: each invoice
    paid, the amount applied to it, the rule that applied it, and what went to the unit's credit."""
    st = _styles()
    remittance, prop = document.remittance, document.property
    story: list[Flowable] = [
        _header(
            st,
            property_name=prop.name,
            address=prop.address,
            prop=prop,
            title=both(lambda: pgettext("pdf document", "Receipt")),
            number=both(lambda: _("No. %(number)s") % {"number": document.number}),
        ),
        Spacer(1, 12),
    ]
    if document.reversed:
        story += [
            _banner(
                st,
                both(lambda: _("PAYMENT REVERSED")),
                both_lines(
                    lambda: (
                        _("This payment was reversed on %(date)s: it no longer counts toward the invoices.")
                        % {
                            "date": page_date(
                                remittance.reversed_at.date() if remittance.reversed_at else None
                            )
                        }
                    )
                ),
                DANGER,
            ),
            Spacer(1, 12),
        ]
    facts = [
        (
            both(lambda: _("Received from")),
            remittance.payer or billed_to(remittance.unit.number, document.resident_name),
        ),
        (both(lambda: _("Date received")), page_date(remittance.paid_on)),
        (both(lambda: _("Payment method")), str(remittance.get_method_display())),
    ]
    if remittance.reference:
        facts.append((both(lambda: _("Reference")), remittance.reference))
    story += [
        _facts(
            st,
            [(both(lambda: _("Amount received")), format_amount(remittance.amount))],
            WIDTH,
            value_style=st.big,
        ),
        Spacer(1, 8),
        _facts(st, facts, WIDTH, label_share=0.35),
        Spacer(1, 12),
    ]
    story += [_p(line, st.strong) for line in both_statements(document)]
    story.append(Spacer(1, 8))
    right = st.amount
    cells: list[list[Any]] = [
        [
            _p(both(lambda: pgettext("pdf document", "Invoice")), st.label),
            _p(both(lambda: _("Imputation")), st.label),
            _p(both(lambda: _("Amount applied")), st.label_right),
            _p(both(lambda: _("Balance after")), st.label_right),
        ]
    ]
    for share in document.shares:
        invoice = share.invoice
        name = (
            _("No. %(number)s — %(title)s") % {"number": invoice.number, "title": invoice.title}
            if invoice.number
            else invoice.title
        )
        cells.append(
            [
                _p(name, st.body),
                _p(both(partial(imputation_rule_label, share.rule)), st.body),
                _p(format_amount(share.amount), right),
                _p(format_amount(share.balance_after), right),
            ]
        )
    if remittance.excess > 0:
        cells.append(
            [
                _p(both(lambda: _("Credit to the unit's account")), st.body),
                "",
                _p(format_amount(remittance.excess), right),
                "",
            ]
        )
    story += [
        _table(
            cells,
            [WIDTH * 0.42, WIDTH * 0.26, WIDTH * 0.16, WIDTH * 0.16],
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ],
        ),
        Spacer(1, 16),
    ]
    if not document.reversed:
        story += [_p(line, st.strong) for line in both_lines(lambda: _("Thank you for your payment."))]
    title = remittance_title(document)
    return _build(
        story,
        title=f"{title} — {prop.name}",
        author=prop.name,
        footer=f"{prop.name} — {title}",
        watermark=None,
    )


@dataclass(frozen=True)
class SlipRow:
    """One cheque of a deposit slip (plain values: the banking app, above documents, hands them over)."""

    unit_number: str
    cheque_number: str
    invoice: str
    amount: Decimal
    cash: bool = False  # cash taken to the bank with the cheques (issue 11)


@dataclass(frozen=True)
class DepositSlip:
    property: Property
    number: int
    deposited_on: dt.date
    note: str
    rows: Sequence[SlipRow]


def render_deposit_slip_pdf(slip: DepositSlip) -> bytes:
    """The deposit slip (bordereau de dépôt) of cheques taken to the bank together, as a PDF in the active
    language: the syndicate, the date, each cheque (unit, number, invoice, amount), the total, a signature."""
    st = _styles()
    prop = slip.property
    title = _("Deposit slip")
    story: list[Flowable] = [
        _header(
            st,
            property_name=prop.name,
            address=prop.address,
            prop=prop,
            title=title,
            number=_("No. %(number)s") % {"number": slip.number},
        ),
        Spacer(1, 12),
        _facts(st, [(_("Deposit date"), page_date(slip.deposited_on))], WIDTH, label_share=0.35),
    ]
    if slip.note:
        story.append(_p(slip.note, st.body))
    story.append(Spacer(1, 12))
    cells: list[list[Any]] = [
        [
            _p(_("Unit"), st.label),
            _p(_("Cheque number"), st.label),
            _p(pgettext("pdf document", "Invoice"), st.label),
            _p(_("Amount"), st.label_right),
        ]
    ]
    for row in slip.rows:
        cells.append(
            [
                _p(row.unit_number, st.body),
                _p(pgettext("deposit slip", "Cash") if row.cash else (row.cheque_number or "—"), st.body),
                _p(row.invoice, st.body),
                _p(format_amount(row.amount), st.amount),
            ]
        )
    cheques = [r for r in slip.rows if not r.cash]
    count = len(cheques)
    cheque_label = translation.ngettext("Total, %(count)s cheque", "Total, %(count)s cheques", count) % {
        "count": count
    }
    total = sum((r.amount for r in slip.rows), Decimal("0.00"))
    if len(cheques) < len(slip.rows):
        # Cheques and cash together: each subtotal, then the total deposited.
        cash_total = sum((r.amount for r in slip.rows if r.cash), Decimal("0.00"))
        for label, amount in (
            (cheque_label, total - cash_total),
            (pgettext("deposit slip", "Cash"), cash_total),
        ):
            cells.append([_p(label, st.body), "", "", _p(format_amount(amount), st.amount)])
        cells.append(
            [_p(_("Total deposited"), st.strong), "", "", _p(format_amount(total), st.amount_strong)]
        )
    else:
        cells.append([_p(cheque_label, st.strong), "", "", _p(format_amount(total), st.amount_strong)])
    story += [
        _table(
            cells,
            [WIDTH * 0.14, WIDTH * 0.2, WIDTH * 0.46, WIDTH * 0.2],
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, INK),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ],
        ),
        Spacer(1, 36),
        _p(_("Signature:") + " ____________________________", st.body),
    ]
    name = f"{title} {slip.number}"
    return _build(
        story, title=f"{name} — {prop.name}", author=prop.name, footer=f"{prop.name} — {name}", watermark=None
    )
