"""Recurring dues with a fixed clock (``now=``): each month created once, ``lead_days`` before it is due,
on the property's local date — across month ends, leap years and daylight-saving changes (Toronto)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from logis.accounts.models import User
from logis.billing import periods, recurring
from logis.billing.models import (
    Batch,
    RecurringSchedule,
    RunStatus,
    ScheduleAmountMode,
    ScheduleRun,
    UnitScope,
)
from logis.core import scheduler
from logis.core.errors import InvalidTransition
from logis.core.models import AuditEvent
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Unit

pytestmark = pytest.mark.django_db

TORONTO = ZoneInfo("America/Toronto")
UTC = dt.UTC


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An instant given as Toronto wall-clock time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TORONTO)


def schedule_for(prop: Property, **kwargs: object) -> RecurringSchedule:
    values: dict[str, object] = {
        "title_pattern": "Cotisations mensuelles — {mois}",
        "amount_mode": ScheduleAmountMode.FIXED,
        "amount": Decimal("325.50"),
        "day_of_month": 1,
        "start_month": dt.date(2027, 1, 1),
        "lead_days": 10,
        "unit_scope": UnitScope.ALL,
    }
    values.update(kwargs)
    return RecurringSchedule.objects.create(property=prop, **values)


def invoices_of(schedule: RecurringSchedule) -> list[Invoice]:
    return list(
        Invoice.objects.filter(batch_item__batch__schedule_run__schedule=schedule).order_by(
            "due_date", "unit__sort_key"
        )
    )


def test_creates_the_month_lead_days_before_it_is_due_at_local_midnight(
    prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    # Due 2027-01-01, created from 2026-12-22 (Toronto), not a minute before.
    assert recurring.run_recurring_dues(now=local(2026, 12, 21, 23, 59)) == 0
    assert recurring.run_recurring_dues(now=local(2026, 12, 22, 0, 0)) == 4
    invoices = invoices_of(schedule)
    assert [i.title for i in invoices] == ["Cotisations mensuelles — janvier 2027"] * 4
    assert {i.due_date for i in invoices} == {dt.date(2027, 1, 1)}
    assert {i.amount for i in invoices} == {Decimal("325.50")}
    assert {i.status for i in invoices} == {InvoiceStatus.DRAFT}
    assert {i.created_by for i in invoices} == {None}


def test_running_twice_or_after_a_restart_creates_the_month_once(prop: Property, units: list[Unit]) -> None:
    schedule = schedule_for(prop)
    now = local(2026, 12, 25, 9, 0)
    assert recurring.run_recurring_dues(now=now) == 4
    assert recurring.run_recurring_dues(now=now) == 0
    assert recurring.run_recurring_dues(now=now + dt.timedelta(days=3)) == 0
    assert recurring.run_schedule_period(schedule_id=schedule.pk, period=dt.date(2027, 1, 1), now=now) == 0
    assert len(invoices_of(schedule)) == 4
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 1
    assert Batch.objects.count() == 1


def test_the_scheduler_runs_the_registered_job(prop: Property, units: list[Unit]) -> None:
    schedule_for(prop)
    assert "billing.recurring_dues" in scheduler.jobs()
    now = local(2026, 12, 25, 9, 0).astimezone(UTC)
    assert scheduler.run_due_jobs(now=now, only=lambda n: n == "billing.recurring_dues") == {
        "billing.recurring_dues": 4
    }
    assert scheduler.run_due_jobs(now=now, only=lambda n: n == "billing.recurring_dues") == {
        "billing.recurring_dues": 0
    }


@pytest.mark.parametrize(
    ("period", "due"),
    [
        (dt.date(2027, 4, 1), dt.date(2027, 4, 30)),  # day 31 in a 30-day month
        (dt.date(2027, 2, 1), dt.date(2027, 2, 28)),  # non-leap February
        (dt.date(2028, 2, 1), dt.date(2028, 2, 29)),  # 29 February 2028
        (dt.date(2027, 12, 1), dt.date(2027, 12, 31)),
    ],
)
def test_day_31_falls_on_the_last_day_of_shorter_months(
    prop: Property, units: list[Unit], period: dt.date, due: dt.date
) -> None:
    schedule = schedule_for(prop, day_of_month=31, start_month=dt.date(2027, 1, 1), lead_days=0)
    assert (
        recurring.run_recurring_dues(now=local(due.year, due.month, due.day, 0, 0) - dt.timedelta(minutes=1))
        == 0
    )
    assert recurring.run_recurring_dues(now=local(due.year, due.month, due.day, 0, 0)) == 4
    assert {i.due_date for i in invoices_of(schedule)} == {due}
    assert ScheduleRun.objects.get(schedule=schedule).period == period


def test_day_29_in_february_of_a_leap_and_a_non_leap_year(prop: Property, units: list[Unit]) -> None:
    schedule = schedule_for(prop, day_of_month=29, lead_days=5)
    assert recurring.run_recurring_dues(now=local(2027, 2, 23, 0, 0)) == 4  # due 2027-02-28, from the 23rd
    assert recurring.run_recurring_dues(now=local(2028, 2, 24, 0, 0)) == 4  # due 2028-02-29, from the 24th
    assert [i.due_date for i in invoices_of(schedule)][::4] == [dt.date(2027, 2, 28), dt.date(2028, 2, 29)]


@pytest.mark.parametrize(
    ("due", "before", "at"),
    [
        # Spring forward, 2027-03-14 02:00 EST -> 03:00 EDT: local midnight is 05:00 UTC.
        (
            dt.date(2027, 3, 24),
            dt.datetime(2027, 3, 14, 4, 59, tzinfo=UTC),
            dt.datetime(2027, 3, 14, 5, 0, tzinfo=UTC),
        ),
        # Fall back, 2027-11-07 02:00 EDT -> 01:00 EST: local midnight is 04:00 UTC.
        (
            dt.date(2027, 11, 17),
            dt.datetime(2027, 11, 7, 3, 59, tzinfo=UTC),
            dt.datetime(2027, 11, 7, 4, 0, tzinfo=UTC),
        ),
        # The day after each change: local midnight follows the new offset.
        (
            dt.date(2027, 3, 25),
            dt.datetime(2027, 3, 15, 3, 59, tzinfo=UTC),
            dt.datetime(2027, 3, 15, 4, 0, tzinfo=UTC),
        ),
        (
            dt.date(2027, 11, 18),
            dt.datetime(2027, 11, 8, 4, 59, tzinfo=UTC),
            dt.datetime(2027, 11, 8, 5, 0, tzinfo=UTC),
        ),
    ],
)
def test_daylight_saving_changes_in_toronto(
    prop: Property, units: list[Unit], due: dt.date, before: dt.datetime, at: dt.datetime
) -> None:
    schedule_for(prop, day_of_month=due.day, lead_days=10)
    assert recurring.run_recurring_dues(now=before) == 0
    assert recurring.run_recurring_dues(now=at) == 4
    assert recurring.run_recurring_dues(now=at + dt.timedelta(hours=1)) == 0


def test_a_month_whose_due_date_has_passed_is_not_created(prop: Property, units: list[Unit]) -> None:
    schedule = schedule_for(prop, day_of_month=15, lead_days=3)
    # The worker was down from before 2027-01-12 until after the 15th: January is missed, and February
    # is not created early.
    assert recurring.run_recurring_dues(now=local(2027, 1, 16, 9, 0)) == 0
    assert (
        recurring.run_recurring_dues(now=local(2027, 1, 15, 23, 59)) == 4
    )  # the due date itself still counts
    assert recurring.run_recurring_dues(now=local(2027, 2, 12, 0, 0)) == 4
    assert len(invoices_of(schedule)) == 8


def test_start_and_end_months_bound_the_schedule(prop: Property, units: list[Unit]) -> None:
    schedule = schedule_for(prop, start_month=dt.date(2027, 3, 1), end_month=dt.date(2027, 4, 1), lead_days=0)
    for month in range(1, 7):
        recurring.run_recurring_dues(now=local(2027, month, 1, 8, 0))
    assert sorted({i.due_date for i in invoices_of(schedule)}) == [dt.date(2027, 3, 1), dt.date(2027, 4, 1)]


def test_paused_schedules_create_nothing_until_resumed(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    recurring.set_schedule_paused(actor=manager, property=prop, schedule_id=schedule.pk, paused=True)
    assert recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0)) == 0
    recurring.set_schedule_paused(actor=manager, property=prop, schedule_id=schedule.pk, paused=False)
    assert recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0)) == 4


def test_a_skipped_month_is_not_created_and_the_next_one_is(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    recurring.skip_schedule_period(
        actor=manager, property=prop, schedule_id=schedule.pk, period=dt.date(2027, 1, 1)
    )
    assert recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0)) == 0
    assert recurring.run_recurring_dues(now=local(2027, 1, 25, 9, 0)) == 4
    assert {i.due_date for i in invoices_of(schedule)} == {dt.date(2027, 2, 1)}
    with pytest.raises(InvalidTransition):
        recurring.skip_schedule_period(
            actor=manager, property=prop, schedule_id=schedule.pk, period=dt.date(2027, 2, 1)
        )
    assert AuditEvent.objects.filter(verb="schedule.period_skipped", actor=manager).count() == 1


def test_auto_publish_numbers_the_invoices_and_queues_emails_as_logis(
    prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop, auto_publish=True, notify_resident=True)
    assert recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0)) == 4
    invoices = invoices_of(schedule)
    assert {i.status for i in invoices} == {InvoiceStatus.OPEN}
    assert sorted(i.number for i in invoices if i.number) == [1, 2, 3, 4]
    assert {i.published_by for i in invoices} == {None}
    assert EmailMessage.objects.count() == 3  # unit 112 has no primary resident
    published = AuditEvent.objects.filter(verb="invoice.published")
    assert published.count() == 4 and {e.actor for e in published} == {None}


def test_annual_budget_is_split_by_month_then_by_share(prop: Property, units: list[Unit]) -> None:
    schedule = schedule_for(
        prop, amount_mode=ScheduleAmountMode.BUDGET, amount=Decimal("12000.05"), lead_days=0
    )
    for month in range(1, 13):
        recurring.run_recurring_dues(now=local(2027, month, 1, 8, 0))
    invoices = invoices_of(schedule)
    assert len(invoices) == 48
    assert sum(i.amount for i in invoices) == Decimal("12000.05")
    january = {i.unit.number: i.amount for i in invoices if i.due_date.month == 1}
    assert january == {
        "101": Decimal("250.00"),
        "102": Decimal("250.00"),
        "103": Decimal("300.01"),
        "112": Decimal("200.00"),
    }


def test_a_month_that_cannot_be_created_is_kept_with_its_reason_and_retried(
    prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop, amount_mode=ScheduleAmountMode.BUDGET, amount=Decimal("12000.00"))
    Unit.objects.filter(pk=units[3].pk).update(share=None)
    assert recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0)) == 0
    run = ScheduleRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.FAILED and "112" in run.detail and "quote-part" in run.detail
    Unit.objects.filter(pk=units[3].pk).update(share=Decimal("20"))
    assert recurring.run_recurring_dues(now=local(2026, 12, 26, 9, 0)) == 4
    run.refresh_from_db()
    assert run.status == RunStatus.CREATED and run.batch is not None and run.detail == ""


def test_titles_use_the_property_language(prop: Property, units: list[Unit]) -> None:
    Property.objects.filter(pk=prop.pk).update(language="en")
    schedule = schedule_for(prop, title_pattern="Monthly dues — {month}")
    recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0))
    assert {i.title for i in invoices_of(schedule)} == {"Monthly dues — January 2027"}
    assert periods.title_for("Cotisations — {mois}", dt.date(2027, 8, 1), "fr") == "Cotisations — août 2027"


def test_new_units_are_billed_by_all_unit_schedules(prop: Property, units: list[Unit]) -> None:
    from tests.factories import UnitFactory

    schedule = schedule_for(prop)
    UnitFactory(property=prop, number="PH-1", share=None)
    assert recurring.run_recurring_dues(now=local(2026, 12, 25, 9, 0)) == 5
    assert len(invoices_of(schedule)) == 5
