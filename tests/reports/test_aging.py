"""Aging report: which invoices count, which bucket they fall in, totals, query count, page, roles."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]

from logis.core.dates import today_in
from logis.invoicing.models import InvoiceStatus
from logis.properties.models import Property
from logis.reports import selectors
from tests.factories import InvoiceFactory, OccupancyFactory, ResidentFactory, UnitFactory, open_invoice
from tests.roles import ROLES, Case, World, check_case, members_may

pytestmark = pytest.mark.django_db


def _today(prop: Property) -> dt.date:
    return today_in(prop.timezone)


def _bucket_of(prop: Property, days_past: int) -> dict[str, int]:
    """Counts per bucket after publishing one invoice ``days_past`` days past its due date."""
    open_invoice(prop, number=1, due_date=_today(prop) - dt.timedelta(days=days_past))
    totals = selectors.aging_totals(property=prop, today=_today(prop))
    return {b.key: b.count for b in totals.buckets if b.count}


@pytest.mark.parametrize(
    ("days_past", "bucket"),
    [
        (-5, "current"),
        (0, "current"),  # due today: not yet due
        (1, "d1_30"),
        (30, "d1_30"),
        (31, "d31_60"),
        (60, "d31_60"),
        (61, "d61_90"),
        (90, "d61_90"),
        (91, "d90_plus"),
        (400, "d90_plus"),
    ],
)
def test_invoice_falls_in_the_bucket_of_its_days_past_due(
    prop: Property, days_past: int, bucket: str
) -> None:
    assert _bucket_of(prop, days_past) == {bucket: 1}


def test_buckets_use_the_propertys_local_date_not_utc(prop: Property) -> None:
    # 23:30 in Toronto on March 10 is 03:30 UTC on March 11: an invoice due March 10 is still not due.
    prop.timezone = "America/Toronto"
    prop.save()
    instant = dt.datetime(2026, 3, 11, 3, 30, tzinfo=dt.UTC)
    today = today_in(prop.timezone, now=instant)
    assert today == dt.date(2026, 3, 10)
    open_invoice(prop, number=1, due_date=dt.date(2026, 3, 10))
    totals = selectors.aging_totals(property=prop, today=today)
    assert {b.key: b.count for b in totals.buckets if b.count} == {"current": 1}
    utc_totals = selectors.aging_totals(property=prop, today=instant.date())
    assert {b.key: b.count for b in utc_totals.buckets if b.count} == {"d1_30": 1}


def test_paid_void_and_draft_invoices_are_not_owed(prop: Property) -> None:
    late = _today(prop) - dt.timedelta(days=10)
    open_invoice(prop, number=1, amount=Decimal("50.00"), amount_paid=Decimal("50.00"), due_date=late)
    InvoiceFactory(property=prop, number=2, status=InvoiceStatus.VOID, due_date=late)
    InvoiceFactory(property=prop, status=InvoiceStatus.DRAFT, due_date=late)
    totals = selectors.aging_totals(property=prop, today=_today(prop))
    assert totals.count == 0
    assert totals.amount == Decimal("0.00")
    assert list(selectors.aging_by_unit(property=prop, today=_today(prop))) == []


def test_partly_paid_invoice_counts_its_balance_only(prop: Property) -> None:
    open_invoice(
        prop, number=1, amount=Decimal("100.10"), amount_paid=Decimal("40.04"), due_date=_today(prop)
    )
    totals = selectors.aging_totals(property=prop, today=_today(prop))
    assert totals.amount == Decimal("60.06")
    assert totals.buckets[0].amount == Decimal("60.06")


def test_totals_equal_the_sum_of_the_unit_rows(prop: Property) -> None:
    today = _today(prop)
    units = [UnitFactory(property=prop, number=n) for n in ("10", "2", "101")]
    n = 0
    for i, unit in enumerate(units):
        for days in (0, 15, 45, 75, 120):
            n += 1
            open_invoice(
                prop,
                number=n,
                unit=unit,
                amount=Decimal("10.25") * (i + 1) + days,
                amount_paid=Decimal("1.10"),
                due_date=today - dt.timedelta(days=days),
            )
    totals = selectors.aging_totals(property=prop, today=today)
    rows = list(selectors.aging_by_unit(property=prop, today=today))
    assert [u.number for u in rows] == ["2", "10", "101"]  # natural order
    for index, bucket in enumerate(totals.buckets):
        assert bucket.amount == sum(selectors.unit_buckets(u)[index] for u in rows)
        assert bucket.count == 3
    assert totals.amount == sum(u.total for u in rows)
    for row in rows:
        assert row.total == sum(selectors.unit_buckets(row))


def _fill(prop: Property, count: int) -> None:
    today = _today(prop)
    for n in range(1, count + 1):
        unit = UnitFactory(property=prop, number=f"U{n}")
        OccupancyFactory(unit=unit, is_primary=True)
        open_invoice(prop, number=n, unit=unit, due_date=today - dt.timedelta(days=n * 7))


@pytest.mark.parametrize("count", [3, 30])
def test_report_page_costs_the_same_queries_whatever_the_invoices(
    prop: Property, manager_client: Client, count: int, django_assert_num_queries: Any
) -> None:
    _fill(prop, count)
    url = reverse("properties:reports", args=[prop.pk])
    manager_client.get(url)  # warm the session and caches
    # session, user, property with the role (decision 0042), totals, unit count, unit page
    with django_assert_num_queries(6):
        response = manager_client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == count


def test_units_are_paginated_by_fifty(prop: Property, manager_client: Client) -> None:
    _fill(prop, 51)
    url = reverse("properties:reports", args=[prop.pk])
    first = manager_client.get(url)
    assert len(first.context["rows"]) == 50
    second = manager_client.get(url, {"page": 2})
    assert len(second.context["rows"]) == 1


def test_page_in_french_shows_buckets_amounts_and_resident(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="204")
    resident = ResidentFactory(property=prop, name="Élise Tremblay")
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    open_invoice(
        prop, number=1, unit=unit, amount=Decimal("1234.50"), due_date=_today(prop) - dt.timedelta(days=40)
    )
    response = manager_client.get(reverse("properties:reports", args=[prop.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    for label in ("Rapports", "Âge des comptes", "Non échu", "1–30 jours", "31–60 jours", "Plus de 90 jours"):
        assert label in html
    assert "Élise Tremblay" in html
    assert "1\u00a0234,50\u00a0$" in html or "1\u202f234,50\u00a0$" in html
    assert "Exporter les factures" in html and "CSV (Excel, ;)" in html and "Excel (XLSX)" in html


def test_page_in_english(prop: Property, manager: Any) -> None:
    manager.language = "en"
    manager.save()
    client = Client()
    client.force_login(manager)
    open_invoice(prop, number=1, amount=Decimal("1234.50"), due_date=_today(prop) - dt.timedelta(days=95))
    response = client.get(reverse("properties:reports", args=[prop.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    for label in ("Reports", "Aging of balances due", "Not yet due", "Over 90 days", "$1,234.50"):
        assert label in html


def test_empty_state_when_nothing_is_owed(prop: Property, manager_client: Client) -> None:
    open_invoice(prop, number=1, amount_paid=Decimal("100.00"))
    response = manager_client.get(reverse("properties:reports", args=[prop.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert 'id="aging-empty"' in html
    assert "Rien n’est dû" in html
    assert 'id="aging-units"' not in html


def test_the_aging_downloads_as_csv_fr_ca_csv_and_xlsx_with_the_pages_figures(
    prop: Property, manager_client: Client
) -> None:
    """Issue 11: every report also as XLSX and as a CSV a French-Canadian Excel opens (`;`, 1234,50)."""
    unit = UnitFactory(property=prop, number="204")
    OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Élise Tremblay"), is_primary=True
    )
    open_invoice(
        prop, number=1, unit=unit, amount=Decimal("1234.50"), due_date=_today(prop) - dt.timedelta(days=40)
    )
    open_invoice(
        prop, number=2, amount=Decimal("100.00"), amount_paid=Decimal("40.00"), due_date=_today(prop)
    )
    page = manager_client.get(reverse("properties:reports", args=[prop.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    url = reverse("reports:aging_export", args=[prop.pk])
    assert f'href="{url}?format=xlsx"' in page.content.decode()
    assert "Exporter l'âge des comptes" in page.content.decode()

    french = manager_client.get(url, {"format": "csv-fr"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert (
        french["Content-Disposition"].endswith('-excel.csv"')
        and "age-des-comptes" in french["Content-Disposition"]
    )
    rows = list(
        csv.reader(io.StringIO(b"".join(french.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0] == ["Unité", "Résident principal", "Non échu", "1–30 jours", "31–60 jours", "61–90 jours",
                       "Plus de 90 jours", "Total"]  # fmt: skip
    assert ["204", "Élise Tremblay", "0,00", "0,00", "1234,50", "0,00", "0,00", "1234,50"] in rows
    totals = selectors.aging_totals(property=prop, today=_today(prop))
    assert rows[-1] == ["Total", "", "60,00", "0,00", "1234,50", "0,00", "0,00", "1294,50"]
    assert totals.amount == Decimal("1294.50")

    workbook = manager_client.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Unité", "Résident principal", "Non échu")
    assert values[-1] == ("Total", None, 60, 0, 1234.5, 0, 0, 1294.5)
    assert sheet.cell(row=2, column=8).number_format == "#,##0.00"


VIEWERS = {"admin", "manager", "treasurer", "board"}
CASES = [
    Case(
        "reports page",
        "get",
        lambda w: reverse("properties:reports", args=[w.prop.pk]),
        members_may(VIEWERS, ok=200),
    ),
    Case(
        "invoices csv",
        "get",
        lambda w: reverse("reports:invoices_csv", args=[w.prop.pk]),
        members_may(VIEWERS, ok=200),
    ),
    Case(
        "aging export",
        "get",
        lambda w: reverse("reports:aging_export", args=[w.prop.pk]),
        members_may(VIEWERS, ok=200),
    ),
    Case(
        "payments csv",
        "get",
        lambda w: reverse("reports:payments_csv", args=[w.prop.pk]),
        members_may(VIEWERS, ok=200),
    ),
    Case(
        "other property's csv",
        "get",
        lambda w: reverse("reports:invoices_csv", args=[w.other_prop.pk]),
        {**dict.fromkeys(ROLES, 404), "anonymous": 302},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_table(case: Case, role: str, world: World, client: Client) -> None:
    check_case(case, role, world, client)
