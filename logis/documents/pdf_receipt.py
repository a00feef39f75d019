"""The receipt PDFs: of one payment (with its reversal or refunds), and the one receipt of a payment for
several invoices with how it was imputed (art. 1569–1572 C.c.Q.)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.platypus import Flowable, Spacer

from logis.core.charter import both, both_lines
from logis.core.money import format_amount
from logis.documents.pdf import (
    DANGER,
    WIDTH,
    Styles,
    banner,
    billed_to,
    build_pdf,
    facts_table,
    header,
    page_date,
    para,
    ruled_table,
    styles,
)
from logis.documents.selectors import ReceiptDocument, RemittanceDocument
from logis.invoicing.models import InvoiceStatus
from logis.payments.models import PaymentKind
from logis.properties.models import Property


def _receipt_header(st: Styles, prop: Property, number: str) -> Flowable:
    """« Reçu / Receipt », « Nº … »: the top of both receipts."""
    return header(
        st,
        prop,
        title=both(lambda: pgettext("pdf document", "Receipt")),
        number=both(lambda: _("No. %(number)s") % {"number": number}),
    )


def receipt_title(document: ReceiptDocument) -> str:
    return both(lambda: _("Receipt no. %(number)s") % {"number": document.number})


def _refund_line(amount: Decimal, on: dt.date) -> Callable[[], str]:
    """« Refund of $20.00 on March 1, 2026. » in the active language (for ``both_lines``)."""
    return lambda: (
        _("Refund of %(amount)s on %(date)s.") % {"amount": format_amount(amount), "date": page_date(on)}
    )


def _returned_banner(st: Styles, document: ReceiptDocument) -> list[Flowable]:
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
    return [banner(st, headline, lines, DANGER), Spacer(1, 12)]


def render_receipt_pdf(document: ReceiptDocument) -> bytes:
    """The receipt of a payment as a PDF in the active language."""
    st = styles()
    payment, invoice, prop = document.payment, document.invoice, document.property
    story: list[Flowable] = [
        _receipt_header(st, prop, document.number),
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
        facts_table(st, received, WIDTH, value_style=st.big),
        Spacer(1, 8),
        facts_table(st, facts, WIDTH, label_share=0.35),
        Spacer(1, 16),
    ]
    if invoice.status == InvoiceStatus.VOID and not document.reversed and document.refunded < payment.amount:
        kept = both_lines(
            lambda: _("The invoice was voided since: this payment was kept as credit on the unit's account.")
        )
        story += [*[para(line, st.body) for line in kept], Spacer(1, 8)]
    if not document.returned:
        story += [para(line, st.strong) for line in both_lines(lambda: _("Thank you for your payment."))]
    story += [
        Spacer(1, 16),
        *[
            para(line, st.small)
            for line in both_lines(
                lambda: _(
                    "The receipt number is made of the property's number and the payment's number in Logis."
                )
            )
        ],
    ]
    title = receipt_title(document)
    return build_pdf(story, prop=prop, name=title)


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
    st = styles()
    remittance, prop = document.remittance, document.property
    story: list[Flowable] = [
        _receipt_header(st, prop, document.number),
        Spacer(1, 12),
    ]
    if document.reversed:
        story += [
            banner(
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
        facts_table(
            st,
            [(both(lambda: _("Amount received")), format_amount(remittance.amount))],
            WIDTH,
            value_style=st.big,
        ),
        Spacer(1, 8),
        facts_table(st, facts, WIDTH, label_share=0.35),
        Spacer(1, 12),
    ]
    story += [para(line, st.strong) for line in both_statements(document)]
    story.append(Spacer(1, 8))
    right = st.amount
    cells: list[list[Any]] = [
        [
            para(both(lambda: pgettext("pdf document", "Invoice")), st.label),
            para(both(lambda: _("Imputation")), st.label),
            para(both(lambda: _("Amount applied")), st.label_right),
            para(both(lambda: _("Balance after")), st.label_right),
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
                para(name, st.body),
                para(both(partial(imputation_rule_label, share.rule)), st.body),
                para(format_amount(share.amount), right),
                para(format_amount(share.balance_after), right),
            ]
        )
    if remittance.excess > 0:
        cells.append(
            [
                para(both(lambda: _("Credit to the unit's account")), st.body),
                "",
                para(format_amount(remittance.excess), right),
                "",
            ]
        )
    story += [
        ruled_table(cells, [WIDTH * 0.42, WIDTH * 0.26, WIDTH * 0.16, WIDTH * 0.16]),
        Spacer(1, 16),
    ]
    if not document.reversed:
        story += [para(line, st.strong) for line in both_lines(lambda: _("Thank you for your payment."))]
    title = remittance_title(document)
    return build_pdf(story, prop=prop, name=title)
