"""The receipt PDF of a payment received: a stable number, the date, amount, method and reference, the
invoice it paid and its balance right after, who paid, the property. A reversed or refunded payment's
receipt says so; a pending or failed online payment, a reversal or a refund has no receipt."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.core.templatetags.logis import localdate
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.models import Payment, PaymentKind, PaymentStatus
from logis.payments.services import record_payment, refund_payment, reverse_payment
from logis.properties.models import Property, Unit
from tests.documents.conftest import ADDRESS, pdf_text
from tests.factories import InvoiceFactory, member, outside_quebec

PAID_ON = dt.date(2026, 2, 27)


def invoice_of(unit: Unit, **kwargs: object) -> Invoice:
    values: dict[str, object] = {
        "property": unit.property,
        "unit": unit,
        "number": 7,
        "status": InvoiceStatus.OPEN,
        "title": "Cotisation de décembre",
        "amount": Decimal("1234.50"),
    }
    values.update(kwargs)
    return InvoiceFactory(**values)


def pay(invoice: Invoice, actor: User, amount: str, **kwargs: object) -> Payment:
    values: dict[str, object] = {"paid_on": PAID_ON, "method": "cheque", "reference": "Chèque 118"}
    values.update(kwargs)
    return record_payment(
        property=invoice.property,
        invoice_id=invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        **values,  # type: ignore[arg-type]
    )


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def receipt_url(payment: Payment) -> str:
    return reverse("payments:receipt_pdf", args=[payment.property_id, payment.pk])


@pytest.fixture
def manager(prop: Property) -> User:
    return member(prop, Role.MANAGER, language="fr")


def test_a_receipt_in_french_says_what_was_received_from_whom_for_which_invoice(
    prop: Property, unit: Unit, manager: User
) -> None:
    payment = pay(invoice_of(unit), manager, "1000.00")
    number = f"{prop.pk}-{payment.pk:06d}"
    response = client_of(manager).get(receipt_url(payment))

    text = pdf_text(response)
    assert response["Content-Disposition"] == f'attachment; filename="recu-{number}.pdf"'
    assert f"Les Jardins du Parc Reçu {ADDRESS} Nº {number}" in text
    assert (
        "Montant reçu 1 000,00 $ "
        "Reçu de Marie Tremblay, Unité 101 Date de réception 27 février 2026 Mode de paiement Chèque "
        "Référence Chèque 118 Facture Nº 7 — Cotisation de décembre "
        "Solde de la facture après ce paiement 234,50 $"
    ) in text
    assert "Merci de votre paiement." in text
    assert "Le numéro du reçu est formé du numéro de la propriété et de celui du paiement dans Logis." in text
    assert "CONTREPASSÉ" not in text and "REMBOURSÉ" not in text


def test_a_receipt_in_english_for_a_manager_who_reads_english(
    prop: Property, unit: Unit, manager: User
) -> None:
    outside_quebec(prop)  # English alone: outside Quebec (in Quebec, tests/documents/test_charter.py)
    payment = pay(invoice_of(unit), manager, "1234.50")
    number = f"{prop.pk}-{payment.pk:06d}"
    response = client_of(member(prop, Role.TREASURER, language="en")).get(receipt_url(payment))

    text = pdf_text(response)
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{number}.pdf"'
    assert f"Les Jardins du Parc Receipt {ADDRESS} No. {number}" in text
    assert (
        "Amount received $1,234.50 "
        "Received from Marie Tremblay, Unit 101 Date received Feb. 27, 2026 Payment method Cheque "
        "Reference Chèque 118 Invoice No. 7 — Cotisation de décembre "
        "Balance of the invoice after this payment $0.00"
    ) in text
    assert "Thank you for your payment." in text


def test_the_receipt_number_and_balance_stay_what_they_were_when_the_payment_was_received(
    prop: Property, unit: Unit, manager: User
) -> None:
    invoice = invoice_of(unit)
    first = pay(invoice, manager, "1000.00")
    second = pay(invoice, manager, "234.50", reference="")
    client = client_of(manager)
    first_text = pdf_text(client.get(receipt_url(first)))
    assert "Solde de la facture après ce paiement 234,50 $" in first_text
    assert pdf_text(client.get(receipt_url(first))) == first_text  # the same document, asked again
    second_text = pdf_text(client.get(receipt_url(second)))
    assert "Solde de la facture après ce paiement 0,00 $" in second_text
    assert "Référence" not in second_text  # no reference: no empty line
    assert f"Nº {prop.pk}-{second.pk:06d}" in second_text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "PAIEMENT CONTREPASSÉ Ce paiement a été contrepassé le {date} : il ne compte plus",
        ),
        (
            "en",
            "PAYMENT REVERSED This payment was reversed on {date}: it no longer counts toward the invoice.",
        ),
    ],
)
def test_a_reversed_payments_receipt_says_it_was_reversed(
    prop: Property, unit: Unit, manager: User, language: str, expected: str
) -> None:
    if language == "en":
        outside_quebec(prop)  # in Quebec: French first (tests/documents/test_charter.py)
    payment = pay(invoice_of(unit), manager, "1000.00")
    reversal = reverse_payment(
        property=prop, payment_id=payment.pk, actor=manager, reason="Chèque sans provision"
    )
    with translation.override(language):
        on = localdate(reversal.paid_on)  # as Logis's pages write dates (« 1er mars » on the first)
    text = pdf_text(client_of(member(prop, Role.BOARD, language=language)).get(receipt_url(payment)))
    assert expected.format(date=on) in text
    assert "Merci de votre paiement" not in text and "Thank you for your payment" not in text


def test_a_partly_then_fully_refunded_payments_receipt_lists_the_refunds(
    prop: Property, unit: Unit, manager: User
) -> None:
    payment = pay(invoice_of(unit), manager, "1000.00")
    refund_payment(
        property=prop,
        payment_id=payment.pk,
        actor=manager,
        amount=Decimal("100.00"),
        reason="Trop perçu",
        method="cheque",
    )
    client = client_of(manager)
    text = pdf_text(client.get(receipt_url(payment)))
    assert "PAIEMENT REMBOURSÉ EN PARTIE Remboursement de 100,00 $ le" in text
    refund_payment(
        property=prop,
        payment_id=payment.pk,
        actor=manager,
        amount=Decimal("900.00"),
        reason="Départ",
        method="cheque",
    )
    text = pdf_text(client.get(receipt_url(payment)))
    assert "PAIEMENT REMBOURSÉ Remboursement de 100,00 $ le" in text
    assert "Remboursement de 900,00 $ le" in text
    # What the payment left to pay when it was received does not change with a later refund.
    assert "Solde de la facture après ce paiement 234,50 $" in text


def test_a_payment_on_an_invoice_voided_since_says_it_became_credit(
    prop: Property, unit: Unit, manager: User
) -> None:
    invoice = invoice_of(unit)
    payment = pay(invoice, manager, "100.00")
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Erreur")
    text = pdf_text(client_of(manager).get(receipt_url(payment)))
    assert (
        "La facture a été annulée depuis : ce paiement a été conservé en crédit au compte de l'unité." in text
    )


def test_a_payment_for_a_unit_without_a_primary_resident_is_received_from_the_unit(
    prop: Property, lonely_unit: Unit, manager: User
) -> None:
    payment = pay(invoice_of(lonely_unit), manager, "10.00")
    assert "Reçu de Unité 112 Date de réception" in pdf_text(client_of(manager).get(receipt_url(payment)))


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED])
def test_a_pending_or_failed_online_payment_has_no_receipt(
    prop: Property, unit: Unit, manager: User, status: str
) -> None:
    invoice = invoice_of(unit)
    online = Payment.objects.create(
        property=prop,
        unit=unit,
        invoice=invoice,
        kind=PaymentKind.PAYMENT,
        status=status,
        amount=invoice.amount,
        paid_on=today_in(prop.timezone),
        method="acss_debit",
        provider_payment_id=f"pi_{status}",
    )
    assert client_of(manager).get(receipt_url(online)).status_code == 404


def test_a_reversal_or_a_refund_has_no_receipt_of_its_own(prop: Property, unit: Unit, manager: User) -> None:
    invoice = invoice_of(unit)
    refunded = pay(invoice, manager, "100.00")
    refund = refund_payment(
        property=prop,
        payment_id=refunded.pk,
        actor=manager,
        amount=Decimal("10.00"),
        reason="Trop perçu",
        method="cash",
    )
    reversal = reverse_payment(
        property=prop, payment_id=pay(invoice, manager, "50.00").pk, actor=manager, reason="Erreur"
    )
    client = client_of(manager)
    assert client.get(receipt_url(refund)).status_code == 404
    assert client.get(receipt_url(reversal)).status_code == 404


def test_a_payment_of_another_property_has_no_receipt_here(prop: Property, unit: Unit, manager: User) -> None:
    other_invoice = InvoiceFactory(number=1, status=InvoiceStatus.OPEN)
    elsewhere = member(other_invoice.property, Role.MANAGER)
    payment = pay(other_invoice, elsewhere, "10.00")
    client = client_of(manager)
    assert client.get(reverse("payments:receipt_pdf", args=[prop.pk, payment.pk])).status_code == 404
    assert client.get(receipt_url(payment)).status_code == 404


def test_a_receipt_request_costs_the_same_number_of_queries_whatever_the_invoice_holds(
    prop: Property, unit: Unit, manager: User
) -> None:
    one = pay(invoice_of(unit, number=1), manager, "10.00")
    busy = invoice_of(unit, number=2)
    payments = [pay(busy, manager, "10.00") for _ in range(12)]
    reverse_payment(property=prop, payment_id=payments[3].pk, actor=manager, reason="Erreur")
    client = client_of(manager)
    counts = []
    for payment in (one, payments[3], payments[-1]):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(receipt_url(payment)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts
