"""CSV exports: content, languages, plain amounts, formula injection, streaming."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.core.csv_export import safe_cell
from logis.core.dates import today_in
from logis.invoicing.models import InvoiceStatus
from logis.payments.models import Payment, PaymentKind, PaymentStatus
from logis.properties.models import Property
from tests.factories import InvoiceFactory, UnitFactory, open_invoice

pytestmark = pytest.mark.django_db


def _client(user: User, language: str) -> Client:
    user.language = language
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _read(response: Any) -> tuple[bytes, list[list[str]]]:
    assert isinstance(response, StreamingHttpResponse)
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _invoices(prop: Property) -> None:
    today = today_in(prop.timezone)
    unit = UnitFactory(property=prop, number="101")
    open_invoice(
        prop,
        number=1,
        unit=unit,
        title="Frais de copropriété",
        amount=Decimal("1234.50"),
        amount_paid=Decimal("200.25"),
        due_date=today - dt.timedelta(days=3),
    )
    open_invoice(
        prop, number=2, unit=unit, title='=HYPERLINK("http://x")', due_date=today + dt.timedelta(days=5)
    )
    InvoiceFactory(property=prop, unit=unit, title="Brouillon")  # a draft is not exported


def test_invoices_csv_in_french(prop: Property, manager: User) -> None:
    _invoices(prop)
    response = _client(manager, "fr").get(reverse("reports:invoices_csv", args=[prop.pk]))
    raw, rows = _read(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = today_in(prop.timezone).isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="factures-{prop.pk}-{today}.csv"'
    assert rows[0] == [
        "Numéro",
        "Unité",
        "Titre",
        "Montant",
        "Montant payé",
        "Solde dû",
        "Date d'échéance",
        "Statut",
        "Publiée le",
    ]
    assert len(rows) == 3
    first = rows[1]
    assert first[:6] == ["1", "101", "Frais de copropriété", "1234.50", "200.25", "1034.25"]
    assert first[7] == "En retard"
    assert rows[2][2] == '\'=HYPERLINK("http://x")'
    assert rows[2][7] == "Ouverte"


def test_invoices_csv_in_english(prop: Property, manager: User) -> None:
    _invoices(prop)
    response = _client(manager, "en").get(reverse("reports:invoices_csv", args=[prop.pk]))
    _, rows = _read(response)
    assert rows[0] == [
        "Number",
        "Unit",
        "Title",
        "Amount",
        "Amount paid",
        "Balance due",
        "Due date",
        "Status",
        "Published on",
    ]
    assert rows[1][7] == "Overdue"
    assert response["Content-Disposition"].startswith(f'attachment; filename="invoices-{prop.pk}-')


def test_voided_published_invoice_is_exported_with_no_balance(prop: Property, manager: User) -> None:
    InvoiceFactory(property=prop, number=7, status=InvoiceStatus.VOID, amount=Decimal("80.00"))
    _, rows = _read(_client(manager, "fr").get(reverse("reports:invoices_csv", args=[prop.pk])))
    assert rows[1][0] == "7"
    assert rows[1][5] == "0.00"
    assert rows[1][7] == "Annulée"


def test_payments_csv_in_both_languages(prop: Property, manager: User) -> None:
    invoice = open_invoice(prop, number=4, amount=Decimal("500.00"), amount_paid=Decimal("150.00"))
    Payment.objects.create(
        property=prop,
        unit=invoice.unit,
        invoice=invoice,
        amount=Decimal("150.00"),
        paid_on=dt.date(2026, 1, 15),
        method="cheque",
        reference="-chq 42",
    )
    Payment.objects.create(
        property=prop,
        unit=invoice.unit,
        invoice=invoice,
        amount=Decimal("99.00"),
        paid_on=dt.date(2026, 1, 16),
        method="card",
        status=PaymentStatus.FAILED,
    )
    response = _client(manager, "fr").get(reverse("reports:payments_csv", args=[prop.pk]))
    raw, rows = _read(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "paiements-" in response["Content-Disposition"]
    assert rows[0] == [
        "Date",
        "Unité",
        "Numéro de facture",
        "Type",
        "Mode",
        "Montant",
        "Référence",
        "Crédit appliqué",
    ]
    assert rows[1:] == [
        ["2026-01-15", invoice.unit.number, "4", "Paiement", "Chèque", "150.00", "'-chq 42", ""]
    ]
    _, english = _read(_client(manager, "en").get(reverse("reports:payments_csv", args=[prop.pk])))
    assert english[0] == [
        "Date",
        "Unit",
        "Invoice number",
        "Kind",
        "Method",
        "Amount",
        "Reference",
        "Credit applied",
    ]
    assert english[1][3:5] == [str(PaymentKind.PAYMENT.label), "Cheque"]


@pytest.mark.parametrize("text", ["=1+1", "+33", "-2", "@SUM(A1)", "\tx"])
def test_cells_starting_like_a_formula_get_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_ordinary_cells_are_left_alone() -> None:
    assert safe_cell("Unité 1 = A") == "Unité 1 = A"
    assert safe_cell(None) == ""


def test_export_streams_in_chunks_with_constant_queries(
    prop: Property, manager: User, django_assert_max_num_queries: Any
) -> None:
    unit = UnitFactory(property=prop, number="1")
    for n in range(1, 31):
        open_invoice(prop, number=n, unit=unit)
    client = _client(manager, "fr")
    with django_assert_max_num_queries(8):
        _, rows = _read(client.get(reverse("reports:invoices_csv", args=[prop.pk])))
    assert len(rows) == 31
