"""Residents download their own published invoices and their receipts as PDFs, in their language; never
a draft, never another unit's or another property's document, whatever id they try."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.models import Payment, PaymentKind, PaymentStatus
from logis.payments.services import record_payment, reverse_payment
from logis.properties.models import Property, Unit
from tests.documents.conftest import ADDRESS, pdf_text, resident_of
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, UserFactory, member, outside_quebec


def published(unit: Unit, number: int, **kwargs: object) -> Invoice:
    values: dict[str, object] = {
        "property": unit.property,
        "unit": unit,
        "number": number,
        "status": InvoiceStatus.OPEN,
        "title": "Cotisation de mars",
        "amount": Decimal("1234.56"),
        "due_date": today_in(unit.property.timezone) + dt.timedelta(days=10),
    }
    values.update(kwargs)
    return InvoiceFactory(**values)


def pay(invoice: Invoice, amount: str = "100.00") -> Payment:
    return record_payment(
        property=invoice.property,
        invoice_id=invoice.pk,
        actor=member(invoice.property, Role.TREASURER),
        amount=Decimal(amount),
        paid_on=today_in(invoice.property.timezone),
        method="interac",
        reference="Virement 55",
    )


def invoice_pdf(invoice: Invoice) -> str:
    return reverse("portal:invoice_pdf", args=[invoice.pk])


def receipt_pdf(payment: Payment) -> str:
    return reverse("portal:receipt_pdf", args=[payment.pk])


def test_a_resident_downloads_her_invoice_in_french(marie_client: Client, unit: Unit) -> None:
    invoice = published(unit, 7)
    response = marie_client.get(invoice_pdf(invoice))
    text = pdf_text(response)
    assert response["Content-Disposition"] == 'attachment; filename="facture-7.pdf"'
    assert "Facturé à Marie Tremblay, Unité 101" in text
    assert "Statut Ouverte" in text and "Solde dû 1 234,56 $" in text
    assert f"/portal/invoices/{invoice.pk}/" in text


def test_a_resident_who_reads_english_gets_her_invoice_and_receipt_in_english(
    marie: User, marie_client: Client, unit: Unit
) -> None:
    marie.language = "en"
    marie.save()
    outside_quebec(
        unit.property
    )  # English alone: outside Quebec (in Quebec, tests/documents/test_charter.py)
    invoice = published(unit, 7)
    payment = pay(invoice)
    response = marie_client.get(invoice_pdf(invoice))
    assert response["Content-Disposition"] == 'attachment; filename="invoice-7.pdf"'
    assert "Billed to Marie Tremblay, Unit 101" in pdf_text(response)
    response = marie_client.get(receipt_pdf(payment))
    number = f"{unit.property_id}-{payment.pk:06d}"
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{number}.pdf"'
    text = pdf_text(response)
    assert f"Receipt {ADDRESS} No. {number}" in text
    assert "Payment method Interac e-Transfer Reference Virement 55" in text
    assert "Amount received $100.00" in text


def test_a_resident_downloads_her_receipt_in_french(marie_client: Client, unit: Unit) -> None:
    payment = pay(published(unit, 7), "1000.00")
    text = pdf_text(marie_client.get(receipt_pdf(payment)))
    assert "Montant reçu 1 000,00 $ Reçu de Marie Tremblay, Unité 101" in text
    assert "Solde de la facture après ce paiement 234,56 $" in text


def test_a_void_invoice_she_had_received_is_still_hers_and_marked_void(
    prop: Property, marie_client: Client, unit: Unit
) -> None:
    invoice = published(unit, 7)
    void_invoice(actor=member(prop, Role.MANAGER), invoice_id=invoice.pk, property=prop, reason="Doublon")
    text = pdf_text(marie_client.get(invoice_pdf(invoice)))
    assert "ANNULÉE" in text and "Motif : Doublon" in text


def test_a_resident_never_gets_a_draft_nor_anothers_invoice_even_by_guessing_ids(
    prop: Property, marie_client: Client, unit: Unit
) -> None:
    draft = InvoiceFactory(property=prop, unit=unit, title="Brouillon secret")
    voided_draft = InvoiceFactory(property=prop, unit=unit, status=InvoiceStatus.VOID, void_reason="x")
    neighbour_unit = UnitFactory(property=prop, number="102")
    resident_of(neighbour_unit, UserFactory(), "Jean Gagnon")
    neighbour = published(neighbour_unit, 8)
    elsewhere = published(UnitFactory(property=PropertyFactory(name="Ailleurs")), 1)
    for invoice in (draft, voided_draft, neighbour, elsewhere):
        assert marie_client.get(invoice_pdf(invoice)).status_code == 404, invoice.title
    assert marie_client.get(reverse("portal:invoice_pdf", args=[999_999])).status_code == 404


def test_a_resident_never_gets_anothers_receipt_nor_one_of_a_payment_not_received(
    prop: Property, marie_client: Client, unit: Unit
) -> None:
    mine = published(unit, 7)
    neighbour_unit = UnitFactory(property=prop, number="102")
    neighbour_payment = pay(published(neighbour_unit, 8))
    pending = Payment.objects.create(
        property=prop,
        unit=unit,
        invoice=mine,
        kind=PaymentKind.PAYMENT,
        status=PaymentStatus.PENDING,
        amount=Decimal("50.00"),
        paid_on=today_in(prop.timezone),
        method="acss_debit",
        provider_payment_id="pi_pending",
    )
    reversal = reverse_payment(
        property=prop, payment_id=pay(mine).pk, actor=member(prop, Role.MANAGER), reason="Erreur"
    )
    for payment in (neighbour_payment, pending, reversal):
        assert marie_client.get(receipt_pdf(payment)).status_code == 404
    assert marie_client.get(reverse("portal:receipt_pdf", args=[999_999])).status_code == 404


def test_a_manager_without_a_unit_has_no_portal_documents(prop: Property, unit: Unit) -> None:
    invoice = published(unit, 7)
    payment = pay(invoice)
    client = Client()
    client.force_login(member(prop, Role.ADMIN))
    assert client.get(invoice_pdf(invoice)).status_code == 404
    assert client.get(receipt_pdf(payment)).status_code == 404


@pytest.mark.parametrize("url", ["portal:invoice_pdf", "portal:receipt_pdf"])
def test_portal_documents_need_signing_in(client: Client, url: str, db: None) -> None:
    response = client.get(reverse(url, args=[1]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_portal_pages_offer_the_pdf(marie_client: Client, unit: Unit) -> None:
    invoice = published(unit, 7)
    payment = pay(invoice)
    page = marie_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert f'href="{invoice_pdf(invoice)}" download>Télécharger le PDF</a>' in page
    page = marie_client.get(reverse("portal:receipt", args=[payment.pk])).content.decode()
    assert f'href="{receipt_pdf(payment)}" download>Télécharger le PDF</a>' in page
    assert f"Reçu de paiement nº {unit.property_id}-{payment.pk:06d}" in page


def test_a_portal_pdf_costs_the_same_number_of_queries_whatever_the_invoice_holds(
    marie_client: Client, unit: Unit
) -> None:
    quiet = published(unit, 1)
    busy = published(unit, 2)
    payments = [pay(busy, "10.00") for _ in range(10)]
    counts = []
    for url in (invoice_pdf(quiet), invoice_pdf(busy)):
        with CaptureQueriesContext(connection) as ctx:
            assert marie_client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    for url in (receipt_pdf(pay(quiet)), receipt_pdf(payments[-1])):
        with CaptureQueriesContext(connection) as ctx:
            assert marie_client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[2] == counts[3], counts


def test_the_receipt_page_says_the_same_as_its_pdf_about_balance_and_reversal(
    prop: Property, marie_client: Client, unit: Unit
) -> None:
    invoice = published(unit, 7)
    payment = pay(invoice, "1000.00")
    url = reverse("portal:receipt", args=[payment.pk])
    page = " ".join(marie_client.get(url).content.decode().replace("\u00a0", " ").split())
    assert 'Solde de la facture après ce paiement</dt><dd class="col-6 text-end">234,56 $' in page
    assert 'id="receipt-returned"' not in page
    reverse_payment(property=prop, payment_id=payment.pk, actor=member(prop, Role.MANAGER), reason="Erreur")
    page = " ".join(marie_client.get(url).content.decode().replace("\u00a0", " ").split())
    assert "Paiement contrepassé</strong> — Ce paiement a été contrepassé le" in page
    assert "PAIEMENT CONTREPASSÉ Ce paiement a été contrepassé le" in pdf_text(
        marie_client.get(receipt_pdf(payment))
    )
