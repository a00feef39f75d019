"""The invoice PDF: its lines and taxes, what was paid and what is left, how to pay; a draft's or a void
invoice's banner and watermark."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.platypus import Flowable, Spacer

from logis.core.charter import both, both_lines
from logis.core.links import portal_invoice_url
from logis.core.money import format_amount
from logis.documents.pdf import (
    DANGER,
    INK,
    RULE,
    WARNING,
    WIDTH,
    Styles,
    banner,
    billed_to,
    build_pdf,
    facts_table,
    header,
    layout_table,
    page_date,
    para,
    paragraph_style,
    styles,
    two_columns,
)
from logis.documents.selectors import InvoiceDocument
from logis.invoicing.models import InvoiceStatus
from logis.invoicing.templatetags.invoicing import STATUS_LABELS
from logis.properties.models import PaymentMethod


def _method_labels(codes: Sequence[str]) -> str:
    labels = dict(PaymentMethod.choices)
    return ", ".join(str(labels[c]) for c in codes if c in labels)


def invoice_title(document: InvoiceDocument) -> str:
    """The PDF's title and the page heading's number: ``Invoice no. 7``, or the draft's or void's word."""
    number = document.invoice.number
    if number:
        return _("Invoice no. %(number)s") % {"number": number}
    if document.is_draft:
        return pgettext("pdf document", "Draft")
    return pgettext("pdf document", "Void invoice")


def _line_rows(st: Styles, document: InvoiceDocument) -> list[list[Any]]:
    """The invoice's title, one row per line (its description and category), and, when a line is
    taxed, the subtotal, the GST and the QST with the syndicate's registration numbers, and the total."""
    invoice = document.invoice
    rows: list[list[Any]] = [
        [
            para(both(lambda: pgettext("invoice", "Description")), st.label),
            para(both(lambda: pgettext("invoice", "Amount")), st.label_right),
        ]
    ]
    lines = document.lines
    single = len(lines) == 1 and lines[0].description == invoice.title and not lines[0].gst_amount
    if not lines or single:
        # One untaxed line named like the invoice: the invoice as it always read.
        rows.append([para(invoice.title, st.strong), para(format_amount(invoice.amount), st.amount)])
        return rows
    rows.append([para(invoice.title, st.strong), ""])
    for line in lines:
        category = line.category
        rows.append(
            [
                [
                    para(line.description, st.body),
                    para(both(partial(getattr, category, "display_name")), st.small),
                ],
                para(format_amount(line.amount), st.amount),
            ]
        )
    gst = sum((line.gst_amount for line in lines), Decimal("0.00"))
    qst = sum((line.qst_amount for line in lines), Decimal("0.00"))
    if gst or qst:
        subtotal = sum((line.amount for line in lines), Decimal("0.00"))
        rows.append([para(both(lambda: _("Subtotal")), st.body), para(format_amount(subtotal), st.amount)])
        gst_label = both(lambda: _("GST (5 %)"))
        qst_label = both(lambda: _("QST (9.975 %)"))
        if document.gst_number:
            gst_label += " — " + both(lambda: _("no. %(number)s") % {"number": document.gst_number})
        if document.qst_number:
            qst_label += " — " + both(lambda: _("no. %(number)s") % {"number": document.qst_number})
        rows.append([para(gst_label, st.body), para(format_amount(gst), st.amount)])
        rows.append([para(qst_label, st.body), para(format_amount(qst), st.amount)])
    rows.append(
        [
            para(both(lambda: pgettext("invoice lines", "Total")), st.strong),
            para(format_amount(invoice.amount), st.amount_strong),
        ]
    )
    return rows


def _amount_rows(st: Styles, document: InvoiceDocument) -> list[Flowable]:
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
    billed = layout_table(
        _line_rows(st, document),
        columns,
        [*padding, ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE), ("BOTTOMPADDING", (0, 1), (-1, -1), 2)],
    )
    description = paragraph_style("description", rightIndent=columns[1])
    lines: list[Flowable] = [
        para(line, description) if line.strip() else Spacer(1, 8)
        for line in invoice.description.strip().splitlines()
    ]
    totals = layout_table(
        [
            [
                para(both(lambda: _("Amount paid")), st.body),
                para(format_amount(invoice.amount_paid), st.amount),
            ],
            [para(both(lambda: _("Balance due")), st.strong), para(format_amount(balance), st.amount_strong)],
        ],
        columns,
        [*padding, ("LINEABOVE", (0, 0), (-1, 0), 0.75, RULE), ("LINEABOVE", (0, 1), (-1, 1), 1, INK)],
    )
    return [billed, *lines, Spacer(1, 6), totals]


def _how_to_pay(st: Styles, document: InvoiceDocument, *, online: bool) -> list[Flowable]:
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
    return [para(both(lambda: _("How to pay")), st.heading), *[para(line, st.body) for line in lines]]


def render_invoice_pdf(document: InvoiceDocument, *, online_payment: bool) -> bytes:
    """The invoice as a PDF in the active language. ``online_payment``: whether the property takes
    payments online now (the portal address is printed then)."""
    st = styles()
    invoice, prop = document.invoice, document.property
    status = document.status
    story: list[Flowable] = [
        header(
            st,
            prop,
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
            banner(
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
        story += [banner(st, both(lambda: pgettext("pdf banner", "VOID")), lines, DANGER), Spacer(1, 12)]

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
        para(both(lambda: _("Billed to")), st.label),
        para(billed_to(document.unit_number, document.resident_name), st.body),
    ]
    story += [two_columns(billed, facts_table(st, facts, WIDTH * 0.5)), Spacer(1, 16)]
    if document.late_fee_of is not None:
        origin = document.late_fee_of
        story += [
            *[
                para(line, st.body)
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
            para(line, st.strong)
            for line in both_lines(lambda: _("This invoice is paid in full. Thank you!"))
        ]
    title = invoice_title(document)
    return build_pdf(story, prop=prop, name=title, watermark=watermark)
