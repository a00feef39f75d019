"""The Paiements page's « Net » is the money that moved (decision 0030): payments received, less
reversals, refunds and unit credit refunded to residents; what went back is shown negative on the page,
in payments.csv (and its fr-CA and XLSX variants) and in the API's ``signed_amount``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.credits import apply_credit, refund_credit
from logis.payments.models import Payment
from logis.payments.selectors import property_payment_totals
from logis.payments.services import record_payment, reverse_payment
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _invoice(prop: Property, unit: Unit, number: int, amount: str) -> Invoice:
    return InvoiceFactory(
        property=prop, unit=unit, amount=Decimal(amount), status=InvoiceStatus.OPEN, number=number
    )


def _pay(prop: Property, invoice: Invoice, actor: User, amount: str, method: str = "cheque") -> Payment:
    return record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        paid_on=today_in(prop.timezone),
        method=method,
        reference="chq 7",
    )


@pytest.fixture
def moved(prop: Property, manager: User) -> Unit:
    """500 received on invoice 1, 200 on invoice 2 then voided (200 of credit), 80 of the credit given
    back by cheque, 50 received in cash then reversed: 750 in, 130 out, 620 net."""
    unit = UnitFactory(property=prop, number="305")
    _pay(prop, _invoice(prop, unit, 1, "500.00"), manager, "500.00")
    second = _invoice(prop, unit, 2, "300.00")
    _pay(prop, second, manager, "200.00")
    void_invoice(actor=manager, property=prop, invoice_id=second.pk, reason="Erreur de montant")
    refund_credit(
        property=prop,
        unit_id=unit.pk,
        amount=Decimal("80.00"),
        method="cheque",
        reason="Chèque 88",
        actor=manager,
    )
    reversed_ = _pay(prop, _invoice(prop, unit, 3, "50.00"), manager, "50.00", method="cash")
    reverse_payment(property=prop, payment_id=reversed_.pk, actor=manager, reason="Chèque sans provision")
    return unit


def _client(user: User, language: str) -> Client:
    user.language = language
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _text(html: str, total: str) -> str:
    match = re.search(rf'data-total="{total}">([^<]*)<', html)
    assert match, total
    return match.group(1).replace("\u00a0", " ").replace("\u202f", " ")


def test_a_credit_refunded_to_a_resident_lowers_the_net(prop: Property, moved: Unit, manager: User) -> None:
    html = _client(manager, "fr").get(reverse("payments:list", args=[prop.pk])).content.decode()
    assert _text(html, "received") == "750,00 $"
    assert _text(html, "returned") == "\u2212130,00 $"
    assert _text(html, "net") == "620,00 $"
    # The refund is listed, negative, with its unit and reason.
    assert "Crédit de l'unité remboursé aux résidents" in html
    assert "Chèque 88" in html
    assert "\u221280,00\u00a0$" in html
    # The reversal is negative in the list too.
    assert "\u221250,00\u00a0$" in html


def test_the_net_of_a_filter_counts_only_the_credit_refunds_it_matches(
    prop: Property, moved: Unit, manager: User
) -> None:
    url = reverse("payments:list", args=[prop.pk])
    manager_client = _client(manager, "en")
    only_payments = manager_client.get(url, {"kind": "payment"}).content.decode()
    assert _text(only_payments, "net") == "$750.00"
    assert "Chèque 88" not in only_payments
    refunds = manager_client.get(url, {"kind": "refund"}).content.decode()
    assert _text(refunds, "net") == "\u2212$80.00"
    yesterday = (today_in(prop.timezone) - dt.timedelta(days=1)).isoformat()
    before = manager_client.get(url, {"date_to": yesterday}).content.decode()
    assert "Chèque 88" not in before


def test_payments_csv_has_the_credit_refund_row_negative(prop: Property, moved: Unit, manager: User) -> None:
    response = _client(manager, "fr").get(reverse("reports:payments_csv", args=[prop.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    body = rows[1:]
    today = today_in(prop.timezone).isoformat()
    assert [today, "305", "", "Remboursement de crédit de l'unité", "Chèque", "-80.00", "", ""] in body
    assert sorted(Decimal(r[5]) for r in body) == sorted(
        Decimal(a) for a in ["500.00", "200.00", "-80.00", "50.00", "-50.00"]
    )
    # The file adds up to the page's Net.
    assert sum(Decimal(r[5]) for r in body) == Decimal("620.00")


def test_credit_applied_moves_no_money_so_payments_csv_still_adds_up_to_the_net(
    prop: Property, moved: Unit, manager: User
) -> None:
    """The unit's credit (120 left) applied to a new invoice is a row of the file with its amount under
    « Crédit appliqué », not under « Montant »: the Amount column still adds up to the page's Net."""
    fourth = _invoice(prop, moved, 4, "40.00")
    apply_credit(
        property=prop, unit_id=moved.pk, invoice_id=fourth.pk, amount=Decimal("40.00"), actor=manager
    )
    response = _client(manager, "fr").get(reverse("reports:payments_csv", args=[prop.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "Crédit appliqué"
    applied = [r for r in rows[1:] if r[4] == "Crédit au compte"]
    assert len(applied) == 1 and applied[0][5] == "" and applied[0][7] == "40.00"
    assert sum(Decimal(r[5]) for r in rows[1:] if r[5]) == Decimal("620.00")
    assert property_payment_totals(property=prop)["net"] == Decimal("620.00")


def test_payments_csv_for_excel_fr_ca_and_xlsx_hold_the_same_signed_figures(
    prop: Property, moved: Unit, manager: User
) -> None:
    url = reverse("reports:payments_csv", args=[prop.pk])
    response = _client(manager, "fr").get(url, {"format": "csv-fr"})
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Disposition"].endswith('-excel.csv"')
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
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
    amounts = [r[5] for r in rows[1:]]
    assert "-80,00" in amounts and "500,00" in amounts
    assert sum(Decimal(a.replace(",", ".")) for a in amounts) == Decimal("620.00")

    response = _client(manager, "en").get(url, {"format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == (
        "Date",
        "Unit",
        "Invoice number",
        "Kind",
        "Method",
        "Amount",
        "Reference",
        "Credit applied",
    )
    refund = next(r for r in values[1:] if r[3] == "Unit credit refund")
    assert refund[0] == dt.datetime.combine(today_in(prop.timezone), dt.time())
    assert refund[5] == -80 and refund[2] is None
    assert sheet.cell(row=2, column=6).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=1).number_format == "yyyy-mm-dd"
    assert sum(Decimal(str(r[5])) for r in values[1:]) == Decimal("620.00")
