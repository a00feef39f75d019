"""Issue 11: an invoice of several lines, one of a taxable category, shows its lines and its GST and QST
with the syndicate's registration numbers on every document a resident gets — the PDF, the « new
invoice » email, the portal page — and its lines in the invoice-lines export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.finances.models import CategoryCode, ChargeCategory
from logis.finances.selectors import ensure_finance_defaults
from logis.finances.services import update_tax_registration
from logis.invoicing.lines import LineInput
from logis.invoicing.models import Invoice
from logis.invoicing.services import create_invoice, publish_invoice
from logis.properties.models import Property, Unit
from tests.documents.conftest import pdf_text
from tests.factories import member
from tests.smtp import SMTPServer, body_text, run_worker

pytestmark = pytest.mark.django_db

GST = "123456789RT0001"
QST = "1234567890TQ0001"


def _two_lines(prop: Property, unit: Unit) -> Invoice:
    """Cotisation 250,00 $ (exempt) and Stationnement 100,00 $ (taxable): 5,00 $ GST, 9,98 $ QST."""
    treasurer = member(prop, Role.TREASURER)
    ensure_finance_defaults(prop)
    update_tax_registration(actor=treasurer, property=prop, gst_number=GST, qst_number=QST)
    parking = ChargeCategory.objects.get(property=prop, code=CategoryCode.PARKING)
    parking.taxable = True
    parking.save(update_fields=["taxable"])
    invoice = create_invoice(
        actor=treasurer,
        property=prop,
        unit_id=unit.pk,
        title="Décembre",
        amount=None,
        due_date=today_in(prop.timezone) + dt.timedelta(days=10),
        notify_resident=True,
        lines=[
            LineInput("Cotisation de décembre", None, Decimal("250.00")),
            LineInput("Stationnement P-4", parking.pk, Decimal("100.00")),
        ],
    )
    publish_invoice(actor=treasurer, invoice_id=invoice.pk)
    return Invoice.objects.get(pk=invoice.pk)


def test_the_invoice_pdf_lists_the_lines_and_the_taxes_with_the_registration_numbers(
    prop: Property, unit: Unit, marie_client: Client
) -> None:
    invoice = _two_lines(prop, unit)
    assert invoice.amount == Decimal("364.98")
    text = pdf_text(marie_client.get(reverse("portal:invoice_pdf", args=[invoice.pk])))
    assert "Cotisation de décembre" in text and "Stationnement P-4" in text
    assert GST in text and QST in text
    assert "5,00 $" in text and "9,98 $" in text and "364,98 $" in text


def test_the_new_invoice_email_lists_the_lines_and_the_registration_numbers(
    prop: Property, unit: Unit, smtp_server: SMTPServer
) -> None:
    _two_lines(prop, unit)
    run_worker()
    [received] = smtp_server.messages
    for part in ("plain", "html"):
        text = body_text(received, part)
        assert "Cotisation de décembre" in text and "Stationnement P-4" in text, part
        assert f"No de TPS {GST}" in text and f"No de TVQ {QST}" in text, part


def test_an_email_without_a_taxed_line_has_no_registration_numbers(
    prop: Property, unit: Unit, smtp_server: SMTPServer
) -> None:
    treasurer = member(prop, Role.TREASURER)
    update_tax_registration(actor=treasurer, property=prop, gst_number=GST, qst_number=QST)
    invoice = create_invoice(
        actor=treasurer,
        property=prop,
        unit_id=unit.pk,
        title="Décembre",
        amount=None,
        due_date=today_in(prop.timezone) + dt.timedelta(days=10),
        notify_resident=True,
        lines=[LineInput("Cotisation", None, Decimal("250.00")), LineInput("Puce", None, Decimal("35.00"))],
    )
    publish_invoice(actor=treasurer, invoice_id=invoice.pk)
    run_worker()
    [received] = smtp_server.messages
    assert "Puce" in body_text(received) and GST not in body_text(received)


def test_the_portal_page_shows_the_lines_and_the_registration_numbers(
    prop: Property, unit: Unit, marie_client: Client
) -> None:
    invoice = _two_lines(prop, unit)
    page = marie_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert "Cotisation de décembre" in page and "Stationnement P-4" in page
    assert GST in page and QST in page


def test_the_invoice_lines_export_has_one_row_per_line_with_its_fund_and_taxes(
    prop: Property, unit: Unit, marie: User
) -> None:
    invoice = _two_lines(prop, unit)
    client = Client()
    client.force_login(member(prop, Role.TREASURER, language="fr"))
    response = client.get(reverse("reports:invoice_lines_csv", args=[prop.pk]), {"format": "csv-fr"})
    rows = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    mine = [r for r in rows[1:] if str(invoice.number) in r]
    assert len(mine) == 2
    parking = next(r for r in mine if "Stationnement P-4" in r)
    assert "100,00" in parking and "5,00" in parking and "9,98" in parking
