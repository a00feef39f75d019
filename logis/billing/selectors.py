"""Reads of batches and recurring schedules, each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from logis.billing.models import (
    Batch,
    RecurringSchedule,
    RunStatus,
    ScheduleAmountMode,
    ScheduleRun,
    UnitScope,
)
from logis.billing.periods import due_date_for, first_of_month_after, month_start, run_date_for, title_for
from logis.billing.shares import monthly_budget
from logis.core.dates import latest_date
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property, Unit
from logis.properties.selectors import primary_residents

PAGE_SIZE = 25
UPCOMING_MONTHS = 3
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class UnitRow:
    id: int
    number: str
    share: Decimal | None


def unit_rows(property: Property) -> list[UnitRow]:
    """Every unit of the property (natural order) with its share: the batch form's checkboxes."""
    return [
        UnitRow(pk, number, share)
        for pk, number, share in Unit.objects.filter(property=property)
        .order_by("sort_key", "id")
        .values_list("id", "number", "share")
    ]


@dataclass(frozen=True)
class Recipient:
    """Who receives a unit's invoices, or why nobody can be emailed (``warning``)."""

    name: str | None
    warning: str | None


def recipients(property: Property, unit_ids: list[int]) -> dict[int, Recipient]:
    """Each unit's primary resident and whether an email can be sent to them: one query."""
    residents = {
        unit_id: (resident.name, resident.email)
        for unit_id, resident in primary_residents(unit_ids).items()
        if resident.property_id == property.pk  # only this property's units
    }
    result: dict[int, Recipient] = {}
    for unit_id in unit_ids:
        found = residents.get(unit_id)
        if found is None:
            result[unit_id] = Recipient(None, _("No primary resident: no email can be sent."))
            continue
        name, email = found
        try:
            validate_email(email)
        except DjangoValidationError:
            warning = _("%(name)s has no valid email address: no email can be sent.") % {"name": name}
            result[unit_id] = Recipient(name, warning)
        else:
            result[unit_id] = Recipient(name, None)
    return result


def email_warnings(property: Property, unit_ids: list[int]) -> dict[int, str]:
    """Why each unit's invoice cannot be emailed (no primary resident, no valid email); one query."""
    return {uid: r.warning for uid, r in recipients(property, unit_ids).items() if r.warning}


def _with_counts(qs: QuerySet[Batch]) -> QuerySet[Batch]:
    status = "items__invoice__status"
    return qs.annotate(
        draft_count=Count("items", filter=Q(**{status: InvoiceStatus.DRAFT})),
        open_count=Count("items", filter=Q(**{status: InvoiceStatus.OPEN})),
        paid_count=Count("items", filter=Q(**{status: InvoiceStatus.PAID})),
        void_count=Count("items", filter=Q(**{status: InvoiceStatus.VOID})),
        invoice_count=Count("items"),
    )


def batch_page(property: Property, page_number: str | None) -> Page[Batch]:
    """The property's batches, newest first, with how many of their invoices are in each status."""
    qs = _with_counts(Batch.objects.filter(property=property).select_related("created_by", "schedule_run"))
    return Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(page_number)


@dataclass(frozen=True)
class BatchDetail:
    batch: Batch
    invoices: list[Invoice]
    counts: dict[str, int]
    billed_total: Decimal


def batch_detail(property: Property, batch_id: int, today: dt.date) -> BatchDetail | None:
    """A batch and all its invoices (unit order) with their displayed status: three queries."""
    batch = (
        Batch.objects.filter(property=property, pk=batch_id)
        .select_related("created_by", "schedule_run__schedule")
        .first()
    )
    if batch is None:
        return None
    invoices = list(
        Invoice.objects.filter(batch_item__batch=batch)
        .with_status(today)
        .select_related("unit")
        .order_by("unit__sort_key", "id")
    )
    counts: dict[str, int] = {}
    for inv in invoices:
        key = str(getattr(inv, "display_status", inv.status))
        counts[key] = counts.get(key, 0) + 1
    billed = sum((inv.amount for inv in invoices if inv.status != InvoiceStatus.VOID), ZERO)
    return BatchDetail(batch=batch, invoices=invoices, counts=counts, billed_total=billed)


# --- Recurring dues ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingRun:
    period: dt.date
    title: str
    run_date: dt.date
    due_date: dt.date
    status: str  # "planned", "created", "skipped", "failed", "paused"
    detail: str
    batch_id: int | None
    total: Decimal | None


@dataclass(frozen=True)
class ScheduleOverview:
    schedule: RecurringSchedule
    unit_count: int
    upcoming: list[UpcomingRun]


def _unit_count(schedule: RecurringSchedule, all_units: int) -> int:
    chosen = int(getattr(schedule, "chosen_count", 0))
    if schedule.unit_scope == UnitScope.ALL:
        return all_units
    if schedule.unit_scope == UnitScope.ONLY:
        return chosen
    return max(all_units - chosen, 0)


def _month_total(schedule: RecurringSchedule, period: dt.date, units: int) -> Decimal:
    if schedule.amount_mode == ScheduleAmountMode.BUDGET:
        return monthly_budget(schedule.amount, period)
    return schedule.amount * units


def schedule_overviews(
    property: Property, today: dt.date, months: int = UPCOMING_MONTHS
) -> list[ScheduleOverview]:
    """Each schedule with its next months (from the current one): what will happen, or what did."""
    schedules = list(
        RecurringSchedule.objects.filter(property=property)
        .annotate(chosen_count=Count("units"))
        .order_by("is_paused", "title_pattern", "id")
    )
    if not schedules:
        return []
    all_units = Unit.objects.filter(property=property).count()
    first = month_start(today)
    since = first_of_month_after(first, -1)
    runs = {
        (r.schedule_id, r.period): r
        for r in ScheduleRun.objects.filter(schedule__in=schedules, period__gte=since).only(
            "schedule_id", "period", "status", "detail", "batch_id"
        )
    }
    result = []
    # A schedule saved before dates were bounded (year 9999) shows no month rather than break the page.
    horizon = latest_date(today)
    for schedule in schedules:
        units = _unit_count(schedule, all_units)
        upcoming: list[UpcomingRun] = []
        period = max(first, schedule.start_month)
        while (
            len(upcoming) < months
            and period <= horizon
            and (schedule.end_month is None or period <= schedule.end_month)
        ):
            due = due_date_for(period, schedule.day_of_month)
            run = runs.get((schedule.pk, period))
            if due >= today or run is not None:
                if run is not None:
                    status, detail, batch_id = run.status, run.detail, run.batch_id
                else:
                    status, detail, batch_id = ("paused" if schedule.is_paused else "planned"), "", None
                upcoming.append(
                    UpcomingRun(
                        period=period,
                        title=title_for(schedule.title_pattern, period, property.language),
                        # Not created yet although its date has come: the worker's next pass (each minute).
                        run_date=max(run_date_for(schedule, period), today)
                        if run is None
                        else run_date_for(schedule, period),
                        due_date=due,
                        status=status,
                        detail=detail,
                        batch_id=batch_id,
                        total=_month_total(schedule, period, units),
                    )
                )
            period = first_of_month_after(period, 1)
        result.append(ScheduleOverview(schedule=schedule, unit_count=units, upcoming=upcoming))
    return result


def recent_runs(property: Property, limit: int = 12) -> list[ScheduleRun]:
    return list(
        ScheduleRun.objects.filter(schedule__property=property, status=RunStatus.CREATED)
        .select_related("schedule", "batch")
        .order_by("-period", "-id")[:limit]
    )
