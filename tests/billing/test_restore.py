"""« Rétablir » a skipped month of recurring dues: while its invoices are not created and its due date has
not passed, the skip is undone and the worker creates the month as planned (at its run date, or at its next
pass when that date has already come)."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.billing import periods, recurring
from logis.billing.models import RecurringSchedule, RunStatus, ScheduleAmountMode, ScheduleRun, UnitScope
from logis.core.errors import InvalidTransition, PermissionDenied
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from logis.properties.audit_display import VERBS
from logis.properties.models import Property, Unit
from tests.factories import member

pytestmark = pytest.mark.django_db

TORONTO = ZoneInfo("America/Toronto")
JANUARY = dt.date(2027, 1, 1)  # due 1 January 2027, created 22 December 2026 (10 days before)


def local(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=TORONTO)


def schedule_for(prop: Property, **kwargs: object) -> RecurringSchedule:
    values: dict[str, object] = {
        "title_pattern": "Cotisations mensuelles — {mois}",
        "amount_mode": ScheduleAmountMode.FIXED,
        "amount": Decimal("325.50"),
        "day_of_month": 1,
        "start_month": JANUARY,
        "lead_days": 10,
        "unit_scope": UnitScope.ALL,
    }
    values.update(kwargs)
    return RecurringSchedule.objects.create(property=prop, **values)


def due_dates(schedule: RecurringSchedule) -> set[dt.date]:
    return set(
        Invoice.objects.filter(batch_item__batch__schedule_run__schedule=schedule).values_list(
            "due_date", flat=True
        )
    )


def skip(manager: User, prop: Property, schedule: RecurringSchedule, period: dt.date = JANUARY) -> None:
    recurring.skip_schedule_period(actor=manager, property=prop, schedule_id=schedule.pk, period=period)


def test_a_month_restored_before_its_run_date_is_created_at_its_run_date(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    skip(manager, prop, schedule)
    recurring.restore_schedule_period(
        actor=manager, property=prop, schedule_id=schedule.pk, period=JANUARY, now=local(2026, 12, 1)
    )
    assert not ScheduleRun.objects.filter(schedule=schedule, period=JANUARY).exists()
    assert recurring.run_recurring_dues(now=local(2026, 12, 21)) == 0  # the day before its run date
    assert recurring.run_recurring_dues(now=local(2026, 12, 22)) == 4
    assert due_dates(schedule) == {JANUARY}
    assert ScheduleRun.objects.get(schedule=schedule, period=JANUARY).status == RunStatus.CREATED


def test_a_month_restored_after_its_run_date_is_created_at_the_next_pass(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    skip(manager, prop, schedule)
    assert recurring.run_recurring_dues(now=local(2026, 12, 25)) == 0  # skipped: nothing on its run date
    recurring.restore_schedule_period(
        actor=manager, property=prop, schedule_id=schedule.pk, period=JANUARY, now=local(2026, 12, 28)
    )
    assert recurring.run_recurring_dues(now=local(2026, 12, 28, 9)) == 4  # catch-up: due date not passed
    assert recurring.run_recurring_dues(now=local(2026, 12, 28, 10)) == 0  # once
    assert due_dates(schedule) == {JANUARY}


def test_a_month_restored_on_its_due_date_is_still_created(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    skip(manager, prop, schedule)
    recurring.restore_schedule_period(
        actor=manager, property=prop, schedule_id=schedule.pk, period=JANUARY, now=local(2027, 1, 1, 8)
    )
    assert recurring.run_recurring_dues(now=local(2027, 1, 1, 8)) == 4


def test_a_skipped_month_whose_due_date_has_passed_cannot_be_restored(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    skip(manager, prop, schedule)
    with pytest.raises(InvalidTransition):
        recurring.restore_schedule_period(
            actor=manager, property=prop, schedule_id=schedule.pk, period=JANUARY, now=local(2027, 1, 2)
        )
    assert ScheduleRun.objects.get(schedule=schedule, period=JANUARY).status == RunStatus.SKIPPED
    assert recurring.run_recurring_dues(now=local(2027, 1, 2)) == 0


def test_only_a_skipped_month_can_be_restored_never_a_created_or_planned_one(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    assert recurring.run_recurring_dues(now=local(2026, 12, 22)) == 4
    for period in (JANUARY, dt.date(2027, 2, 1)):  # created, planned
        with pytest.raises(InvalidTransition):
            recurring.restore_schedule_period(
                actor=manager, property=prop, schedule_id=schedule.pk, period=period, now=local(2026, 12, 22)
            )
    assert ScheduleRun.objects.get(schedule=schedule, period=JANUARY).status == RunStatus.CREATED


def test_restoring_a_month_is_audited_with_its_label_and_needs_create_invoice(
    manager: User, prop: Property, units: list[Unit]
) -> None:
    schedule = schedule_for(prop)
    skip(manager, prop, schedule)
    board = member(prop, Role.BOARD)
    with pytest.raises(PermissionDenied):
        recurring.restore_schedule_period(
            actor=board, property=prop, schedule_id=schedule.pk, period=JANUARY, now=local(2026, 12, 1)
        )
    recurring.restore_schedule_period(
        actor=manager, property=prop, schedule_id=schedule.pk, period=JANUARY, now=local(2026, 12, 1)
    )
    event = AuditEvent.objects.get(verb="schedule.period_restored")
    assert event.actor == manager and event.property == prop
    assert event.after == {"period": "2027-01-01"}
    assert "schedule.period_restored" in VERBS


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "restore", "confirm", "done"),
    [
        ("fr", "Rétablir", "Confirmer le rétablissement", "Prévue"),
        ("en", "Restore", "Confirm restoring", "Planned"),
    ],
)
def test_restore_button_on_the_recurring_dues_page_asks_for_confirmation_then_restores(
    manager: User,
    prop: Property,
    units: list[Unit],
    today: dt.date,
    language: str,
    restore: str,
    confirm: str,
    done: str,
) -> None:
    period = periods.first_of_month_after(today, 1)
    schedule = schedule_for(prop, start_month=period, lead_days=0)
    skip(manager, prop, schedule, period)
    client = _client(member(prop, Role.MANAGER, language=language))
    page = html.unescape(client.get(reverse("billing:schedules", args=[prop.pk])).content.decode())
    url = reverse("billing:schedule_restore", args=[prop.pk, schedule.pk])
    assert f"{url}?period={period.isoformat()}" in page and restore in page
    dialog = html.unescape(client.get(url, {"period": period.isoformat()}).content.decode())
    assert confirm in dialog
    assert ScheduleRun.objects.filter(schedule=schedule, period=period).exists()  # GET changes nothing
    response = client.post(url, {"period": period.isoformat()})
    assert response.status_code == 302
    assert not ScheduleRun.objects.filter(schedule=schedule, period=period).exists()
    page = html.unescape(client.get(reverse("billing:schedules", args=[prop.pk])).content.decode())
    assert done in page and f"{url}?period=" not in page


def test_board_members_get_403_on_restore(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    period = periods.first_of_month_after(today, 1)
    schedule = schedule_for(prop, start_month=period)
    skip(manager, prop, schedule, period)
    board = _client(member(prop, Role.BOARD))
    url = reverse("billing:schedule_restore", args=[prop.pk, schedule.pk])
    assert board.get(url, {"period": period.isoformat()}).status_code == 403
    assert board.post(url, {"period": period.isoformat()}).status_code == 403
    assert ScheduleRun.objects.get(schedule=schedule, period=period).status == RunStatus.SKIPPED
