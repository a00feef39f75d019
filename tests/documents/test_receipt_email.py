"""The receipt email carries the receipt's PDF, in the resident's language, and is still delivered exactly
once: through a real SMTP server, by the worker, after an outage and when asked to deliver it again."""

from __future__ import annotations

import datetime as dt
import email.message
from decimal import Decimal

import pytest

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import publish_invoice
from logis.notifications.delivery import deliver_message
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.payments.models import Payment
from logis.payments.services import record_payment
from logis.properties.models import Property
from tests.documents.conftest import pdf_bytes_text
from tests.factories import (
    InvoiceFactory,
    OccupancyFactory,
    ResidentFactory,
    UnitFactory,
    member,
    outside_quebec,
)
from tests.smtp import SMTPServer, body_text, run_worker


def invoice_for(prop: Property, language: str) -> Invoice:
    unit = UnitFactory(property=prop, number="204")
    resident = ResidentFactory(
        property=prop, name="Marie Tremblay", email="marie@example.com", language=language
    )
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return InvoiceFactory(
        property=prop, unit=unit, number=7, status=InvoiceStatus.OPEN, title="Cotisation de décembre",
        amount=Decimal("1234.50"),
    )  # fmt: skip


def pay(invoice: Invoice, amount: str = "1000.00") -> Payment:
    return record_payment(
        property=invoice.property,
        invoice_id=invoice.pk,
        actor=member(invoice.property, Role.MANAGER),
        amount=Decimal(amount),
        paid_on=today_in(invoice.property.timezone),
        method="cheque",
        reference="Chèque 118",
    )


def pdf_attachments(message: email.message.EmailMessage) -> list[tuple[str, bytes]]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, email.message.EmailMessage)
        if part.get_content_type() == "application/pdf":
            content = part.get_content()
            assert isinstance(content, bytes)
            found.append((str(part.get_filename()), content))
    return found


@pytest.mark.parametrize(
    ("language", "filename", "expected"),
    [
        (
            "fr",
            "recu",
            ["Reçu de Marie Tremblay, Unité 204", "Montant reçu 1 000,00 $", "après ce paiement 234,50 $"],
        ),
        (
            "en",
            "receipt",
            ["Received from Marie Tremblay, Unit 204", "Amount received $1,000.00", "payment $234.50"],
        ),
    ],
)
def test_the_receipt_email_carries_the_receipt_pdf_in_the_residents_language(
    prop: Property, smtp_server: SMTPServer, language: str, filename: str, expected: list[str]
) -> None:
    if language == "en":
        outside_quebec(prop)  # in Quebec: French first (tests/documents/test_charter.py)
    payment = pay(invoice_for(prop, language))
    run_worker()

    [received] = smtp_server.messages
    number = f"{prop.pk}-{payment.pk:06d}"
    [(name, content)] = pdf_attachments(received)
    assert name == f"{filename}-{number}.pdf"
    text = pdf_bytes_text(content)
    for line in expected:
        assert line in text
    attached = {
        "fr": "Le reçu est joint à ce courriel en PDF.",
        "en": "The receipt is attached to this email as a PDF.",
    }
    assert attached[language] in body_text(received)
    assert attached[language] in body_text(received, "html")


def test_a_receipt_with_its_pdf_is_still_sent_once_after_an_outage_and_a_second_delivery(
    prop: Property, smtp_server: SMTPServer
) -> None:
    payment = pay(invoice_for(prop, "fr"))
    message = EmailMessage.objects.get(key=f"payment-receipt:{payment.pk}")
    smtp_server.stop()
    assert deliver_message(message_id=message.pk) == "retry"
    smtp_server.start()
    EmailMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)  # the retry is due now
    assert deliver_message(message_id=message.pk) == "sent"
    assert deliver_message(message_id=message.pk) == "skipped"
    run_worker()  # the retry task queued by the failure finds the message sent

    [received] = smtp_server.messages
    assert len(pdf_attachments(received)) == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.attempts == 2


def test_a_new_invoice_email_has_no_attachment(prop: Property, smtp_server: SMTPServer) -> None:
    unit = UnitFactory(property=prop, number="301")
    OccupancyFactory(unit=unit, is_primary=True)
    draft = InvoiceFactory(
        property=prop,
        unit=unit,
        notify_resident=True,
        due_date=today_in(prop.timezone) + dt.timedelta(days=9),
    )
    publish_invoice(actor=member(prop, Role.MANAGER), invoice_id=draft.pk, property=prop)
    run_worker()
    [received] = smtp_server.messages
    assert pdf_attachments(received) == []
