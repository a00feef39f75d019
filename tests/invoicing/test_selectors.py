"""The Factures page's data: card definitions, overdue in the property's zone, filters and sorting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logis.core.dates import today_in
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.selectors import BILLED, InvoiceFilters, invoice_list, invoice_summary
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, open_invoice

pytestmark = pytest.mark.django_db

TORONTO = "America/Toronto"
TODAY = dt.date(2026, 11, 24)


def listed(prop: Property, status: str, today: dt.date = TODAY) -> list[Invoice]:
    return list(invoice_list(prop, today, InvoiceFilters(status=status)))


# --- card definitions ------------------------------------------------------------------------


def test_cards_ignore_drafts_and_void(prop: Property, unit: Unit) -> None:
    InvoiceFactory(property=prop, unit=unit, amount=Decimal("500.00"))
    InvoiceFactory(property=prop, unit=unit, amount=Decimal("70.00"), status=InvoiceStatus.VOID, number=9)
    summary = invoice_summary(prop, TODAY)
    assert summary.total.amount == Decimal("0.00") and summary.total.count == 0


def test_cards_open_and_overdue_sum_the_balance_due_and_paid_sums_the_amount(prop: Property) -> None:
    open_invoice(prop, number=1, amount=Decimal("100.00"), amount_paid=Decimal("40.00"), due_date=TODAY)
    open_invoice(prop, number=2, amount=Decimal("200.00"), due_date=TODAY - dt.timedelta(days=1))
    open_invoice(prop, number=3, amount=Decimal("50.00"), amount_paid=Decimal("50.00"), due_date=TODAY)
    summary = invoice_summary(prop, TODAY)
    assert (summary.open.amount, summary.open.count) == (Decimal("60.00"), 1)
    assert (summary.overdue.amount, summary.overdue.count) == (Decimal("200.00"), 1)
    assert (summary.paid.amount, summary.paid.count) == (Decimal("50.00"), 1)
    assert (summary.total.amount, summary.total.count) == (Decimal("310.00"), 3)


def test_cards_are_one_query(prop: Property, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 6):
        open_invoice(prop, number=n)
    with django_assert_num_queries(1):
        invoice_summary(prop, TODAY)


invoice_states = st.lists(
    st.tuples(
        st.sampled_from(["draft", "open", "partial", "paid", "void"]),
        st.integers(min_value=-3, max_value=3),  # due date relative to today
        st.integers(min_value=1, max_value=500_000),  # amount in cents
        st.floats(min_value=0.01, max_value=0.99),  # share already paid of a partial payment
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(states=invoice_states)
def test_cards_always_equal_the_sums_over_the_filtered_list(
    db: None, states: list[tuple[str, int, int, float]]
) -> None:
    prop = PropertyFactory()
    unit = UnitFactory(property=prop, number="1")
    for i, (state, offset, cents, share) in enumerate(states, start=1):
        amount = Decimal(cents) / 100
        due = TODAY + dt.timedelta(days=offset)
        if state == "draft":
            InvoiceFactory(property=prop, unit=unit, amount=amount, due_date=due)
        elif state == "void":
            InvoiceFactory(
                property=prop, unit=unit, amount=amount, due_date=due, status=InvoiceStatus.VOID, number=i
            )
        else:
            paid = {"open": Decimal(0), "paid": amount}.get(state)
            if paid is None:
                paid = min((amount * Decimal(str(share))).quantize(Decimal("0.01")), amount - Decimal("0.01"))
            open_invoice(
                prop, number=i, amount=amount, amount_paid=max(paid, Decimal(0)), due_date=due, unit=unit
            )
    summary = invoice_summary(prop, TODAY)
    for status, card in (("open", summary.open), ("overdue", summary.overdue)):
        rows = listed(prop, status)
        assert card.count == len(rows)
        assert card.amount == sum((r.balance_due for r in rows), Decimal("0.00"))
    paid_rows = listed(prop, "paid")
    assert summary.paid.count == len(paid_rows)
    assert summary.paid.amount == sum((r.amount for r in paid_rows), Decimal("0.00"))
    assert summary.total.amount == summary.open.amount + summary.overdue.amount + summary.paid.amount
    assert summary.total.count == summary.open.count + summary.overdue.count + summary.paid.count
    billed = listed(prop, BILLED)
    assert summary.total.count == len(billed)
    assert summary.total.amount == sum(
        (r.amount if r.status == InvoiceStatus.PAID else r.balance_due for r in billed), Decimal("0.00")
    )


# --- overdue in the property's time zone -----------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def status_at(invoice: Invoice, now: dt.datetime) -> str:
    today = today_in(TORONTO, now=now)
    return str(Invoice.objects.with_status(today).get(pk=invoice.pk).display_status)


@pytest.mark.parametrize(
    ("due", "before_midnight", "after_midnight"),
    [
        # An ordinary night: 23:59 EST is 04:59 UTC the next day, already the next date in UTC.
        (dt.date(2026, 11, 24), utc(2026, 11, 25, 4, 59), utc(2026, 11, 25, 5, 0)),
        # Summer time: midnight is 04:00 UTC.
        (dt.date(2026, 7, 15), utc(2026, 7, 16, 3, 59), utc(2026, 7, 16, 4, 0)),
        # The night before clocks fall back (2026-11-01 02:00 EDT -> 01:00 EST): midnight still EDT.
        (dt.date(2026, 10, 31), utc(2026, 11, 1, 3, 59), utc(2026, 11, 1, 4, 0)),
        # The 25-hour day itself: its midnight is EST.
        (dt.date(2026, 11, 1), utc(2026, 11, 2, 4, 59), utc(2026, 11, 2, 5, 0)),
        # The night clocks spring forward (2026-03-08 02:00 EST -> 03:00 EDT): midnight still EST.
        (dt.date(2026, 3, 7), utc(2026, 3, 8, 4, 59), utc(2026, 3, 8, 5, 0)),
        # The 23-hour day: its midnight is EDT.
        (dt.date(2026, 3, 8), utc(2026, 3, 9, 3, 59), utc(2026, 3, 9, 4, 0)),
    ],
)
def test_an_invoice_due_today_becomes_overdue_at_local_midnight(
    prop: Property, due: dt.date, before_midnight: dt.datetime, after_midnight: dt.datetime
) -> None:
    invoice = open_invoice(prop, number=1, due_date=due)
    local = ZoneInfo(TORONTO)
    assert before_midnight.astimezone(local).time() == dt.time(23, 59)
    assert after_midnight.astimezone(local).time() == dt.time(0, 0)
    assert before_midnight.date() != due or before_midnight.astimezone(local).date() == due
    assert status_at(invoice, before_midnight) == InvoiceStatus.OPEN
    assert status_at(invoice, after_midnight) == InvoiceStatus.OVERDUE


def test_overdue_needs_a_balance(prop: Property) -> None:
    invoice = open_invoice(
        prop, number=1, due_date=TODAY - dt.timedelta(days=5), amount_paid=Decimal("100.00")
    )
    assert status_at(invoice, utc(2026, 11, 24, 12, 0)) == InvoiceStatus.PAID


def test_overdue_card_moves_at_local_midnight_not_utc_midnight(prop: Property) -> None:
    open_invoice(prop, number=1, due_date=dt.date(2026, 11, 24))
    late_evening = today_in(TORONTO, now=utc(2026, 11, 25, 2, 0))  # 21:00 in Toronto, already the 25th in UTC
    assert invoice_summary(prop, late_evening).overdue.count == 0
    assert invoice_summary(prop, today_in(TORONTO, now=utc(2026, 11, 25, 5, 0))).overdue.count == 1


# --- filters, search, sort -------------------------------------------------------------------


@pytest.fixture
def varied(prop: Property) -> dict[str, Any]:
    u2 = UnitFactory(property=prop, number="2")
    u10 = UnitFactory(property=prop, number="10")
    u101 = UnitFactory(property=prop, number="101")
    return {
        "draft": InvoiceFactory(
            property=prop, unit=u10, title="Toiture", amount=Decimal("30.00"), due_date=TODAY
        ),
        "open": open_invoice(
            prop, number=1, unit=u101, title="Cotisation", amount=Decimal("10.00"), due_date=TODAY
        ),
        "overdue": open_invoice(
            prop,
            number=2,
            unit=u2,
            title="Stationnement",
            amount=Decimal("20.00"),
            due_date=TODAY - dt.timedelta(1),
        ),
    }


def titles(prop: Property, **filters: object) -> list[str]:
    return [i.title for i in invoice_list(prop, TODAY, InvoiceFilters(**filters))]  # type: ignore[arg-type]


def test_filter_by_derived_status(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop, status="overdue") == ["Stationnement"]
    assert titles(prop, status="open") == ["Cotisation"]
    assert titles(prop, status="draft") == ["Toiture"]


def test_filter_by_unit_and_due_range(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop, unit_id=varied["open"].unit_id) == ["Cotisation"]
    assert sorted(titles(prop, due_from=TODAY)) == ["Cotisation", "Toiture"]
    assert titles(prop, due_to=TODAY - dt.timedelta(days=1)) == ["Stationnement"]


def test_search_on_title_and_unit_number(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop, search="toit") == ["Toiture"]
    assert titles(prop, search="101") == ["Cotisation"]


def test_sort_by_unit_is_natural(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop, sort="unit") == ["Stationnement", "Toiture", "Cotisation"]  # 2 < 10 < 101
    assert titles(prop, sort="-unit") == ["Cotisation", "Toiture", "Stationnement"]


def test_sort_by_amount_number_and_status(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop, sort="amount") == ["Cotisation", "Stationnement", "Toiture"]
    assert titles(prop, sort="-amount") == ["Toiture", "Stationnement", "Cotisation"]
    assert titles(prop, sort="number") == ["Cotisation", "Stationnement", "Toiture"]  # drafts last
    assert titles(prop, sort="status") == ["Toiture", "Cotisation", "Stationnement"]  # draft, open, overdue


def test_default_sort_is_newest_first(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop) == ["Stationnement", "Cotisation", "Toiture"]


def test_unknown_sort_falls_back_to_newest_first(prop: Property, varied: dict[str, Any]) -> None:
    assert titles(prop, sort="-drop table") == ["Stationnement", "Cotisation", "Toiture"]


def test_list_never_shows_another_propertys_invoices(prop: Property, varied: dict[str, Any]) -> None:
    open_invoice(PropertyFactory(), number=1, title="Ailleurs")
    assert "Ailleurs" not in titles(prop)


def _search_finds_residents_and_ignores_accents_and_case(prop: Property, varied: dict[str, Any]) -> None:
    from tests.factories import OccupancyFactory, ResidentFactory

    Invoice.objects.filter(pk=varied["draft"].pk).update(title="Réparation du toit")
    OccupancyFactory(
        unit=varied["open"].unit,
        resident=ResidentFactory(property=prop, name="Hélène Bélanger", email="HELENE.B@Example.com"),
        is_primary=True,
    )
    assert titles(prop, search="reparation") == ["Réparation du toit"]
    assert titles(prop, search="RÉPARATION") == ["Réparation du toit"]
    assert titles(prop, search="helene") == ["Cotisation"]
    assert titles(prop, search="Bélanger") == ["Cotisation"]
    assert titles(prop, search="helene.b@example") == ["Cotisation"]
    assert titles(prop, search="personne") == []


def test_search_finds_residents_by_name_and_email_ignoring_accents_and_case(
    prop: Property, varied: dict[str, Any]
) -> None:
    """Issue 14 (SQLite: a Python function registered on each connection)."""
    _search_finds_residents_and_ignores_accents_and_case(prop, varied)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_search_ignores_accents_and_case_on_postgresql(prop: Property, varied: dict[str, Any]) -> None:
    """The same on PostgreSQL (unaccent), run by CI's PostgreSQL job."""
    _search_finds_residents_and_ignores_accents_and_case(prop, varied)


def test_search_finds_every_invoice_of_a_unit_by_its_number_ignoring_case(
    prop: Property, varied: dict[str, Any]
) -> None:
    open_invoice(
        prop, number=40, title="Stationnement intérieur", unit=UnitFactory(property=prop, number="PH-12")
    )
    assert titles(prop, search="ph-12") == ["Stationnement intérieur"]
    assert titles(prop, search="PH-1") == ["Stationnement intérieur"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("model", "column", "index"),
    [
        ("invoicing.Invoice", "title", "invoice_title_folded_trgm"),
        ("properties.Unit", "number", "unit_number_folded_trgm"),
        ("properties.Resident", "name", "resident_name_folded_trgm"),
        ("properties.Resident", "email", "resident_email_folded_trgm"),
    ],
)
def test_the_folded_search_can_use_its_trigram_index_on_postgresql(
    db: None, model: str, column: str, index: str
) -> None:
    """What ``Fold`` writes is the expression the index was built on (migrations core 0002, invoicing 0011,
    properties 0009): were they to differ, every search would fold every row again (decision 0044). With
    scans that read every row made the planner's last resort, only the index can answer the condition."""
    from django.apps import apps
    from django.db import connection
    from django.db.models.lookups import Contains

    from logis.core.search import Fold

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's; SQLite folds each row in Python")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = apps.get_model(model).objects.filter(Contains(Fold(column), "reparation")).explain()
    assert index in plan, plan
