"""Rapports > « Revenus par fonds et catégorie »: published invoice lines by local month of issue, per fund
and category, before taxes, over the property's fiscal year; voided invoices and drafts left out; the
same figures in the CSV, the fr-CA CSV and the XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from logis.accounts.models import User
from logis.finances.models import CategoryCode
from logis.finances.selectors import category_by_code, default_category
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.properties.models import Property
from logis.reports.income import income_by_fund_and_category
from tests.factories import InvoiceFactory, UnitFactory

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/Toronto")


def _client(user: User, language: str) -> Client:
    user.language = language
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _published(prop: Property, number: int, amount: str, at: dt.datetime, **kwargs: object) -> Invoice:
    return InvoiceFactory(
        property=prop,
        unit=UnitFactory(property=prop, number=f"U{number}"),
        number=number,
        amount=Decimal(amount),
        status=kwargs.pop("status", InvoiceStatus.OPEN),
        published_at=at,
        **kwargs,
    )


@pytest.fixture
def fiscal(prop: Property) -> Property:
    """Fiscal year from May; invoices in May 2026 (two), April 2027 (late evening, local), a voided one,
    one of the previous fiscal year and a special-assessment line in the contingency fund."""
    prop.fiscal_year_start_month = 5
    prop.timezone = "America/Toronto"
    prop.save()
    _published(prop, 1, "300.00", dt.datetime(2026, 5, 3, 12, tzinfo=ZONE))
    two = _published(prop, 2, "200.00", dt.datetime(2026, 5, 20, 12, tzinfo=ZONE))
    InvoiceLine.objects.create(
        invoice=two,
        position=2,
        description="Cotisation spéciale",
        category=category_by_code(prop, CategoryCode.SPECIAL_ASSESSMENT),
        amount=Decimal("150.00"),
    )
    # 23:30 in Montréal on 30 April 2027 is already 1 May in UTC: it belongs to April, the last month.
    _published(prop, 3, "40.00", dt.datetime(2027, 4, 30, 23, 30, tzinfo=ZONE))
    _published(prop, 4, "999.00", dt.datetime(2026, 6, 1, 12, tzinfo=ZONE), status=InvoiceStatus.VOID)
    _published(prop, 5, "77.00", dt.datetime(2026, 4, 30, 12, tzinfo=ZONE))  # fiscal year 2025
    return prop


def test_income_is_per_fund_category_and_local_month_of_issue(fiscal: Property) -> None:
    report = income_by_fund_and_category(property=fiscal, year=2026)
    assert report.months[0] == dt.date(2026, 5, 1) and report.months[-1] == dt.date(2027, 4, 1)
    by_category = {row.category.pk: row for block in report.funds for row in block.rows}
    dues = by_category[default_category(fiscal).pk]
    assert dues.months[0] == Decimal("500.00")
    assert dues.months[11] == Decimal("40.00")
    assert dues.total == Decimal("540.00")
    special = by_category[category_by_code(fiscal, CategoryCode.SPECIAL_ASSESSMENT).pk]
    assert special.total == Decimal("150.00")
    assert report.total == Decimal("690.00")  # the voided 999 and last year's 77 are not in it
    assert sum(report.month_totals, Decimal("0")) == report.total
    assert sum((b.total for b in report.funds), Decimal("0")) == report.total
    assert income_by_fund_and_category(property=fiscal, year=2025).total == Decimal("77.00")


def test_income_page_shows_the_year_chosen_and_its_totals(fiscal: Property, manager: User) -> None:
    client = _client(manager, "fr")
    url = reverse("reports:income", args=[fiscal.pk])
    html = client.get(url, {"year": "2026"}).content.decode().replace("\u00a0", " ").replace("\u202f", " ")
    assert "Revenus par fonds et catégorie" in html
    assert "2026-2027" in html and "690,00 $" in html and "540,00 $" in html
    assert 'value="2025"' in html  # the earlier fiscal year can be chosen
    empty = client.get(url, {"year": "1999"}).content.decode()  # not offered: the current year instead
    assert empty.count("selected") == 1


def test_income_exports_hold_the_same_figures(fiscal: Property, manager: User) -> None:
    url = reverse("reports:income_export", args=[fiscal.pk])
    client = _client(manager, "fr")
    plain = list(
        csv.reader(
            io.StringIO(b"".join(client.get(url, {"year": "2026"}).streaming_content).decode("utf-8-sig"))
        )
    )
    assert plain[0][0:2] == ["Fonds", "Catégorie"] and plain[0][-1] == "Total"
    assert plain[-1][-1] == "690.00"
    raw = b"".join(client.get(url, {"year": "2026", "format": "csv-fr"}).streaming_content)
    french = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert french[-1][-1] == "690,00" and french[-1][2] == "650,00"  # May: 500 of fees, 150 special
    book = load_workbook(
        io.BytesIO(b"".join(client.get(url, {"year": "2026", "format": "xlsx"}).streaming_content))
    )
    values = list(book.active.iter_rows(values_only=True))
    assert values[-1][-1] == 690 and values[-1][2] == 650
    assert len(values[0]) == 15  # fund, category, 12 months, total
