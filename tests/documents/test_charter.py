"""Charter of the French language, s. 57 (decision 0030): the invoices and receipts of a Quebec property
are in French; a reader who prefers English gets them in French with the English beside, never English
alone. Outside Quebec, documents follow the reader's language as before.

Quebec property: ``Property.province`` is QC, the default (``logis.core.charter``)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.core.charter import document_languages, is_quebec
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import publish_invoice
from logis.payments.models import PayLink
from logis.properties.models import Property, Unit
from tests.documents.conftest import pdf_bytes_text, pdf_text
from tests.documents.test_portal_pdf import pay as portal_pay
from tests.documents.test_portal_pdf import published as portal_published
from tests.documents.test_receipt_email import invoice_for, pay, pdf_attachments
from tests.factories import InvoiceFactory, member, outside_quebec
from tests.smtp import SMTPServer, body_text, run_worker

pytestmark = pytest.mark.django_db


def _english_manager(prop: Property) -> Client:
    client = Client()
    client.force_login(member(prop, Role.MANAGER, language="en"))
    return client


def _open(prop: Property) -> Invoice:
    invoice = invoice_for(prop, "en")
    invoice.published_at = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    invoice.save()
    return invoice


def test_which_properties_are_in_quebec(prop: Property) -> None:
    assert is_quebec(prop)  # Quebec, the default province
    assert document_languages(prop, "en") == ("fr", "en")
    assert document_languages(prop, "fr") == ("fr", None)
    outside_quebec(prop)
    assert not is_quebec(prop)
    assert document_languages(prop, "en") == ("en", None)


def test_an_english_readers_invoice_of_a_quebec_property_is_french_with_english_beside(
    prop: Property,
) -> None:
    invoice = _open(prop)
    text = pdf_text(_english_manager(prop).get(reverse("invoicing:pdf", args=[prop.pk, invoice.pk])))
    for label in (
        "Facture / Invoice",
        "Nº 7 / No. 7",
        "Facturé à / Billed to",
        "Date d'émission / Issue date",
        "Date d'échéance / Due date",
        "Statut / Status Ouverte / Open",
        "Solde dû / Balance due",
        "Comment payer / How to pay",
    ):
        assert label in text, label
    # Amounts and dates in French, the main language.
    assert "1 234,50 $" in text and "2 mars 2026" in text
    assert "$1,234.50" not in text


def test_a_french_readers_invoice_is_french_alone(prop: Property) -> None:
    invoice = _open(prop)
    client = Client()
    client.force_login(member(prop, Role.MANAGER, language="fr"))
    text = pdf_text(client.get(reverse("invoicing:pdf", args=[prop.pk, invoice.pk])))
    assert "Date d'échéance" in text and "Due date" not in text and "Invoice" not in text


def test_outside_quebec_an_english_reader_gets_english_alone(prop: Property) -> None:
    outside_quebec(prop)
    invoice = _open(prop)
    text = pdf_text(_english_manager(prop).get(reverse("invoicing:pdf", args=[prop.pk, invoice.pk])))
    assert "Invoice" in text and "Due date" in text and "$1,234.50" in text
    assert "Facture" not in text and "Date d'échéance" not in text


def test_the_receipt_email_and_its_pdf_of_an_english_resident_in_quebec_are_bilingual(
    prop: Property, smtp_server: SMTPServer
) -> None:
    pay(invoice_for(prop, "en"))
    run_worker()
    [received] = smtp_server.messages
    assert received["Subject"] == (
        "Paiement reçu — Cotisation de décembre / Payment received — Cotisation de décembre"
    )
    text = body_text(received)
    french, english = text.index("Le reçu est joint"), text.index("The receipt is attached")
    assert french < english  # the French first, the English after it
    assert "Bonjour Marie Tremblay," in text and "Hello Marie Tremblay," in text
    html = body_text(received, "html")
    assert '<html lang="fr">' in html and '<div lang="en">' in html
    assert html.index("Montant reçu") < html.index("Amount received")
    [(_name, content)] = pdf_attachments(received)
    pdf = pdf_bytes_text(content)
    assert "Reçu / Receipt" in pdf and "Montant reçu / Amount received 1 000,00 $" in pdf


def test_the_new_invoice_email_of_an_english_resident_in_quebec_is_bilingual_with_one_pay_link(
    prop: Property, smtp_server: SMTPServer
) -> None:
    draft = invoice_for(prop, "en")
    draft.status, draft.number, draft.notify_resident = InvoiceStatus.DRAFT, None, True
    draft.due_date = dt.date.today() + dt.timedelta(days=20)
    draft.save()
    publish_invoice(actor=member(prop, Role.MANAGER), invoice_id=draft.pk)
    run_worker()
    [received] = smtp_server.messages
    assert str(received["Subject"]).startswith("Nouvelle facture — Cotisation de décembre / New invoice — ")
    text = body_text(received)
    assert text.index("Bonjour Marie Tremblay,") < text.index("Hello Marie Tremblay,")
    # Both halves carry the same « Voir et payer » link: one link made for the email.
    assert PayLink.objects.filter(invoice=draft).count() == 1
    links = re.findall(r"https?://\S+/link/\S+", text)
    assert len(links) == 2 and links[0] == links[1], links


def test_the_new_invoice_email_outside_quebec_is_english_alone(
    prop: Property, smtp_server: SMTPServer
) -> None:
    outside_quebec(prop)
    draft = InvoiceFactory(
        property=prop,
        unit=invoice_for(prop, "en").unit,
        title="Monthly fees",
        amount=Decimal("100.00"),
        notify_resident=True,
        due_date=dt.date.today() + dt.timedelta(days=20),
    )
    publish_invoice(actor=member(prop, Role.MANAGER), invoice_id=draft.pk)
    run_worker()
    [received] = smtp_server.messages
    assert received["Subject"] == "New invoice — Monthly fees"
    assert "Bonjour" not in body_text(received)


@pytest.mark.parametrize("quebec", [True, False])
def test_the_portal_invoice_and_receipt_pages_of_an_english_resident(
    marie: User, marie_client: Client, unit: Unit, quebec: bool
) -> None:
    marie.language = "en"
    marie.save()
    if not quebec:
        outside_quebec(unit.property)
    invoice = portal_published(unit, 7)
    payment = portal_pay(invoice)
    page = marie_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    receipt = marie_client.get(reverse("portal:receipt", args=[payment.pk])).content.decode()
    if quebec:
        assert "Solde dû / Balance due" in page and "Date d&#x27;échéance / Due date" in page
        assert "Facture nº 7 / Invoice no. 7" in page
        assert "Montant reçu / Amount received" in receipt
    else:
        assert "Balance due" in page and "Solde dû" not in page
        assert "Amount received" in receipt and "Montant reçu" not in receipt
    # The rest of the page stays in the resident's language.
    assert "Download the PDF" in page


def test_a_reversed_receipt_says_so_in_french_and_english(prop: Property) -> None:
    from logis.payments.services import reverse_payment

    payment = pay(invoice_for(prop, "en"))
    reverse_payment(property=prop, payment_id=payment.pk, actor=member(prop, Role.MANAGER), reason="NSF")
    text = pdf_text(_english_manager(prop).get(reverse("payments:receipt_pdf", args=[prop.pk, payment.pk])))
    assert "PAIEMENT CONTREPASSÉ / PAYMENT REVERSED" in text
    assert text.index("Ce paiement a été contrepassé le") < text.index("This payment was reversed on")


def test_the_view_and_pay_page_in_english_of_a_quebec_invoice_has_its_labels_in_french_too(
    prop: Property,
) -> None:
    from urllib.parse import urlsplit

    from logis.payments.paylinks import create_pay_link

    invoice = invoice_for(prop, "en")
    invoice.published_at = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    invoice.save()
    path = urlsplit(create_pay_link(invoice=invoice)).path
    page = Client().get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Solde dû / Balance due" in page and "Montant payé / Amount paid" in page
