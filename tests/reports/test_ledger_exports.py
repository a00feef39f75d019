"""The treasurer's accounting exports (decision 0035): the general journal as CSV, fr-CA CSV, XLSX and
QuickBooks Online's journal-entry CSV, parsed back and balanced per entry; the chart of accounts edited
through its service and page; the fund balances tied to the trial balance; constant queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.finances.models import Fund, FundKind
from logis.finances.selectors import ensure_finance_defaults
from logis.invoicing import services as invoicing
from logis.invoicing.models import Invoice
from logis.ledger import posting
from logis.ledger.accounts import update_account
from logis.ledger.models import Account, AccountKind, EntryKind, JournalLine
from logis.ledger.posting import Leg, account
from logis.ledger.selectors import fund_balances, journal_export_lines, trial_balance
from logis.payments.services import record_payment
from logis.properties.models import Property
from logis.reports.ledger_exports import QBO_HEADERS
from tests.factories import PropertyFactory, UnitFactory, member

D = Decimal


@pytest.fixture
def treasurer(prop: Property):  # type: ignore[no-untyped-def]
    return member(prop, Role.TREASURER, email="tresorier@example.com")


@pytest.fixture
def client(treasurer) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(treasurer)
    return c


def published(prop: Property, actor, amount: str, unit=None) -> Invoice:  # type: ignore[no-untyped-def]
    unit = unit or UnitFactory(property=prop)
    invoice = invoicing.create_invoice(
        actor=actor, property=prop, unit_id=unit.pk, title="Cotisation, mars", amount=D(amount),
        due_date=today_in(prop.timezone) + dt.timedelta(days=10),
    )  # fmt: skip
    invoicing.publish_invoice(actor=actor, invoice_id=invoice.pk)
    invoice.refresh_from_db()
    return invoice


def _fund(prop: Property, kind: str) -> Fund:
    ensure_finance_defaults(prop)
    return Fund.objects.get(property=prop, kind=kind)


def books(prop: Property, actor) -> None:  # type: ignore[no-untyped-def]
    """An opening balance of the contingency fund, an opening credit with no fund, two invoices, a
    payment: entries of several kinds, funds and units."""
    contingency = _fund(prop, FundKind.CONTINGENCY)
    unit = UnitFactory(property=prop, number="305")
    posting.post(
        property_id=prop.pk, date=dt.date(2020, 1, 1), kind=EntryKind.OPENING_CREDIT, source_type="test",
        source_id=None, memo="Solde d'ouverture",
        legs=[Leg(account(prop.pk, AccountKind.BANK), D("5000.00")),
              Leg(account(prop.pk, AccountKind.OPENING_EQUITY), D("-5000.00"), fund_id=contingency.pk)],
    )  # fmt: skip
    posting.post(
        property_id=prop.pk, date=dt.date(2020, 1, 1), kind=EntryKind.OPENING_CREDIT, source_type="test",
        source_id=None,
        legs=[Leg(account(prop.pk, AccountKind.OPENING_EQUITY), D("40.00")),
              Leg(account(prop.pk, AccountKind.UNIT_CREDIT), D("-40.00"), unit_id=unit.pk)],
    )  # fmt: skip
    first = published(prop, actor, "1234.56", unit=unit)
    published(prop, actor, "300.00")
    record_payment(property=prop, invoice_id=first.pk, actor=actor, amount=D("1000.00"),
                   paid_on=today_in(prop.timezone), method="cheque")  # fmt: skip


def _entries_balance(
    rows: list[dict[str, str]], key: str, debit: str, credit: str, comma: bool = False
) -> None:
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for row in rows:
        for i, col in enumerate((debit, credit)):
            text = row[col].replace(",", ".") if comma else row[col]
            sums[row[key]][i] += D(text) if text else D(0)
    assert sums and all(d == c and d > 0 for d, c in sums.values()), sums


def test_journal_csv_parses_back_with_codes_names_units_funds_and_balances_per_entry(
    prop: Property, treasurer, client: Client
) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    response = client.get(reverse("reports:journal_export", args=[prop.pk]), {"start": "", "end": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "Date", "Écriture", "Type", "Note", "Source", "Contrepasse l'écriture",
        "Code du compte", "Nom du compte", "Unité", "Fonds", "Débit", "Crédit",
    ]  # fmt: skip
    assert len(rows) == JournalLine.objects.filter(entry__property=prop).count()
    _entries_balance(rows, "Écriture", "Débit", "Crédit")
    assert rows[0]["Date"] == "2020-01-01", "oldest first"
    opening = [r for r in rows if r["Code du compte"] == "3900" and r["Fonds"]]
    assert opening[0]["Fonds"] == "Fonds de prévoyance" and opening[0]["Crédit"] == "5000.00"
    receivable = [r for r in rows if r["Code du compte"] == "1100"]
    assert {r["Unité"] for r in receivable} >= {"305"}
    assert any(r["Débit"] == "1234.56" and "Cotisation, mars" in r["Note"] for r in receivable)
    assert any(r["Code du compte"] == "1010" and r["Débit"] == "1000.00" for r in rows)


def test_journal_date_range_and_formats(prop: Property, treasurer, client: Client) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    url = reverse("reports:journal_export", args=[prop.pk])
    today = today_in(prop.timezone).isoformat()
    recent = client.get(url, {"start": "2021-01-01", "end": today, "format": "csv-fr"})
    assert recent["Content-Disposition"].endswith('-excel.csv"')
    text = b"".join(recent.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows and all(r["Date"] >= "2021-01-01" for r in rows), "the range leaves out 2020"
    assert any(r["Débit"] == "1234,56" for r in rows), "decimal comma"
    _entries_balance(rows, "Écriture", "Débit", "Crédit", comma=True)

    book = load_workbook(
        io.BytesIO(b"".join(client.get(url, {"start": "", "end": "", "format": "xlsx"}).streaming_content))
    )
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    header, data = values[0], values[1:]
    assert header[0] == "Date" and header[-2:] == ("Débit", "Crédit")
    assert isinstance(data[0][0], dt.datetime) and isinstance(data[0][1], int)
    debit = sum((D(str(r[-2])) for r in data if r[-2] is not None), D(0))
    credit = sum((D(str(r[-1])) for r in data if r[-1] is not None), D(0))
    assert debit == credit > 0


def test_journal_export_refuses_bad_dates_beside_the_field(prop: Property, client: Client) -> None:
    url = reverse("reports:journal_export", args=[prop.pk])
    bad = client.get(url, {"start": "2026-02-31", "end": "2026-03-01"})
    page = bad.content.decode()
    assert bad.status_code == 400 and "2026-02-31" in page and "invalid-feedback" in page
    backwards = client.get(url, {"start": "2026-03-01", "end": "2026-01-01"}).content.decode()
    assert "La date de fin précède la date de début." in backwards


def test_qbo_file_has_qbo_headers_and_balanced_journal_numbers(
    prop: Property, treasurer, client: Client
) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    bank = Account.objects.get(property=prop, kind=AccountKind.BANK)
    update_account(actor=treasurer, property=prop, account_id=bank.pk, code="1000",
                   export_name="Desjardins:Opérations")  # fmt: skip
    response = client.get(
        reverse("reports:journal_export", args=[prop.pk]), {"start": "", "end": "", "format": "qbo"}
    )
    raw = b"".join(response.streaming_content)
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM: QBO matches the header names"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert list(rows[0]) == QBO_HEADERS == ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits",
                                            "Description", "Name", "Currency"]  # fmt: skip
    _entries_balance(rows, "JournalNo", "Debits", "Credits")
    assert rows[0]["JournalDate"] == "01/01/2020"
    dates = defaultdict(set)
    for row in rows:
        dates[row["JournalNo"]].add(row["JournalDate"])
        assert (row["Debits"] == "") != (row["Credits"] == ""), "one side per line"
        assert row["Currency"] == "CAD"
    assert all(len(d) == 1 for d in dates.values()), "one date per journal number"
    assert any(r["AccountName"] == "Desjardins:Opérations" and r["Debits"] == "1000.00" for r in rows)
    assert any(r["Name"] == "305" for r in rows)


def test_trial_balance_and_fund_balances_downloads(prop: Property, treasurer, client: Client) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    tb = client.get(reverse("reports:trial_balance_export", args=[prop.pk]), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(tb.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0] == ("Code", "Compte", "Débit", "Crédit")
    assert rows[-1][1] == "Total" and rows[-1][2] == rows[-1][3]
    funds = client.get(reverse("reports:fund_balances_export", args=[prop.pk]), {"format": "csv-fr"})
    text = b"".join(funds.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][0] == "Fonds"
    assert ["Fonds de prévoyance", "5000,00", "0,00", "0,00", "5000,00"] in lines
    assert lines[-1][0] == "Total"


def test_fund_balances_total_equals_the_revenue_and_opening_equity_of_the_trial_balance(
    prop: Property, treasurer
) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    invoicing.void_invoice(actor=treasurer, invoice_id=published(prop, treasurer, "75.00").pk, reason="x",
                           property=prop)  # fmt: skip
    today = today_in(prop.timezone)
    report = fund_balances(property=prop, as_of=today, year_start=dt.date(today.year, 1, 1))
    balance = trial_balance(property=prop, as_of=today)
    tied = sum(
        (r.credit - r.debit for r in balance.rows
         if r.account.kind in (AccountKind.REVENUE, AccountKind.OPENING_EQUITY)),
        D(0),
    )  # fmt: skip
    assert report.balance == tied == D("5000.00") - D("40.00") + D("1234.56") + D("300.00")
    by_name = {r.name: r for r in report.rows}
    assert by_name["Fonds de prévoyance"].opening == D("5000.00")
    assert by_name["Fonds d'exploitation"].year_revenue == D("1534.56"), "the void is netted"
    assert by_name["Non attribué à un fonds"].opening == D("-40.00")
    earlier = fund_balances(property=prop, as_of=dt.date(2020, 6, 1), year_start=dt.date(2020, 1, 1))
    assert earlier.balance == D("4960.00") and earlier.year_revenue == 0


def test_fund_balances_page(prop: Property, treasurer, client: Client) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    url = reverse("reports:fund_balances", args=[prop.pk])
    page = client.get(url).content.decode()
    assert "Soldes des fonds" in page and "Fonds de prévoyance" in page and "6\u00a0494,56" in page
    bad = client.get(url, {"as_of": "2026-13-01"})
    assert bad.status_code == 400 and "2026-13-01" in bad.content.decode()


def test_update_account_changes_code_and_export_name_never_the_journal(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    bank = Account.objects.get(property=prop, kind=AccountKind.BANK)
    lines_before = list(JournalLine.objects.filter(account=bank).values_list("pk", "debit", "credit"))
    update_account(
        actor=treasurer, property=prop, account_id=bank.pk, code=" 1001 ", export_name="  Banque  "
    )
    bank.refresh_from_db()
    assert (bank.code, bank.export_name) == ("1001", "Banque")
    assert list(JournalLine.objects.filter(account=bank).values_list("pk", "debit", "credit")) == lines_before
    event = AuditEvent.objects.get(verb=Verb.LEDGER_ACCOUNT_UPDATED)
    assert event.before == {"code": "1010", "export_name": ""} and (event.after or {}).get("code") == "1001"
    with pytest.raises(ValidationError) as taken:
        update_account(actor=treasurer, property=prop, account_id=bank.pk, code="1100", export_name="")
    assert "code" in taken.value.errors
    with pytest.raises(ValidationError) as spaces:
        update_account(
            actor=treasurer, property=prop, account_id=bank.pk, code="10 10", export_name="x" * 101
        )
    assert set(spaces.value.errors) == {"code", "export_name"}
    board = member(prop, Role.BOARD, email="conseil@example.com")
    with pytest.raises(PermissionDenied):
        update_account(actor=board, property=prop, account_id=bank.pk, code="1002", export_name="")


def test_a_new_account_whose_default_code_is_taken_gets_the_next_free_code(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    bank = account(prop.pk, AccountKind.BANK)
    update_account(actor=treasurer, property=prop, account_id=bank.pk, code="1020", export_name="")
    clearing = account(prop.pk, AccountKind.STRIPE_CLEARING)
    assert clearing.code == "1020-2"


def test_chart_page_edits_a_code_with_errors_beside_the_field(
    prop: Property, treasurer, client: Client
) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    bank = Account.objects.get(property=prop, kind=AccountKind.BANK)
    chart = client.get(reverse("reports:chart", args=[prop.pk])).content.decode()
    assert "Plan comptable" in chart and "1010" in chart and "Modifier le compte « Banque »" in chart
    url = reverse("reports:account_edit", args=[prop.pk, bank.pk])
    bad = client.post(url, {"code": "1100", "export_name": "Caisse Desjardins"})
    page = bad.content.decode()
    assert bad.status_code == 400 and "is-invalid" in page and "a déjà ce code" in page
    assert 'value="Caisse Desjardins"' in page, "what was typed is kept"
    ok = client.post(url, {"code": "1000", "export_name": "Caisse Desjardins"})
    assert ok.status_code == 302
    after = client.get(reverse("reports:chart", args=[prop.pk])).content.decode()
    assert "Caisse Desjardins" in after
    journal = client.get(reverse("reports:journal_export", args=[prop.pk]), {"start": "", "end": ""})
    text = b"".join(journal.streaming_content).decode("utf-8-sig")
    assert "1000,Caisse Desjardins" in text


def test_board_member_sees_the_chart_but_cannot_edit(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    board = member(prop, Role.BOARD, email="conseil@example.com")
    c = Client()
    c.force_login(board)
    bank = Account.objects.get(property=prop, kind=AccountKind.BANK)
    chart = c.get(reverse("reports:chart", args=[prop.pk]))
    assert chart.status_code == 200 and "Modifier le compte" not in chart.content.decode()
    assert c.post(reverse("reports:account_edit", args=[prop.pk, bank.pk]), {"code": "1"}).status_code == 403
    other = PropertyFactory()
    assert c.get(reverse("reports:chart", args=[other.pk])).status_code == 404


def test_journal_export_lines_reads_by_chunks(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    everything = list(journal_export_lines(property=prop, start=None, end=None))
    small = list(journal_export_lines(property=prop, start=None, end=None, chunk=1))
    assert [line.pk for _e, line in small] == [line.pk for _e, line in everything]
    keys = [(e.date, e.pk) for e, _line in everything]
    assert keys == sorted(keys)


def _count(client: Client, url: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        else:
            assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_the_rows(prop: Property, treasurer, client: Client) -> None:  # type: ignore[no-untyped-def]
    books(prop, treasurer)
    urls = {
        "chart": (reverse("reports:chart", args=[prop.pk]), {}),
        "funds": (reverse("reports:fund_balances", args=[prop.pk]), {}),
        "journal": (reverse("reports:journal", args=[prop.pk]), {}),
        "csv": (reverse("reports:journal_export", args=[prop.pk]), {"start": "", "end": ""}),
        "qbo": (reverse("reports:journal_export", args=[prop.pk]), {"start": "", "end": "", "format": "qbo"}),
        "tb": (reverse("reports:trial_balance_export", args=[prop.pk]), {}),
    }
    before = {name: _count(client, url, params) for name, (url, params) in urls.items()}
    for _ in range(5):
        published(prop, treasurer, "12.00")
    after = {name: _count(client, url, params) for name, (url, params) in urls.items()}
    assert after == before, (before, after)


def test_api_lists_the_chart_of_accounts_with_codes_and_export_names(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import ApiClient, token_for

    books(prop, treasurer)
    bank = Account.objects.get(property=prop, kind=AccountKind.BANK)
    update_account(actor=treasurer, property=prop, account_id=bank.pk, code="1000", export_name="Caisse")
    api = ApiClient(token_for(treasurer), "en")
    response = api.get(f"/properties/{prop.pk}/ledger/accounts")
    assert response.status_code == 200
    body = response.json()
    assert [a["code"] for a in body] == sorted(a["code"] for a in body)
    assert {"code": "1000", "name": "Bank", "export_name": "Caisse"}.items() <= body[0].items()
    other = PropertyFactory()
    assert api.get(f"/properties/{other.pk}/ledger/accounts").status_code == 404
