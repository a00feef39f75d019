"""Deposit batches: several cheques in one screen, one payment and one receipt each, a slip to print."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook  # type: ignore[import-untyped]

from logis.banking import services
from logis.banking.models import DepositBatch
from logis.core.errors import ValidationError
from logis.notifications.models import EmailMessage
from logis.payments.models import Payment
from tests.banking.scenario import syndicate
from tests.documents.conftest import pdf_text

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_each_cheque_is_one_payment_on_the_units_invoice_all_or_none() -> None:
    s = syndicate()
    token = uuid.uuid4()
    rows = [
        services.ChequeRow(unit_id=s.units["101"].pk, cheque_number="0457", amount=Decimal("300.00")),
        # Unit 102: 125.50 is the balance of #4 (not the oldest #2): the exact one is paid.
        services.ChequeRow(unit_id=s.units["102"].pk, cheque_number="0458", amount=Decimal("125.50")),
        services.ChequeRow(unit_id=s.units["102"].pk, cheque_number="0459", amount=Decimal("100.00")),
        services.ChequeRow(unit_id=None, cheque_number="", amount=None),  # an empty row is skipped
    ]
    batch = services.record_deposit_batch(
        property=s.prop, actor=s.manager, deposited_on=TODAY, rows=rows, request_token=token
    )
    again = services.record_deposit_batch(
        property=s.prop, actor=s.manager, deposited_on=TODAY, rows=rows, request_token=token
    )
    assert again == batch and batch.number == 1
    payments = {p.invoice.number: p for p in Payment.objects.select_related("invoice")}
    assert set(payments) == {1, 2, 4}
    assert payments[4].amount == Decimal("125.50") and payments[4].reference == "Chèque 0458"
    assert payments[2].amount == Decimal("100.00") and payments[2].method == "cheque"
    assert batch.items.count() == 3
    assert EmailMessage.objects.count() == 3  # one receipt each


def test_a_cheque_no_invoice_can_take_refuses_the_whole_deposit_beside_its_row() -> None:
    s = syndicate()
    rows = [
        services.ChequeRow(unit_id=s.units["101"].pk, cheque_number="1", amount=Decimal("300.00")),
        services.ChequeRow(unit_id=s.units["205"].pk, cheque_number="2", amount=Decimal("900.00")),
        services.ChequeRow(unit_id=None, cheque_number="3", amount=Decimal("10.00")),
    ]
    with pytest.raises(ValidationError) as caught:
        services.record_deposit_batch(
            property=s.prop, actor=s.manager, deposited_on=TODAY, rows=rows, request_token=uuid.uuid4()
        )
    assert set(caught.value.errors) == {"rows-1-amount", "rows-2-unit"}
    assert not Payment.objects.exists() and not DepositBatch.objects.exists()


def test_the_page_adds_rows_records_and_prints_the_slip() -> None:
    s = syndicate()
    client = Client()
    client.force_login(s.manager)
    url = f"/p/{s.prop.pk}/bank/deposits/new/"
    page = client.get(url)
    assert page.status_code == 200
    token = page.context["form"].initial["token"]
    data = {
        "token": token,
        "rows": "5",
        "deposited_on": TODAY.isoformat(),
        "rows-0-unit": s.units["205"].pk,
        "rows-0-cheque_number": "0099",
        "rows-0-amount": "300,00",
    }
    more = client.post(url, {**data, "add_row": "1"})
    assert more.status_code == 200 and len(more.context["row_forms"]) == 6
    assert 'value="0099"' in more.content.decode()
    bad = client.post(url, {**data, "rows-1-unit": s.units["101"].pk, "rows-1-amount": "abc"})
    assert bad.status_code == 400 and not Payment.objects.exists()
    done = client.post(url, data)
    assert done.status_code == 302
    batch = DepositBatch.objects.get()
    slip = client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip/")
    body = slip.content.decode()
    assert slip.status_code == 200 and "Bordereau de dépôt" in body and "0099" in body and "300,00" in body
    assert f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip.pdf" in body
    pdf = pdf_text(client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip.pdf"))
    assert "Bordereau de dépôt" in pdf and "0099" in pdf and "300,00" in pdf and "Signature" in pdf

    # The slip also as a table for the treasurer's books (issue 11: every report also as XLSX and fr-CA CSV).
    export = f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip/export/"
    assert f'href="{export}?format=xlsx"' in body and f'href="{export}?format=csv-fr"' in body
    french = client.get(export, {"format": "csv-fr"})
    assert "bordereau-de-depot" in french["Content-Disposition"]
    lines = list(
        csv.reader(io.StringIO(b"".join(french.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert lines[0] == ["Date du dépôt", "Unité", "Mode", "Numéro du chèque", "Facture", "Montant"]
    assert lines[1][:4] == [TODAY.isoformat(), "205", "Chèque", "0099"] and lines[1][5] == "300,00"
    assert lines[-1] == ["", "", "", "", "Total, 1 chèque", "300,00"]
    workbook = client.get(export, {"format": "xlsx"})
    rows = list(
        load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active.iter_rows(values_only=True)
    )
    assert rows[-1] == (None, None, None, None, "Total, 1 chèque", 300)


def test_a_cheque_larger_than_any_one_invoice_is_split_over_the_units_invoices() -> None:
    s = syndicate()
    rows = [services.ChequeRow(unit_id=s.units["102"].pk, cheque_number="0500", amount=Decimal("500.00"))]
    batch = services.record_deposit_batch(
        property=s.prop, actor=s.manager, deposited_on=TODAY, rows=rows, request_token=uuid.uuid4()
    )
    item = batch.items.get()
    assert item.remittance is not None and item.amount == Decimal("500.00")
    shares = {p.invoice.number: p.amount for p in item.remittance.payments.select_related("invoice")}
    assert shares == {2: Decimal("450.00"), 4: Decimal("50.00")}  # the oldest (then lowest number) first
    assert EmailMessage.objects.count() == 1  # one receipt listing both invoices
    client = Client()
    client.force_login(s.manager)
    slip = pdf_text(client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip.pdf"))
    assert "0500" in slip and "#2" in slip and "#4" in slip and "500,00" in slip
    page = client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/").content.decode()
    assert f"/payments/several-invoices/{item.remittance.pk}/receipt/" in page


def test_cash_taken_with_the_cheques_is_on_the_same_slip_with_its_own_subtotal() -> None:
    """Issue 11: a deposit slip « of cheques and cash received together »."""
    s = syndicate()
    client = Client()
    client.force_login(s.manager)
    url = f"/p/{s.prop.pk}/bank/deposits/new/"
    token = client.get(url).context["form"].initial["token"]
    data = {
        "token": token,
        "rows": "5",
        "deposited_on": TODAY.isoformat(),
        "rows-0-unit": s.units["101"].pk,
        "rows-0-method": "cheque",
        "rows-0-cheque_number": "0457",
        "rows-0-amount": "300,00",
        "rows-1-unit": s.units["205"].pk,
        "rows-1-method": "cash",
        "rows-1-cheque_number": "12",
        "rows-1-amount": "100,00",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400 and not Payment.objects.exists()
    assert "Le comptant n&#x27;a pas de numéro de chèque" in refused.content.decode()
    assert client.post(url, {**data, "rows-1-cheque_number": ""}).status_code == 302
    cash = Payment.objects.get(invoice=s.invoices[3])
    assert cash.method == "cash" and cash.amount == Decimal("100.00") and cash.reference == "Dépôt 1"
    batch = DepositBatch.objects.get()
    body = client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip/").content.decode()
    for text in ("Comptant", "Total, 1 chèque", "Total déposé", "400,00"):
        assert text in body, text
    pdf = pdf_text(client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip.pdf"))
    assert "Comptant 100,00 $" in pdf and "Total, 1 chèque 300,00 $" in pdf and "Total déposé 400,00 $" in pdf
    export = client.get(f"/p/{s.prop.pk}/bank/deposits/{batch.pk}/slip/export/", {"format": "csv-fr"})
    lines = list(
        csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert lines[0] == ["Date du dépôt", "Unité", "Mode", "Numéro du chèque", "Facture", "Montant"]
    assert [line[4:] for line in lines[-3:]] == [
        ["Total, 1 chèque", "300,00"], ["Comptant", "100,00"], ["Total déposé", "400,00"],
    ]  # fmt: skip
