"""Receipts: a manual payment that succeeds queues one email to the unit's primary resident, in their
language, with the amount, date, method, invoice and what is left to pay."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.notifications.delivery import deliver_message
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.payments.models import PaymentKind
from logis.payments.receipts import queue_payment_receipt_email
from logis.payments.services import record_payment, reverse_payment
from logis.properties.models import Property, Resident
from tests.factories import InvoiceFactory, OccupancyFactory, UnitFactory, outside_quebec

TODAY = timezone.localdate()


def invoice_for(prop: Property, *, email: str = "marie@example.com", language: str = "fr") -> Invoice:
    unit = UnitFactory(property=prop, number="204")
    occupancy = OccupancyFactory(unit=unit, is_primary=True)
    occupancy.resident.name = "Marie Tremblay"
    occupancy.resident.email = email
    occupancy.resident.language = language
    occupancy.resident.save()
    return InvoiceFactory(
        property=prop,
        unit=unit,
        number=7,
        status=InvoiceStatus.OPEN,
        title="Cotisation de décembre",
        amount=Decimal("1234.50"),
    )


def pay(prop, invoice, actor, amount: str, reference: str = "Chèque 118"):  # type: ignore[no-untyped-def]
    return record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        paid_on=TODAY,
        method="cheque",
        reference=reference,
    )


def test_a_recorded_payment_queues_one_receipt_in_french_with_amount_method_and_balance(
    prop, manager
) -> None:
    invoice = invoice_for(prop)
    payment = pay(prop, invoice, manager, "1000.00")
    message = EmailMessage.objects.get(key=f"payment-receipt:{payment.pk}")
    assert message.to_email == "marie@example.com" and message.language == "fr"
    assert message.invoice_id == invoice.pk and message.status == DeliveryStatus.QUEUED
    assert message.subject == "Paiement reçu — Cotisation de décembre"
    text = message.body_text
    assert "Bonjour Marie Tremblay" in text
    assert "1 000,00 $" in text.replace("\xa0", " ")
    assert "Chèque" in text and "Chèque 118" in text
    assert "Facture nº 7" in text
    assert "Solde restant : 234,50 $" in text.replace("\xa0", " ")
    assert "/portal/" in text or "http" in text
    assert "Reçu de paiement" in message.body_html


def test_the_receipt_of_the_last_payment_says_the_invoice_is_paid_in_english(prop, manager) -> None:
    outside_quebec(prop)  # English alone: outside Quebec (in Quebec, tests/documents/test_charter.py)
    invoice = invoice_for(prop, language="en")
    pay(prop, invoice, manager, "1234.50")
    message = EmailMessage.objects.get()
    assert message.language == "en"
    assert message.subject == "Payment received — Cotisation de décembre"
    assert "$1,234.50" in message.body_text
    assert "The invoice is paid in full." in message.body_text
    assert "Cheque" in message.body_text


def test_queuing_a_receipt_twice_gives_the_same_message(prop, manager) -> None:
    payment = pay(prop, invoice_for(prop), manager, "10.00")
    again = queue_payment_receipt_email(payment=payment)
    assert again is not None and EmailMessage.objects.count() == 1


@pytest.mark.parametrize("email", ["", "pas-une-adresse"])
def test_no_receipt_without_a_valid_email_and_the_payment_still_records(prop, manager, email: str) -> None:
    invoice = invoice_for(prop, email=email)
    pay(prop, invoice, manager, "10.00")
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("10.00")
    assert not EmailMessage.objects.exists()


def test_no_receipt_for_a_unit_without_a_primary_resident(prop, manager) -> None:
    invoice = InvoiceFactory(property=prop, number=1, status=InvoiceStatus.OPEN)
    pay(prop, invoice, manager, "10.00")
    assert not EmailMessage.objects.exists()


def test_a_reversal_sends_no_receipt(prop, manager) -> None:
    payment = pay(prop, invoice_for(prop), manager, "10.00")
    reversal = reverse_payment(property=prop, payment_id=payment.pk, actor=manager, reason="erreur")
    assert reversal.kind == PaymentKind.REVERSAL
    assert queue_payment_receipt_email(payment=reversal) is None
    assert EmailMessage.objects.count() == 1


def test_a_refused_payment_queues_no_receipt(prop, manager) -> None:
    invoice = invoice_for(prop)
    with pytest.raises(Exception):  # noqa: B017 - any domain error: the point is nothing is queued
        pay(prop, invoice, manager, "5000.00")
    assert not EmailMessage.objects.exists()


def test_the_receipt_is_delivered_by_the_worker_to_a_real_smtp_server(prop, manager, smtp_server) -> None:
    payment = pay(prop, invoice_for(prop), manager, "100.00")
    message = EmailMessage.objects.get(key=f"payment-receipt:{payment.pk}")
    assert deliver_message(message_id=message.pk) == "sent"
    received = smtp_server.messages
    assert len(received) == 1
    assert "marie@example.com" in str(received[0]["To"])


def test_a_receipt_waiting_when_the_invoice_is_voided_is_still_sent(prop, manager, smtp_server) -> None:
    invoice = invoice_for(prop)
    payment = pay(prop, invoice, manager, "100.00")
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Facturée en double")
    message = EmailMessage.objects.get(key=f"payment-receipt:{payment.pk}")
    assert deliver_message(message_id=message.pk) == "sent"


def test_recording_in_the_dialog_tells_nothing_breaks_when_a_receipt_is_queued(
    prop, manager, manager_client: Client
) -> None:
    invoice = invoice_for(prop)
    url = reverse("payments:record", args=[prop.pk, invoice.pk])
    response = manager_client.post(url, {"amount": "34,50", "paid_on": TODAY.isoformat(), "method": "cash"})
    assert response.status_code == 302
    assert EmailMessage.objects.filter(kind="payment_receipt").count() == 1


def test_only_money_received_has_a_receipt_link_on_the_portal_invoice(prop, manager) -> None:
    from tests.factories import UserFactory

    invoice = invoice_for(prop)
    kept = pay(prop, invoice, manager, "100.00")
    reversed_ = pay(prop, invoice, manager, "50.00")
    reversal = reverse_payment(
        property=prop, actor=manager, payment_id=reversed_.pk, reason="Chèque sans provision"
    )
    assert (kept.has_receipt(), reversal.has_receipt()) == (True, False)
    user = UserFactory(email="marie@example.com")
    Resident.objects.filter(email="marie@example.com").update(user=user)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    receipt_links = {reverse("portal:receipt", args=[p]) for p in (kept.pk, reversed_.pk, reversal.pk)}
    assert {link for link in receipt_links if link in page} == {
        reverse("portal:receipt", args=[kept.pk]),
        reverse("portal:receipt", args=[reversed_.pk]),
    }
