"""Dates within a sane range and text within limits, in the forms, the API and the database: a schedule
in year 9999 or a payment dated 0001-01-01 is refused beside its field, and megabytes of description never
reach an invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from logis.billing.models import RecurringSchedule, ScheduleAmountMode, UnitScope
from logis.core.dates import EARLIEST_DATE, latest_date, today_in
from logis.invoicing.models import Invoice
from logis.payments.models import Payment
from logis.payments.services import earliest_payment_date
from logis.properties.models import Property
from tests.api.conftest import ApiClient, token_for
from tests.factories import UnitFactory, open_invoice

TOO_FAR = ["9999-12-31", "0001-01-01"]


def schedule_form(**changes: str) -> dict[str, str]:
    data = {
        "title_pattern": "Cotisations mensuelles — {mois}",
        "amount_mode": "fixed",
        "amount": "325,00",
        "day_of_month": "1",
        "lead_days": "15",
        "start_month": "2030-01",
        "end_month": "",
        "unit_scope": "all",
        "description": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("field", ["start_month", "end_month"])
def test_a_schedule_in_year_9999_is_refused_beside_the_field(
    manager_client: Client, prop: Property, field: str
) -> None:
    UnitFactory(property=prop, number="101")
    url = reverse("billing:schedule_create", args=[prop.pk])
    response = manager_client.post(url, schedule_form(**{field: "9999-12"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une date entre le 2000-01-01 et le" in page
    assert 'value="9999-12"' in page
    assert not RecurringSchedule.objects.exists()


def test_a_schedule_saved_in_year_9999_before_the_bounds_does_not_break_the_page(
    manager_client: Client, prop: Property
) -> None:
    UnitFactory(property=prop, number="101")
    RecurringSchedule.objects.create(
        property=prop,
        title_pattern="Cotisations — {mois}",
        amount_mode=ScheduleAmountMode.FIXED,
        amount=Decimal("100.00"),
        day_of_month=1,
        start_month=dt.date(9999, 12, 1),
        lead_days=10,
        unit_scope=UnitScope.ALL,
    )
    response = manager_client.get(reverse("billing:schedules", args=[prop.pk]))
    assert response.status_code == 200
    assert "Cotisations" in response.content.decode()


@pytest.mark.parametrize("far", TOO_FAR)
def test_invoice_and_batch_due_dates_far_away_are_refused(
    manager_client: Client, prop: Property, far: str
) -> None:
    unit = UnitFactory(property=prop, number="101")
    response = manager_client.post(
        reverse("invoicing:create", args=[prop.pk]),
        {"unit": str(unit.pk), "title": "Cotisation", "amount": "10,00", "due_date": far},
    )
    assert response.status_code == 200
    assert not Invoice.objects.exists()
    response = manager_client.post(
        reverse("billing:batch_create", args=[prop.pk]),
        {
            "unit_scope": "all",
            "title": "Cotisation",
            "amount_mode": "same",
            "amount": "10,00",
            "due_date": far,
        },
    )
    assert response.status_code == 200
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("far", TOO_FAR)
def test_list_filters_with_far_dates_answer_200(manager_client: Client, prop: Property, far: str) -> None:
    for url, params in [
        (reverse("invoicing:list", args=[prop.pk]), {"due_from": far, "due_to": far}),
        (reverse("payments:list", args=[prop.pk]), {"date_from": far, "date_to": far}),
    ]:
        assert manager_client.get(url, params).status_code == 200


def test_payment_dates_are_bounded_by_the_property_life_and_today(
    manager_client: Client, prop: Property
) -> None:
    invoice = open_invoice(prop, number=1, amount=Decimal("500.00"))
    url = reverse("payments:record", args=[prop.pk, invoice.pk])
    today = today_in(prop.timezone)
    too_early = earliest_payment_date(prop) - dt.timedelta(days=1)
    assert too_early >= today_in(prop.timezone, now=prop.created_at) - dt.timedelta(days=367)
    for day in [
        "0001-01-01",
        "9999-12-31",
        too_early.isoformat(),
        (today + dt.timedelta(days=1)).isoformat(),
    ]:
        response = manager_client.post(url, {"amount": "10,00", "paid_on": day, "method": "cheque"})
        assert response.status_code == 200, day
        assert f'value="{day}"' in response.content.decode()
    assert not Payment.objects.exists()
    response = manager_client.post(url, {"amount": "10,00", "paid_on": today.isoformat(), "method": "cheque"})
    assert response.status_code == 302
    assert Payment.objects.count() == 1


@pytest.fixture
def api(manager: Any) -> ApiClient:
    return ApiClient(token_for(manager), "en")


@pytest.mark.parametrize("far", TOO_FAR)
def test_the_api_refuses_far_dates_with_a_field_error(api: ApiClient, prop: Property, far: str) -> None:
    unit = UnitFactory(property=prop, number="101")
    response = api.post(
        f"/properties/{prop.pk}/invoices",
        {"unit": unit.pk, "title": "Cotisation", "amount": "10.00", "due_date": far},
    )
    assert response.status_code == 422
    assert "Enter a date between 2000-01-01 and" in response.json()["errors"]["due_date"][0]
    invoice = open_invoice(prop, number=1, amount=Decimal("500.00"))
    response = api.post(
        f"/properties/{prop.pk}/invoices/{invoice.pk}/payments",
        {"amount": "10.00", "paid_on": far, "method": "cheque"},
    )
    assert response.status_code == 422 and "paid_on" in response.json()["errors"]
    response = api.get(f"/properties/{prop.pk}/invoices", {"due_from": far})
    assert response.status_code == 422


def test_the_api_refuses_a_payment_before_the_property_existed(api: ApiClient, prop: Property) -> None:
    invoice = open_invoice(prop, number=1, amount=Decimal("500.00"))
    before = earliest_payment_date(prop) - dt.timedelta(days=1)
    response = api.post(
        f"/properties/{prop.pk}/invoices/{invoice.pk}/payments",
        {"amount": "10.00", "paid_on": before.isoformat(), "method": "cheque"},
    )
    assert response.status_code == 422 and "paid_on" in response.json()["errors"]


def test_the_sane_range_is_defined_once() -> None:
    assert dt.date(2000, 1, 1) == EARLIEST_DATE
    assert latest_date(dt.date(2028, 2, 29)) == dt.date(2038, 2, 28)


# --- Text limits -------------------------------------------------------------------------------------


def test_descriptions_and_notes_are_limited_in_forms(manager_client: Client, prop: Property) -> None:
    unit = UnitFactory(property=prop, number="101")
    today = today_in(prop.timezone)
    response = manager_client.post(
        reverse("invoicing:create", args=[prop.pk]),
        {
            "unit": str(unit.pk),
            "title": "Cotisation",
            "amount": "10,00",
            "due_date": today.isoformat(),
            "description": "x" * 2001,
        },
    )
    assert response.status_code == 200 and not Invoice.objects.exists()
    assert "2000" in response.content.decode()
    invoice = open_invoice(prop, number=1, amount=Decimal("500.00"))
    response = manager_client.post(
        reverse("payments:record", args=[prop.pk, invoice.pk]),
        {"amount": "10,00", "paid_on": today.isoformat(), "method": "cheque", "note": "n" * 501},
    )
    assert response.status_code == 200 and not Payment.objects.exists()


def test_descriptions_and_notes_are_limited_in_the_api(api: ApiClient, prop: Property) -> None:
    unit = UnitFactory(property=prop, number="101")
    today = today_in(prop.timezone).isoformat()
    big = "x" * (2 * 1024 * 1024)
    response = api.post(
        f"/properties/{prop.pk}/invoices",
        {"unit": unit.pk, "title": "T", "amount": "10.00", "due_date": today, "description": big},
    )
    assert response.status_code == 422 and "description" in response.json()["errors"]
    response = api.post(
        f"/properties/{prop.pk}/invoices",
        {"unit": unit.pk, "title": "T", "amount": "10.00", "due_date": today, "description": "d" * 2000},
    )
    assert response.status_code == 201
    invoice = open_invoice(prop, number=1, amount=Decimal("500.00"))
    response = api.post(
        f"/properties/{prop.pk}/invoices/{invoice.pk}/payments",
        {"amount": "10.00", "paid_on": today, "method": "cheque", "note": "n" * 501},
    )
    assert response.status_code == 422 and "note" in response.json()["errors"]


def test_the_database_refuses_longer_text(prop: Property) -> None:
    invoice = open_invoice(prop, number=1, amount=Decimal("500.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(description="x" * 2001)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            property=prop,
            unit=invoice.unit,
            invoice=invoice,
            amount=Decimal("1.00"),
            paid_on=dt.date(2026, 1, 1),
            method="cheque",
            note="n" * 501,
        )
