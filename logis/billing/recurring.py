"""Recurring dues: schedules (create, change, pause, skip or restore a month) and the scheduler's job
that creates each month's batch once (``run_recurring_dues``, registered in ``apps.py``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from logis.billing.batches import (
    BatchPlan,
    PlanRow,
    _check_amount,
    _check_invoice_fields,
    _draft_ids,
    _write_batch,
    amounts_by_share,
    plan_batch,
    select_units,
)
from logis.billing.models import (
    AmountMode,
    Batch,
    RecurringSchedule,
    RunStatus,
    ScheduleAmountMode,
    ScheduleRun,
    UnitScope,
)
from logis.billing.periods import due_date_for, first_of_month_after, month_start, run_date_for, title_for
from logis.billing.shares import monthly_budget
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import date_range_error, latest_date, today_in
from logis.core.errors import DomainError, InvalidTransition, NotFound, ValidationError
from logis.core.permissions import SYSTEM, Action, require
from logis.invoicing.rules import TITLE_MAX, clean_description_error, require_payments_enabled
from logis.invoicing.services import publish_invoices
from logis.properties.models import Property, Unit

if TYPE_CHECKING:
    from logis.accounts.models import User

logger = logging.getLogger(__name__)

MAX_LEAD_DAYS = 60

# The dues of an adopted budget (decision 0023) are planned and written by ``logis.budgeting``, above
# billing, which registers them here when Django starts (``BudgetingConfig.ready``): ``budget_of(schedule)``
# (the budget a schedule was created from, or None), ``month_rows(budget, period)`` and
# ``write_month(**fields)``.
BUDGET_DUES: dict[str, Callable[..., Any]] = {}


def register_budget_dues(
    *, budget_of: Callable[..., Any], month_rows: Callable[..., Any], write_month: Callable[..., Any]
) -> None:
    BUDGET_DUES.update(budget_of=budget_of, month_rows=month_rows, write_month=write_month)


def _budget_of(schedule: RecurringSchedule) -> Any:
    """The adopted budget whose dues ``schedule`` bills, or None (a schedule made by hand)."""
    return BUDGET_DUES["budget_of"](schedule) if BUDGET_DUES else None


def schedule_plan(schedule: RecurringSchedule, period: dt.date) -> tuple[BatchPlan, Decimal]:
    """The batch plan of one month (and the amount asked: per unit, or the month's total)."""
    budget = _budget_of(schedule)
    if budget is not None:  # dues of an adopted budget: each unit's contributions per fund (decision 0023)
        rows = [
            PlanRow(r.unit_id, r.number, r.share, r.amount) for r in BUDGET_DUES["month_rows"](budget, period)
        ]
        if not rows:
            raise ValidationError({"amount": _("This month is not part of the budget's fiscal year.")})
        total = sum((r.amount for r in rows), Decimal("0.00"))
        return BatchPlan(rows=rows, total=total), total
    if schedule.amount_mode == ScheduleAmountMode.BUDGET:
        amount = monthly_budget(schedule.amount, period)
        mode = AmountMode.SPLIT
    else:
        amount = schedule.amount
        mode = AmountMode.SAME
    ids = [u.pk for u in schedule.units.all()]
    plan = plan_batch(
        property=schedule.property,
        unit_scope=schedule.unit_scope,
        unit_ids=ids,
        amount_mode=mode,
        amount=amount,
    )
    return plan, amount


def periods_due(schedule: RecurringSchedule, today: dt.date) -> list[dt.date]:
    """Months whose invoices should exist by ``today``: created from the run date until the due date."""
    first = max(schedule.start_month, month_start(today))
    last = month_start(today + dt.timedelta(days=schedule.lead_days))
    if schedule.end_month is not None:
        last = min(last, schedule.end_month)
    periods = []
    period = first
    while period <= last and period.year < dt.MAXYEAR:
        if run_date_for(schedule, period) <= today <= due_date_for(period, schedule.day_of_month):
            periods.append(period)
        period = first_of_month_after(period, 1)
    return periods


# --- Recurring dues: the job ----------------------------------------------------------------------


def run_schedule_period(*, schedule_id: int, period: dt.date, now: dt.datetime) -> int:
    """Create one month's invoices of a schedule, once: returns how many invoices were created (0 if
    the month was already created or skipped, the schedule is paused, or it failed — then the reason
    is kept on the run and the next pass tries again)."""
    with transaction.atomic():
        # The schedule row lock serializes two workers on the same schedule; the unique
        # (schedule, period) constraint is the backstop where locks do not exist (SQLite).
        schedule = (
            RecurringSchedule.objects.select_for_update(of=("self",))
            .select_related("property")
            .filter(pk=schedule_id)
            .first()
        )
        if schedule is None or schedule.is_paused:
            return 0
        run = ScheduleRun.objects.select_for_update().filter(schedule=schedule, period=period).first()
        if run is not None and run.status != RunStatus.FAILED:
            return 0
        if run is None:
            try:
                with transaction.atomic():
                    run = ScheduleRun.objects.create(
                        schedule=schedule, period=period, status=RunStatus.FAILED
                    )
            except IntegrityError:
                return 0  # another worker created this month meanwhile
        prop = schedule.property
        due = due_date_for(period, schedule.day_of_month)
        try:
            with transaction.atomic(), translation.override(prop.language or "fr"):
                plan, amount = schedule_plan(schedule, period)
                batch = _create_scheduled_batch(schedule, prop, period, due, plan, amount, now)
                if schedule.auto_publish:
                    publish_invoices(actor=SYSTEM, property=prop, invoice_ids=_draft_ids(batch), now=now)
        except DomainError as exc:
            detail = _error_text(exc)[:500]
            if detail != run.detail:  # retried every pass: tell it once per new reason
                logger.warning("Recurring dues %s for %s not created: %s", schedule.pk, period, detail)
            run.detail = detail
            run.save(update_fields=["detail", "updated_at"])
            return 0
        run.status = RunStatus.CREATED
        run.batch = batch
        run.detail = ""
        run.save(update_fields=["status", "batch", "detail", "updated_at"])
        audit.record(SYSTEM, Verb.SCHEDULE_RUN, schedule, after={"period": period, "batch": batch.pk})
        return len(plan.rows)


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for messages in exc.errors.values() for m in messages)
    return str(exc.message)


def _create_scheduled_batch(
    schedule: RecurringSchedule,
    prop: Property,
    period: dt.date,
    due: dt.date,
    plan: BatchPlan,
    amount: Decimal,
    now: dt.datetime,
) -> Batch:
    locked = Property.objects.select_for_update().get(pk=prop.pk)
    require_payments_enabled(locked)
    title, due = _check_invoice_fields(
        property=locked,
        title=title_for(schedule.title_pattern, period, locked.language),
        due_date=due,
        now=now,
    )
    budget = _budget_of(schedule)
    if budget is not None:  # one line per fund (decision 0023)
        return BUDGET_DUES["write_month"](
            budget=budget,
            property=locked,
            period=period,
            title=title,
            due_date=due,
            description=schedule.description,
            notify_resident=schedule.notify_resident,
            actor=SYSTEM,
        )
    return _write_batch(
        actor=SYSTEM,
        property=locked,
        plan=plan,
        amount_mode=AmountMode.SPLIT
        if schedule.amount_mode == ScheduleAmountMode.BUDGET
        else AmountMode.SAME,
        amount=amount,
        title=title,
        due_date=due,
        description=schedule.description,
        notify_resident=schedule.notify_resident,
        creation_token=None,
    )


def run_recurring_dues(*, now: dt.datetime) -> int:
    """The scheduler's job: create every month due by now of every active schedule, once each."""
    created = 0
    schedules = RecurringSchedule.objects.filter(is_paused=False).select_related("property")
    for schedule in schedules:
        today = today_in(schedule.property.timezone, now=now)
        for period in periods_due(schedule, today):
            if (
                ScheduleRun.objects.filter(schedule=schedule, period=period)
                .exclude(status=RunStatus.FAILED)
                .exists()
            ):
                continue
            try:
                created += run_schedule_period(schedule_id=schedule.pk, period=period, now=now)
            except Exception:  # one schedule's failure never stops the others
                logger.exception("Recurring dues %s for %s failed", schedule.pk, period)
    return created


# --- Recurring dues: managing schedules -----------------------------------------------------------


@dataclass(frozen=True)
class ScheduleInput:
    title_pattern: str
    amount_mode: str
    amount: Decimal | None
    day_of_month: int | None
    start_month: dt.date | None
    end_month: dt.date | None
    lead_days: int | None
    unit_scope: str
    unit_ids: list[int]
    auto_publish: bool
    notify_resident: bool
    description: str = ""


SCHEDULE_FIELDS = [
    "title_pattern",
    "amount_mode",
    "amount",
    "day_of_month",
    "start_month",
    "end_month",
    "lead_days",
    "unit_scope",
    "auto_publish",
    "notify_resident",
    "description",
    "is_paused",
]


def _clean_schedule(property: Property, data: ScheduleInput) -> list[Unit]:
    errors: dict[str, str] = {}
    pattern = (data.title_pattern or "").strip()
    if not pattern:
        errors["title_pattern"] = _("Enter a title.")
    elif len(title_for(pattern, dt.date(2027, 9, 1), "fr")) > TITLE_MAX:
        errors["title_pattern"] = _("The title may have at most %(max)d characters.") % {"max": TITLE_MAX}
    if data.amount_mode not in ScheduleAmountMode.values:
        errors["amount_mode"] = _("Choose how the amount is charged.")
    try:
        _check_amount(data.amount)
    except ValidationError as exc:
        errors["amount"] = str(exc.errors["amount"][0])
    if data.day_of_month is None or not 1 <= data.day_of_month <= 31:
        errors["day_of_month"] = _("Choose a day between 1 and 31.")
    latest = latest_date(today_in(property.timezone))
    if data.start_month is None:
        errors["start_month"] = _("Choose the first month.")
    elif start_error := date_range_error(data.start_month, latest=latest):
        errors["start_month"] = start_error
    elif data.end_month is not None and data.end_month < data.start_month:
        errors["end_month"] = _("The last month cannot come before the first month.")
    if data.end_month is not None and (end_error := date_range_error(data.end_month, latest=latest)):
        errors["end_month"] = end_error
    if description_error := clean_description_error(data.description):
        errors["description"] = description_error
    if data.lead_days is None or not 0 <= data.lead_days <= MAX_LEAD_DAYS:
        errors["lead_days"] = _("Choose between 0 and %(max)d days.") % {"max": MAX_LEAD_DAYS}
    if errors:
        raise ValidationError(errors)
    units = select_units(property=property, unit_scope=data.unit_scope, unit_ids=data.unit_ids)
    if data.amount_mode == ScheduleAmountMode.BUDGET:
        assert data.amount is not None
        amounts_by_share(units=units, total=monthly_budget(data.amount, dt.date(2027, 2, 1)))
    return units


def _check_budget_schedule(schedule: RecurringSchedule, data: ScheduleInput) -> None:
    """The dues of an adopted budget bill its fixed contributions: their amount, units and months stay."""
    budget = _budget_of(schedule)
    if budget is None:
        return
    if (
        data.amount_mode != schedule.amount_mode
        or data.amount != schedule.amount
        or data.unit_scope != schedule.unit_scope
        or set(data.unit_ids) != {u.pk for u in schedule.units.all()}
        or (data.start_month and month_start(data.start_month)) != schedule.start_month
        or (data.end_month and month_start(data.end_month)) != schedule.end_month
    ):
        raise ValidationError(
            {
                "amount": _(
                    "These dues bill the contributions of budget %(year)s: their amount, units and months "
                    "cannot change here."
                )
                % {"year": budget.label}
            }
        )


def save_schedule(
    *, actor: User, property: Property, data: ScheduleInput, schedule_id: int | None = None
) -> RecurringSchedule:
    """Create or change a recurring dues schedule (months already created are not changed)."""
    require(actor, Action.CREATE_INVOICE, property)
    if data.auto_publish:
        require(actor, Action.PUBLISH_INVOICE, property)
    with transaction.atomic():
        locked = Property.objects.get(pk=property.pk)
        require_payments_enabled(locked)
        if schedule_id is None:
            schedule = RecurringSchedule(property=locked, created_by=actor)
            before = None
        else:
            found = (
                RecurringSchedule.objects.select_for_update().filter(pk=schedule_id, property=locked).first()
            )
            if found is None:
                raise NotFound(_("This schedule does not exist."))
            schedule = found
            before = audit.snapshot(schedule, SCHEDULE_FIELDS)
            _check_budget_schedule(schedule, data)
        _clean_schedule(locked, data)
        assert data.start_month is not None and data.amount is not None
        schedule.title_pattern = data.title_pattern.strip()
        schedule.amount_mode = data.amount_mode
        schedule.amount = data.amount
        schedule.day_of_month = data.day_of_month or 1
        schedule.start_month = month_start(data.start_month)
        schedule.end_month = month_start(data.end_month) if data.end_month else None
        schedule.lead_days = data.lead_days or 0
        schedule.unit_scope = data.unit_scope
        schedule.auto_publish = data.auto_publish
        schedule.notify_resident = data.notify_resident
        schedule.description = (data.description or "").strip()
        schedule.property = locked
        schedule.save()
        ids = [] if data.unit_scope == UnitScope.ALL else sorted(set(data.unit_ids))
        schedule.units.set(ids)
        after = audit.snapshot(schedule, SCHEDULE_FIELDS)
        after["units"] = ids
        audit.record(
            actor,
            Verb.SCHEDULE_CREATED if before is None else Verb.SCHEDULE_UPDATED,
            schedule,
            before=before,
            after=after,
        )
        return schedule


def _locked_schedule(schedule_id: int, property: Property) -> RecurringSchedule:
    schedule = RecurringSchedule.objects.select_for_update().filter(pk=schedule_id, property=property).first()
    if schedule is None:
        raise NotFound(_("This schedule does not exist."))
    return schedule


def set_schedule_paused(
    *, actor: User, property: Property, schedule_id: int, paused: bool
) -> RecurringSchedule:
    """Pause a schedule (no month is created while paused) or resume it."""
    require(actor, Action.CREATE_INVOICE, property)
    with transaction.atomic():
        schedule = _locked_schedule(schedule_id, property)
        if schedule.is_paused == paused:
            return schedule
        schedule.is_paused = paused
        schedule.save(update_fields=["is_paused", "updated_at"])
        audit.record(
            actor,
            Verb.SCHEDULE_PAUSED if paused else Verb.SCHEDULE_RESUMED,
            schedule,
            before={"is_paused": not paused},
            after={"is_paused": paused},
        )
        return schedule


def skip_schedule_period(
    *, actor: User, property: Property, schedule_id: int, period: dt.date
) -> ScheduleRun:
    """Skip one month: the worker will not create it. A month already created is voided, not skipped."""
    require(actor, Action.CREATE_INVOICE, property)
    period = month_start(period)
    with transaction.atomic():
        schedule = _locked_schedule(schedule_id, property)
        if period < schedule.start_month or (schedule.end_month and period > schedule.end_month):
            raise InvalidTransition(_("This month is not part of the schedule."))
        run = ScheduleRun.objects.select_for_update().filter(schedule=schedule, period=period).first()
        if run is not None and run.status == RunStatus.CREATED:
            raise InvalidTransition(
                _("The invoices of this month were already created: void them from their batch instead.")
            )
        if run is not None and run.status == RunStatus.SKIPPED:
            return run
        if run is None:
            run = ScheduleRun(schedule=schedule, period=period)
        run.status = RunStatus.SKIPPED
        run.created_by = actor
        run.detail = ""
        run.save()
        audit.record(
            actor, Verb.SCHEDULE_PERIOD_SKIPPED, schedule, property=property, after={"period": period}
        )
        return run


def restore_schedule_period(
    *,
    actor: User,
    property: Property,
    schedule_id: int,
    period: dt.date,
    now: dt.datetime | None = None,
) -> None:
    """Undo « Sauter » on a month still to come: its skip is removed (kept in the audit trail) and the
    worker creates the month as planned — at its run date, or at its next pass (a minute) when the run
    date has already come. Refused once the month's due date has passed: a month is never created late."""
    require(actor, Action.CREATE_INVOICE, property)
    period = month_start(period)
    with transaction.atomic():
        schedule = _locked_schedule(schedule_id, property)
        run = ScheduleRun.objects.select_for_update().filter(schedule=schedule, period=period).first()
        if run is None or run.status != RunStatus.SKIPPED:
            raise InvalidTransition(_("This month is not skipped."))
        today = today_in(property.timezone, now=now)
        if due_date_for(period, schedule.day_of_month) < today:
            raise InvalidTransition(
                _("This month's due date has passed: its invoices can no longer be created automatically.")
            )
        before = {
            "period": period,
            "skipped_by": run.created_by_id,
            "skipped_at": run.updated_at.isoformat(),
        }
        # The skip row is removed (no invoice hangs on it): the month is then exactly "planned" again,
        # and the worker's unique (schedule, period) run is free for it.
        run.delete()
        audit.record(
            actor,
            Verb.SCHEDULE_PERIOD_RESTORED,
            schedule,
            property=property,
            before=before,
            after={"period": period},
        )
