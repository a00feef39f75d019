"""What the PDFs share, drawn with ReportLab in the active language: the page, the styles, the header with
the property's logo and identity, banners, facts, tables, the footer and the build. Each document draws
itself with them: pdf_invoice.py (invoices), pdf_receipt.py (receipts of one payment and of a payment for
several invoices), pdf_deposit_slip.py (the bank's deposit slip).

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
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from logis.core.charter import both
from logis.core.templatetags.logis import localdate
from logis.documents.fonts import BOLD, REGULAR, register_fonts, safe_text
from logis.properties.models import Property
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


def paragraph_style(name: str, **kwargs: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": REGULAR, "fontSize": 10, "leading": 13, "textColor": INK}
    base.update(kwargs)
    return ParagraphStyle(name, **base)


@dataclass(frozen=True)
class Styles:
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


def styles() -> Styles:
    register_fonts()
    return Styles(
        body=paragraph_style("body"),
        small=paragraph_style("small", fontSize=8.5, leading=11, textColor=MUTED),
        label=paragraph_style("label", fontSize=8.5, leading=11, textColor=MUTED),
        label_right=paragraph_style(
            "label_right", fontSize=8.5, leading=11, textColor=MUTED, alignment=TA_RIGHT
        ),
        strong=paragraph_style("strong", fontName=BOLD),
        heading=paragraph_style("heading", fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=6),
        org=paragraph_style("org", fontName=BOLD, fontSize=14, leading=18),
        doc_title=paragraph_style("doc_title", fontName=BOLD, fontSize=22, leading=26, alignment=TA_RIGHT),
        doc_number=paragraph_style("doc_number", fontSize=11, leading=14, alignment=TA_RIGHT),
        amount=paragraph_style("amount", alignment=TA_RIGHT),
        amount_strong=paragraph_style(
            "amount_strong", fontName=BOLD, fontSize=12, leading=15, alignment=TA_RIGHT
        ),
        banner=paragraph_style("banner", fontName=BOLD, fontSize=14, leading=18, textColor=colors.white),
        big=paragraph_style("big", fontName=BOLD, fontSize=20, leading=24),
    )


def text(value: object) -> str:
    """``value`` as paragraph markup: characters the font lacks replaced, markup escaped, lines kept."""
    return escape(safe_text(str(value))).replace("\n", "<br/>")


def para(value: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text(value), style)


def page_date(value: dt.date | None) -> str:
    """A date as Logis pages write it (``1er mars 2026``, ``3 mars 2026`` / ``Mar. 3, 2026``)."""
    return localdate(value) if value else ""


def layout_table(cells: Sequence[Sequence[Any]], widths: Sequence[float], commands: list[Any]) -> Table:
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


def _identity(st: Styles, prop: Property) -> str:
    """The syndicate's legal name and NEQ under the address, when the property has them."""
    parts = [prop.legal_name] if prop.legal_name else []
    if prop.neq:
        parts.append(both(lambda: _("NEQ %(neq)s") % {"neq": prop.neq}))
    return " — ".join(parts)


def header(st: Styles, prop: Property, *, title: str, number: str) -> Table:
    """The top of every document: the property's logo, name, address and identity (legal name, NEQ) on
    the left, the document's title and number on the right, ruled below."""
    left: list[Flowable] = []
    logo = _logo(prop)
    if logo is not None:
        left += [logo, Spacer(1, 4)]
    identity = _identity(st, prop)
    left.append(para(prop.name, st.org))
    below = [para(prop.address, st.body)] if prop.address else []
    if identity:
        below.append(para(identity, st.body))
    table = layout_table(
        [
            [left, para(title, st.doc_title)],
            [below, para(number, st.doc_number) if number else ""],
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


def ruled_table(cells: Sequence[Sequence[Any]], widths: Sequence[float], *, total: bool = False) -> Table:
    """Columns under a heading row ruled below, a thin rule between the rows; ``total``: the last row is
    a total, ruled above in ink."""
    last = -2 if total else -1
    commands: list[Any] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
        ("LINEBELOW", (0, 1), (-1, last), 0.25, RULE),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
    ]
    if total:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.75, INK))
    return layout_table(cells, widths, commands)


def banner(st: Styles, headline: str, lines: Sequence[str], color: colors.Color) -> Table:
    """A coloured box across the page: what a reader must not miss (draft, void, reversed)."""
    line_style = paragraph_style("banner_line", textColor=colors.white)
    cells: list[list[Flowable]] = [[para(headline, st.banner)]]
    cells.extend([[para(line, line_style)] for line in lines])
    table = layout_table(
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


def facts_table(
    st: Styles,
    rows: Sequence[tuple[str, str]],
    width: float,
    *,
    label_share: float = 0.42,
    value_style: ParagraphStyle | None = None,
) -> Table:
    """Facts (dates, status, who) as rows of a label and its value."""
    cells = [[para(label, st.label), para(value, value_style or st.body)] for label, value in rows]
    table = layout_table(
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


def two_columns(left: Flowable, right: Flowable) -> Table:
    table = layout_table(
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


def build_pdf(story: list[Flowable], *, prop: Property, name: str, watermark: str | None = None) -> bytes:
    """The document's bytes: titled « <name> — <property> », by the property, each page footed
    « <property> — <name> » and its number (and ``watermark`` across it)."""
    title, author, footer = f"{name} — {prop.name}", prop.name, f"{prop.name} — {name}"
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


def billed_to(unit_number: str, resident_name: str) -> str:
    """``Marie Tremblay, Unit 101``, or ``Unit 112`` alone when the unit has no primary resident."""
    unit = both(lambda: _("Unit %(unit)s") % {"unit": unit_number})
    return f"{resident_name}, {unit}" if resident_name else unit
