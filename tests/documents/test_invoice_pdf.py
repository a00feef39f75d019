"""The invoice PDF says what the invoice says, in the reader's language: property, number, dates in the
property's zone, who is billed, amounts, status in words, how to pay; drafts and void invoices are
marked so nobody takes them for something owed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from logis.accounts.models import User
from logis.collections.models import LateFee, LateFeeMode
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.core.templatetags.logis import localdate
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.services import record_payment
from logis.properties.models import Property, Unit
from tests.documents.conftest import ADDRESS, SITE, pdf_text
from tests.factories import InvoiceFactory, member, outside_quebec

# 3 a.m. in UTC on March 1st is still February 28 in Montréal: the issue date is the property's.
PUBLISHED_AT = dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)


def today(prop: Property) -> dt.date:
    return today_in(prop.timezone)


def manager_client(prop: Property, language: str = "fr") -> Client:
    client = Client()
    client.force_login(member(prop, Role.MANAGER, language=language))
    return client


def published(prop: Property, unit: Unit, **kwargs: object) -> Invoice:
    values: dict[str, object] = {
        "property": prop,
        "unit": unit,
        "number": 7,
        "status": InvoiceStatus.OPEN,
        "title": "Cotisation de décembre",
        "description": "Charges communes.\nEntretien des ascenseurs.",
        "amount": Decimal("1234.56"),
        "due_date": today(prop) + dt.timedelta(days=10),
        "published_at": PUBLISHED_AT,
    }
    values.update(kwargs)
    return InvoiceFactory(**values)


def pdf_url(invoice: Invoice) -> str:
    return reverse("invoicing:pdf", args=[invoice.property_id, invoice.pk])


def long_date_fr(value: dt.date) -> str:
    with translation.override("fr"):
        return localdate(value)  # « 3 mars 2026 », « 1er mars 2026 », as Logis's pages write it


def test_an_open_invoice_in_french_says_who_owes_what_by_when_and_how_to_pay(
    prop: Property, unit: Unit
) -> None:
    invoice = published(prop, unit, amount_paid=Decimal("234.56"))
    response = manager_client(prop).get(pdf_url(invoice))

    text = pdf_text(response)
    assert response["Content-Disposition"] == 'attachment; filename="facture-7.pdf"'
    assert f"Les Jardins du Parc Facture {ADDRESS} Nº 7" in text
    assert "Facturé à Marie Tremblay, Unité 101" in text
    assert "Date d'émission 28 février 2026" in text
    assert f"Date d'échéance {long_date_fr(invoice.due_date)}" in text
    assert "Statut Ouverte" in text
    assert "Cotisation de décembre 1 234,56 $ Charges communes. Entretien des ascenseurs." in text
    assert "Montant payé 234,56 $" in text
    assert "Solde dû 1 000,00 $" in text
    assert f"En ligne, dans votre portail résident : {SITE}/portal/invoices/{invoice.pk}/" in text
    assert "Modes de paiement acceptés : Carte, Virement Interac, Chèque" in text
    assert "BROUILLON" not in text and "ANNULÉE" not in text


def test_an_open_invoice_in_english_for_a_manager_who_reads_english(prop: Property, unit: Unit) -> None:
    outside_quebec(prop)  # English alone: outside Quebec (in Quebec, tests/documents/test_charter.py)
    invoice = published(prop, unit, amount_paid=Decimal("234.56"))
    response = manager_client(prop, "en").get(pdf_url(invoice))

    text = pdf_text(response)
    assert response["Content-Disposition"] == 'attachment; filename="invoice-7.pdf"'
    assert f"Les Jardins du Parc Invoice {ADDRESS} No. 7" in text
    assert "Billed to Marie Tremblay, Unit 101" in text
    assert "Issue date Feb. 28, 2026" in text
    assert "Status Open" in text
    assert "$1,234.56" in text and "Amount paid $234.56" in text and "Balance due $1,000.00" in text
    assert f"Online, in your resident portal: {SITE}/portal/invoices/{invoice.pk}/" in text
    assert "Accepted payment methods: Card, Interac e-Transfer, Cheque" in text


@pytest.mark.parametrize(
    ("language", "status", "balance"),
    [("fr", "Statut En retard", "Solde dû 1 234,56 $"), ("en", "Status Overdue", "Balance due $1,234.56")],
)
def test_an_overdue_invoice_says_so(
    prop: Property, unit: Unit, language: str, status: str, balance: str
) -> None:
    if language == "en":
        outside_quebec(prop)  # in Quebec: French first (tests/documents/test_charter.py)
    invoice = published(prop, unit, due_date=today(prop) - dt.timedelta(days=3))
    text = pdf_text(manager_client(prop, language).get(pdf_url(invoice)))
    assert status in text and balance in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["Statut Payée", "Solde dû 0,00 $", "Cette facture est entièrement payée. Merci !"]),
        ("en", ["Status Paid", "Balance due $0.00", "This invoice is paid in full. Thank you!"]),
    ],
)
def test_a_paid_invoice_says_it_is_paid_and_no_longer_how_to_pay(
    prop: Property, unit: Unit, language: str, expected: list[str]
) -> None:
    if language == "en":
        outside_quebec(prop)  # in Quebec: French first (tests/documents/test_charter.py)
    invoice = published(prop, unit)
    manager = member(prop, Role.MANAGER, language=language)
    record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=invoice.amount,
        paid_on=today(prop),
        method="cheque",
    )
    client = Client()
    client.force_login(manager)
    text = pdf_text(client.get(pdf_url(invoice)))
    for line in expected:
        assert line in text
    assert "portal" not in text and "portail" not in text


@pytest.mark.parametrize(
    ("language", "expected", "filename"),
    [
        (
            "fr",
            [
                "ANNULÉE Cette facture a été annulée : rien n'est dû. Motif : Facturée en double",
                "Statut Annulée — Facturée en double",
                "Solde dû 0,00 $",
            ],
            "facture-7.pdf",
        ),
        (
            "en",
            [
                "VOID This invoice was voided: nothing is owed on it. Reason: Facturée en double",
                "Status Void — Facturée en double",
            ],
            "invoice-7.pdf",
        ),
    ],
)
def test_a_void_invoice_is_clearly_marked_with_its_reason(
    prop: Property, unit: Unit, language: str, expected: list[str], filename: str
) -> None:
    if language == "en":
        outside_quebec(prop)  # in Quebec: French first (tests/documents/test_charter.py)
    invoice = published(prop, unit)
    manager = member(prop, Role.MANAGER, language=language)
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Facturée en double")
    client = Client()
    client.force_login(manager)
    response = client.get(pdf_url(invoice))
    text = pdf_text(response)
    for line in expected:
        assert line in text
    assert "Comment payer" not in text and "How to pay" not in text
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_a_void_invoice_that_had_payments_says_they_became_the_units_credit(
    prop: Property, unit: Unit
) -> None:
    invoice = published(prop, unit)
    manager = member(prop, Role.MANAGER)
    record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("100.00"),
        paid_on=today(prop),
        method="cheque",
    )
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Erreur de montant")
    text = pdf_text(manager_client(prop).get(pdf_url(invoice)))
    assert "Les 100,00 $ reçus ont été conservés en crédit au compte de l'unité." in text


@pytest.mark.parametrize(
    ("language", "banner", "title", "filename"),
    [
        ("fr", "BROUILLON — pas une facture", "Brouillon de facture", "brouillon"),
        ("en", "DRAFT — not an invoice", "Draft invoice", "draft"),
    ],
)
def test_a_draft_says_prominently_it_is_not_an_invoice_and_has_no_number(
    prop: Property, unit: Unit, language: str, banner: str, title: str, filename: str
) -> None:
    if language == "en":
        outside_quebec(prop)  # in Quebec: French first (tests/documents/test_charter.py)
    draft = InvoiceFactory(property=prop, unit=unit, title="Cotisation de janvier", amount=Decimal("250.00"))
    response = manager_client(prop, language).get(pdf_url(draft))
    text = pdf_text(response)
    assert text.count(banner) == 1 and title in text
    assert "Nº" not in text and "No." not in text
    assert "Non publiée" in text if language == "fr" else "Not published" in text
    assert response["Content-Disposition"] == f'attachment; filename="{filename}-{draft.pk}.pdf"'


def test_a_unit_without_a_primary_resident_is_billed_as_the_unit_alone(
    prop: Property, lonely_unit: Unit
) -> None:
    invoice = published(prop, lonely_unit)
    text = pdf_text(manager_client(prop).get(pdf_url(invoice)))
    assert "Facturé à Unité 112 Date d'émission" in text


def test_a_late_fee_invoice_says_which_invoice_it_belongs_to(prop: Property, unit: Unit) -> None:
    original = published(prop, unit, number=3, title="Cotisation d'octobre")
    fee = published(prop, unit, number=9, title="Frais de retard", amount=Decimal("25.00"))
    LateFee.objects.create(
        property=prop,
        original=original,
        fee_invoice=fee,
        period_index=0,
        period_start=today(prop),
        mode=LateFeeMode.FIXED,
        balance=original.amount,
        amount=fee.amount,
    )
    assert "Frais de retard sur la facture nº 3 — Cotisation d'octobre" in pdf_text(
        manager_client(prop).get(pdf_url(fee))
    )
    outside_quebec(prop)  # English alone: outside Quebec (in Quebec, tests/documents/test_charter.py)
    assert "Late fee on invoice no. 3 — Cotisation d'octobre" in pdf_text(
        manager_client(prop, "en").get(pdf_url(fee))
    )
    assert "Frais de retard sur" not in pdf_text(manager_client(prop).get(pdf_url(original)))


def test_without_online_payment_the_invoice_lists_the_accepted_methods_only(
    prop: Property, unit: Unit, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.STRIPE_DEMO = False  # no Stripe key and no demo: no online payment
    invoice = published(prop, unit)
    text = pdf_text(manager_client(prop).get(pdf_url(invoice)))
    assert "portail" not in text
    assert "Modes de paiement acceptés : Carte, Virement Interac, Chèque" in text
    assert "Veuillez indiquer le numéro de la facture (7) avec votre paiement." in text


def test_the_pdf_is_sent_as_a_download_and_never_cached(prop: Property, unit: Unit) -> None:
    response = manager_client(prop).get(pdf_url(published(prop, unit)))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert int(response["Content-Length"]) == len(response.content)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_an_invoice_of_another_property_is_not_found(prop: Property, unit: Unit) -> None:
    other = InvoiceFactory(number=1, status=InvoiceStatus.OPEN)
    client = manager_client(prop)
    # Its own id through this property's address, and its own property's address: both 404.
    assert client.get(reverse("invoicing:pdf", args=[prop.pk, other.pk])).status_code == 404
    assert client.get(pdf_url(other)).status_code == 404
    assert client.get(reverse("invoicing:pdf", args=[prop.pk, 999_999])).status_code == 404


def test_a_pdf_request_costs_the_same_number_of_queries_whatever_the_invoice_holds(
    prop: Property, unit: Unit, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    manager: User = member(prop, Role.MANAGER)
    client = Client()
    client.force_login(manager)
    bare = published(prop, unit, number=1)
    busy = published(prop, unit, number=2, amount=Decimal("1000.00"))
    for _ in range(12):
        record_payment(
            property=prop,
            invoice_id=busy.pk,
            actor=manager,
            amount=Decimal("10.00"),
            paid_on=today(prop),
            method="cash",
        )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for invoice in (bare, busy):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(pdf_url(invoice)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        client.get(pdf_url(busy))


def test_a_long_description_continues_on_the_next_pages(prop: Property, unit: Unit) -> None:
    import io

    from pypdf import PdfReader

    # Within the 2,000 characters a description may hold: many short lines.
    description = "\n".join(f"Ligne {n} : travaux" if n in (1, 120) else f"{n}." for n in range(1, 121))
    assert len(description) <= 2000
    invoice = published(prop, unit, description=description, title="Rapport de travaux " + "x" * 180)
    response = manager_client(prop).get(pdf_url(invoice))
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) >= 3
    text = pdf_text(response)
    assert "Ligne 1 : travaux" in text and "Ligne 120 : travaux" in text
    assert f"Page {len(pages)}" in text
    last = " ".join(pages[-1].extract_text().replace("\u00a0", " ").split())
    assert "Solde dû 1 234,56 $" in last
