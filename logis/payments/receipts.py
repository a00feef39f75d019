"""Payment receipts by email: written in the resident's language, queued in the transaction that records
the payment, sent by the outbox (``logis.notifications``) with the receipt's PDF attached.

Registered with the outbox when Django starts (``PaymentsConfig.ready``): the PDF maker for this kind,
and that a receipt stays true after its invoice is voided.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from logis.core.charter import bilingual_email, document_languages, documents_in
from logis.core.dates import long_date
from logis.core.money import format_amount
from logis.documents.filenames import receipt_filename, remittance_filename
from logis.documents.pdf_receipt import (
    imputation_rule_label,
    imputation_statements,
    render_receipt_pdf,
    render_remittance_pdf,
)
from logis.documents.selectors import receipt_document, remittance_document
from logis.invoicing.emails import invoice_link, queue_resident_email
from logis.notifications.models import EmailMessage
from logis.notifications.outbox import keep_after_void, register_attachments
from logis.payments.models import Payment, PaymentKind, PaymentStatus, Remittance
from logis.properties.models import Resident
from logis.properties.setup import logo_url

PAYMENT_RECEIPT = "payment_receipt"
RECEIPT_KEY_PREFIX = "payment-receipt:"  # + the payment's id: one receipt email per payment
REMITTANCE_RECEIPT = "remittance_receipt"
REMITTANCE_KEY_PREFIX = "remittance-receipt:"  # + the remittance's id: one email per remittance


def render_payment_receipt(*, payment: Payment, resident: Resident, language: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the receipt for a payment, written in ``language``; for a Quebec
    property and a reader of another language, in French with that language after it (s. 57, core/charter)."""
    main, companion = document_languages(payment.invoice.property, language)
    first = _render_payment_receipt(payment=payment, resident=resident, language=main)
    if companion is None:
        return first
    second = _render_payment_receipt(payment=payment, resident=resident, language=companion)
    subject, text, html = bilingual_email(first, second, companion)
    return subject[:255], text, html


def _render_payment_receipt(*, payment: Payment, resident: Resident, language: str) -> tuple[str, str, str]:
    invoice = payment.invoice
    balance = invoice.amount - invoice.amount_paid
    with translation.override(language):
        subject = _("Payment received — %(title)s") % {"title": " ".join(invoice.title.split())}
        context = {
            "subject": subject,
            "language": language,
            "resident_name": resident.name,
            "property_name": invoice.property.name,
            "logo_url": logo_url(invoice.property),
            "unit": invoice.unit.number,
            "number": invoice.number,
            "title": invoice.title,
            "amount": format_amount(payment.amount, language),
            "paid_on": long_date(payment.paid_on, language),
            "method": str(payment.get_method_display()),
            "reference": payment.reference,
            "balance": format_amount(balance, language),
            "paid_in_full": balance == 0,
            "link": invoice_link(invoice),
        }
        text = render_to_string("notifications/email/payment_receipt.txt", context).strip() + "\n"
        html = render_to_string("notifications/email/payment_receipt.html", context)
    return subject[:255], text, html


def queue_payment_receipt_email(*, payment: Payment) -> EmailMessage | None:
    """Queue the receipt of a succeeded payment to the unit's primary resident, once per payment.

    Runs in the caller's transaction (``record_payment``, the Stripe webhook) after the invoice's
    ``amount_paid`` is updated, so the balance it states is the one left after this payment.
    Returns None when the payment did not succeed or nobody can receive the email.
    """
    if payment.kind != PaymentKind.PAYMENT or payment.status != PaymentStatus.SUCCEEDED:
        return None
    invoice = payment.invoice
    return queue_resident_email(
        invoice=invoice,
        key=f"{RECEIPT_KEY_PREFIX}{payment.pk}",
        kind=PAYMENT_RECEIPT,
        render=lambda person, language: render_payment_receipt(
            payment=payment, resident=person, language=language
        ),
    )


def receipt_attachments(message: EmailMessage) -> list[tuple[str, bytes, str]]:
    """The receipt's PDF, in the message's language (the outbox logs a failure and sends without)."""
    if not message.key.startswith(RECEIPT_KEY_PREFIX):
        return []
    # A co-owner's copy is keyed ``payment-receipt:<id>:r<resident id>``.
    payment_id = int(message.key.removeprefix(RECEIPT_KEY_PREFIX).split(":")[0])
    with translation.override(message.language):
        document = receipt_document(payments=Payment.objects.all(), payment_id=payment_id)
        if document is None:
            return []
        with documents_in(document.property, message.language):  # French first in Quebec (s. 57)
            return [(receipt_filename(document), render_receipt_pdf(document), "application/pdf")]


def render_remittance_receipt(
    *, remittance: Remittance, resident: Resident, language: str
) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the one receipt of a payment for several invoices, in ``language``:
    each invoice paid, the amount applied to it and the rule of imputation (art. 1569–1572); for a Quebec
    property and a reader of another language, in French with that language after it (s. 57)."""
    main, companion = document_languages(remittance.property, language)
    first = _render_remittance_receipt(remittance=remittance, resident=resident, language=main)
    if companion is None:
        return first
    second = _render_remittance_receipt(remittance=remittance, resident=resident, language=companion)
    subject, text, html = bilingual_email(first, second, companion)
    return subject[:255], text, html


def _render_remittance_receipt(
    *, remittance: Remittance, resident: Resident, language: str
) -> tuple[str, str, str]:
    with translation.override(language):
        document = remittance_document(
            remittances=Remittance.objects.filter(pk=remittance.pk), remittance_id=remittance.pk
        )
        assert document is not None
        prop = remittance.property
        subject = _("Payment received — %(count)s invoices") % {"count": len(document.shares)}
        context = {
            "subject": subject,
            "language": language,
            "resident_name": resident.name,
            "property_name": prop.name,
            "logo_url": logo_url(prop),
            "unit": remittance.unit.number,
            "amount": format_amount(remittance.amount, language),
            "paid_on": long_date(remittance.paid_on, language),
            "method": str(remittance.get_method_display()),
            "reference": remittance.reference,
            "statements": imputation_statements(document),
            "shares": [
                {
                    "number": s.invoice.number,
                    "title": s.invoice.title,
                    "amount": format_amount(s.amount, language),
                    "rule": imputation_rule_label(s.rule),
                    "balance": format_amount(s.balance_after, language),
                }
                for s in document.shares
            ],
            "excess": format_amount(remittance.excess, language) if remittance.excess > 0 else "",
            "number": document.number,
        }
        text = render_to_string("payments/email/remittance_receipt.txt", context).strip() + "\n"
        html = render_to_string("payments/email/remittance_receipt.html", context)
    return subject[:255], text, html


def queue_remittance_receipt_email(*, remittance: Remittance) -> EmailMessage | None:
    """Queue the one receipt of a remittance to the unit's primary resident (and the co-owners who asked),
    in the transaction that records it; None when nobody can receive it or no invoice was paid."""
    first = (
        remittance.payments.filter(kind=PaymentKind.PAYMENT).select_related("invoice").order_by("pk").first()
    )
    if first is None:
        return None
    return queue_resident_email(
        invoice=first.invoice,
        key=f"{REMITTANCE_KEY_PREFIX}{remittance.pk}",
        kind=REMITTANCE_RECEIPT,
        render=lambda person, language: render_remittance_receipt(
            remittance=remittance, resident=person, language=language
        ),
    )


def remittance_attachments(message: EmailMessage) -> list[tuple[str, bytes, str]]:
    """The remittance receipt's PDF, in the message's language."""
    if not message.key.startswith(REMITTANCE_KEY_PREFIX):
        return []
    remittance_id = int(message.key.removeprefix(REMITTANCE_KEY_PREFIX).split(":")[0])
    with translation.override(message.language):
        document = remittance_document(remittances=Remittance.objects.all(), remittance_id=remittance_id)
        if document is None:
            return []
        with documents_in(document.property, message.language):  # French first in Quebec (s. 57)
            return [(remittance_filename(document), render_remittance_pdf(document), "application/pdf")]


def register() -> None:
    """Tell the outbox about receipts (called once, by ``PaymentsConfig.ready``)."""
    register_attachments(PAYMENT_RECEIPT, receipt_attachments)
    keep_after_void(PAYMENT_RECEIPT)
    register_attachments(REMITTANCE_RECEIPT, remittance_attachments)
    keep_after_void(REMITTANCE_RECEIPT)
