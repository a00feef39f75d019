"""Billing services: charge many units at once (batches) and recurring monthly dues.

Invoices are the invoicing app's: drafts are written here in bulk with the same rules as
``invoicing.services.create_invoice`` (payments enabled, title 1–200 characters, amount > 0 $ with two
decimals, due date today or later in the property's zone) and one audit event each; publishing and
voiding go through ``invoicing.services.publish_invoices`` / ``void_invoice`` themselves.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from logis.billing.models import (
    AmountMode,
    Batch,
    BatchInvoice,
    RecurringSchedule,
    RunStatus,
    ScheduleAmountMode,
    ScheduleRun,
    UnitScope,
)
from logis.core import audit
from logis.core.dates import date_range_error, latest_date, today_in
from logis.core.errors import DomainError, InvalidTransition, NotFound, ValidationError
from logis.core.models import AuditEvent
from logis.core.money import MAX_AMOUNT, quantize
from logis.core.permissions import SYSTEM, Action, Actor, require, user_or_none
from logis.invoicing.lines import create_single_lines, single_line_category
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import (
    AUDITED_FIELDS,
    TITLE_MAX,
    PublishResult,
    _check_payments_enabled,
    clean_description_error,
    clean_title,
    due_date_error,
    publish_invoices,
    void_invoice,
)
from logis.properties.models import Property, Unit

if TYPE_CHECKING:
    from logis.accounts.models import User

logger = logging.getLogger(__name__)

MAX_LEAD_DAYS = 60
MONTH_PLACEHOLDERS = ("{mois}", "{month}")


# --- The split ------------------------------------------------------------------------------------


def split_by_shares(total: Decimal, shares: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split ``total`` between the keys in proportion to their shares, to the cent, summing exactly.

    Largest remainder: each key gets the floor of its exact part in cents; the cents left over go one
    each to the keys with the largest remainders (ties: the key that comes first in ``shares``).
    Shares need not add up to 100; they must be >= 0 with a positive sum.
    """
    if quantize(total) != total:
        raise ValueError("total must have at most two decimals")
    cents = int(total * 100)
    if cents < 0:
        raise ValueError("total must not be negative")
    if any(s < 0 for s in shares.values()):
        raise ValueError("shares must not be negative")
    weight = sum((Fraction(s) for s in shares.values()), Fraction(0))
    if weight <= 0:
        raise ValueError("shares must have a positive sum")
    floors: dict[int, int] = {}
    remainders: list[tuple[Fraction, int, int]] = []
    for order, (key, share) in enumerate(shares.items()):
        exact = Fraction(cents) * Fraction(share) / weight
        floor = exact.numerator // exact.denominator
        floors[key] = floor
        remainders.append((exact - floor, -order, key))
    left = cents - sum(floors.values())
    for _rem, _order, key in sorted(remainders, reverse=True)[:left]:
        floors[key] += 1
    return {key: Decimal(c) / 100 for key, c in floors.items()}


# --- Choosing units and amounts -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    unit_id: int
    number: str
    share: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class BatchPlan:
    """What a batch will create: one row per unit (natural order) and the total."""

    rows: list[PlanRow]
    total: Decimal

    @property
    def unit_ids(self) -> list[int]:
        return [r.unit_id for r in self.rows]


def select_units(*, property: Property, unit_scope: str, unit_ids: Iterable[int]) -> list[Unit]:
    """The units of ``property`` chosen as all, only the checked ones, or all but the checked ones."""
    checked = {int(i) for i in unit_ids}
    units = list(
        Unit.objects.filter(property=property).order_by("sort_key", "id").only("id", "number", "share")
    )
    known = {u.pk for u in units}
    if unit_scope not in UnitScope.values:
        raise ValidationError({"unit_scope": _("Choose which units to bill.")})
    if unit_scope != UnitScope.ALL and checked - known:
        raise ValidationError({"units": _("Choose units of this property.")})
    if unit_scope == UnitScope.ONLY:
        if not checked:
            raise ValidationError({"units": _("Check at least one unit.")})
        units = [u for u in units if u.pk in checked]
    elif unit_scope == UnitScope.EXCEPT:
        units = [u for u in units if u.pk not in checked]
    if not units:
        raise ValidationError({"units": _("No unit is selected: this property has no unit to bill.")})
    return units


def _numbers(units: Iterable[Unit]) -> str:
    return ", ".join(u.number for u in units)


def amounts_by_share(*, units: list[Unit], total: Decimal, field: str = "amount") -> dict[int, Decimal]:
    """``total`` split by the units' shares; a ValidationError names units without share or at 0 $."""
    missing = [u for u in units if u.share is None]
    if missing:
        raise ValidationError(
            {
                "amount_mode": _(
                    "These units have no share (quote-part): %(units)s. Give them a share on the Units "
                    "page, leave them out, or bill the same amount to each unit."
                )
                % {"units": _numbers(missing)}
            }
        )
    shares = {u.pk: Decimal(u.share or 0) for u in units}
    if sum(shares.values()) <= 0:
        raise ValidationError({"amount_mode": _("The shares of these units add up to 0 %.")})
    parts = split_by_shares(total, shares)
    zero = [u for u in units if parts[u.pk] <= 0]
    if zero:
        raise ValidationError(
            {
                field: _("With this total, these units would be billed 0 $: %(units)s.")
                % {"units": _numbers(zero)}
            }
        )
    return parts


def _check_amount(amount: Decimal | None, field: str = "amount") -> Decimal:
    if amount is None:
        raise ValidationError({field: _("Enter an amount.")})
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than $0.")})
    if amount != quantize(amount):
        raise ValidationError({field: _("The amount may have at most two decimals.")})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: _("The amount is too large.")})
    return amount


def plan_batch(
    *, property: Property, unit_scope: str, unit_ids: Iterable[int], amount_mode: str, amount: Decimal | None
) -> BatchPlan:
    """Which units a batch bills and how much each: the preview shows exactly what will be created."""
    amount = _check_amount(amount)
    units = select_units(property=property, unit_scope=unit_scope, unit_ids=unit_ids)
    if amount_mode == AmountMode.SPLIT:
        parts = amounts_by_share(units=units, total=amount)
    elif amount_mode == AmountMode.SAME:
        parts = {u.pk: amount for u in units}
    else:
        raise ValidationError({"amount_mode": _("Choose how the amount is charged.")})
    rows = [PlanRow(u.pk, u.number, u.share, parts[u.pk]) for u in units]
    return BatchPlan(rows=rows, total=sum((r.amount for r in rows), Decimal("0.00")))


def _check_invoice_fields(
    *,
    property: Property,
    title: str,
    due_date: dt.date | None,
    now: dt.datetime | None,
    description: str = "",
) -> tuple[str, dt.date]:
    """The rules of ``create_invoice`` for what all invoices of a batch share."""
    errors: dict[str, str] = {}
    title, title_error = clean_title(title)
    if title_error:
        errors["title"] = title_error
    due_error = due_date_error(property, due_date, now)
    if due_error:
        errors["due_date"] = due_error
    description_error = clean_description_error(description)
    if description_error:
        errors["description"] = description_error
    if errors:
        raise ValidationError(errors)
    assert due_date is not None
    return title, due_date


# --- Batches --------------------------------------------------------------------------------------


def _write_batch(
    *,
    actor: Actor,
    property: Property,
    plan: BatchPlan,
    amount_mode: str,
    amount: Decimal,
    title: str,
    due_date: dt.date,
    description: str,
    notify_resident: bool,
    creation_token: uuid.UUID | None,
) -> Batch:
    """Bulk-write the batch, its drafts, their links and one audit event per invoice (in the caller's
    transaction)."""
    user = user_or_none(actor)
    batch = Batch.objects.create(
        property=property,
        title=title,
        amount_mode=amount_mode,
        amount=amount,
        total=plan.total,
        due_date=due_date,
        description=description,
        notify_resident=notify_resident,
        unit_count=len(plan.rows),
        created_by=user,
        creation_token=creation_token,
    )
    invoices = [
        Invoice(
            property=property,
            unit_id=row.unit_id,
            title=title,
            amount=row.amount,
            due_date=due_date,
            description=description,
            notify_resident=notify_resident,
            status=InvoiceStatus.DRAFT,
            created_by=user,
        )
        for row in plan.rows
    ]
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    # One line each, in the property's default category (condo fees unless the syndicate chose another).
    create_single_lines(invoices, single_line_category(property))
    BatchInvoice.objects.bulk_create(
        [BatchInvoice(batch=batch, invoice_id=inv.pk) for inv in invoices], batch_size=1000
    )
    # The same event ``create_invoice`` records, written in bulk; the batch event tells where they came from.
    actor_user = user if user is not None and user.is_authenticated else None
    object_type = Invoice._meta.label_lower
    events = [
        AuditEvent(
            property=property,
            actor=actor_user,
            verb="invoice.created",
            object_type=object_type,
            object_id=str(inv.pk),
            object_repr=str(inv)[:255],
            after={**audit._jsonable(audit.snapshot(inv, AUDITED_FIELDS)), "batch": batch.pk},
        )
        for inv in invoices
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    audit.record(
        actor,
        "batch.created",
        batch,
        after={
            "title": title,
            "amount_mode": amount_mode,
            "amount": amount,
            "total": plan.total,
            "due_date": due_date,
            "units": len(plan.rows),
            "notify_resident": notify_resident,
        },
    )
    return batch


def create_batch(
    *,
    actor: Actor,
    property: Property,
    unit_scope: str,
    unit_ids: Iterable[int] = (),
    title: str,
    amount_mode: str,
    amount: Decimal | None,
    due_date: dt.date | None,
    description: str = "",
    notify_resident: bool = False,
    creation_token: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Batch:
    """Create one draft per chosen unit, all in one transaction; the same form token twice returns the
    first batch."""
    require(actor, Action.CREATE_INVOICE, property)
    if creation_token is not None:
        existing = Batch.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            if existing.property_id != property.pk:
                raise ValidationError({"__all__": _("This form was already used. Reload the page.")})
            return existing
    with transaction.atomic():
        # Locked: a concurrent batch or publish on the same property waits (and payments may just have
        # been disabled: read them fresh).
        locked = Property.objects.select_for_update().get(pk=property.pk)
        _check_payments_enabled(locked)
        title, due = _check_invoice_fields(
            property=locked, title=title, due_date=due_date, now=now, description=description
        )
        plan = plan_batch(
            property=locked, unit_scope=unit_scope, unit_ids=unit_ids, amount_mode=amount_mode, amount=amount
        )
        assert amount is not None
        try:
            with transaction.atomic():
                return _write_batch(
                    actor=actor,
                    property=locked,
                    plan=plan,
                    amount_mode=amount_mode,
                    amount=amount,
                    title=title,
                    due_date=due,
                    description=(description or "").strip(),
                    notify_resident=notify_resident,
                    creation_token=creation_token,
                )
        except IntegrityError:
            if creation_token is None:
                raise
            return Batch.objects.get(creation_token=creation_token, property=property)


def _locked_batch(batch_id: int, property: Property) -> Batch:
    batch = Batch.objects.select_for_update().filter(pk=batch_id, property=property).first()
    if batch is None:
        raise NotFound(_("This batch does not exist."))
    return batch


def _draft_ids(batch: Batch) -> list[int]:
    return list(
        Invoice.objects.filter(batch_item__batch=batch, status=InvoiceStatus.DRAFT)
        .order_by("id")
        .values_list("id", flat=True)
    )


def publish_batch(
    *, actor: Actor, property: Property, batch_id: int, now: dt.datetime | None = None
) -> list[PublishResult]:
    """Publish every draft of the batch, all or nothing (``publish_invoices``), emails queued as asked."""
    require(actor, Action.PUBLISH_INVOICE, property)
    with transaction.atomic():
        batch = _locked_batch(batch_id, property)
        ids = _draft_ids(batch)
        if not ids:
            raise InvalidTransition(_("This batch has no draft left to publish."))
        results = publish_invoices(actor=actor, property=property, invoice_ids=ids, now=now)
        audit.record(
            actor,
            "batch.published",
            batch,
            after={
                "invoices": len(results),
                "emails_queued": sum(1 for r in results if r.email_to is not None),
            },
        )
        return results


def void_batch_drafts(*, actor: User, property: Property, batch_id: int, reason: str) -> int:
    """Void every draft of the batch with one reason, all or nothing; published invoices stay as they are."""
    require(actor, Action.VOID_INVOICE, property)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Enter the reason for voiding these invoices.")})
    with transaction.atomic():
        batch = _locked_batch(batch_id, property)
        ids = _draft_ids(batch)
        if not ids:
            raise InvalidTransition(_("This batch has no draft left to void."))
        for invoice_id in ids:
            void_invoice(actor=actor, invoice_id=invoice_id, reason=reason, property=property)
        audit.record(actor, "batch.drafts_voided", batch, after={"invoices": len(ids), "reason": reason})
        return len(ids)


# --- Recurring dues: periods and titles -------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The 1st of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def due_date_for(period: dt.date, day_of_month: int) -> dt.date:
    """The due date in ``period``'s month: ``day_of_month``, or the month's last day when it is shorter."""
    last = calendar.monthrange(period.year, period.month)[1]
    return period.replace(day=min(day_of_month, last))


def run_date_for(schedule: RecurringSchedule, period: dt.date) -> dt.date:
    """The local date on which the worker creates ``period``'s invoices: ``lead_days`` before they are due."""
    return due_date_for(period, schedule.day_of_month) - dt.timedelta(days=schedule.lead_days)


def month_label(period: dt.date, language: str) -> str:
    """« janvier 2027 » / "January 2027"."""
    with translation.override(language or "fr"):
        return str(formats.date_format(period, "F Y"))


def title_for(pattern: str, period: dt.date, language: str) -> str:
    """The pattern with ``{mois}`` (or ``{month}``) replaced by the month in the property's language."""
    label = month_label(period, language)
    title = pattern
    for placeholder in MONTH_PLACEHOLDERS:
        title = title.replace(placeholder, label)
    return title.strip()


def monthly_budget(annual: Decimal, period: dt.date) -> Decimal:
    """The month's part of an annual budget: twelve parts to the cent that add up to the budget exactly."""
    parts = split_by_shares(annual, {m: Decimal(1) for m in range(1, 13)})
    return parts[period.month]


def schedule_plan(schedule: RecurringSchedule, period: dt.date) -> tuple[BatchPlan, Decimal]:
    """The batch plan of one month (and the amount asked: per unit, or the month's total)."""
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
        period = add_months(period, 1)
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
        audit.record(SYSTEM, "schedule.run", schedule, after={"period": period, "batch": batch.pk})
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
    _check_payments_enabled(locked)
    title, due = _check_invoice_fields(
        property=locked,
        title=title_for(schedule.title_pattern, period, locked.language),
        due_date=due,
        now=now,
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


def save_schedule(
    *, actor: User, property: Property, data: ScheduleInput, schedule_id: int | None = None
) -> RecurringSchedule:
    """Create or change a recurring dues schedule (months already created are not changed)."""
    require(actor, Action.CREATE_INVOICE, property)
    if data.auto_publish:
        require(actor, Action.PUBLISH_INVOICE, property)
    with transaction.atomic():
        locked = Property.objects.get(pk=property.pk)
        _check_payments_enabled(locked)
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
            "schedule.created" if before is None else "schedule.updated",
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
            "schedule.paused" if paused else "schedule.resumed",
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
        audit.record(actor, "schedule.period_skipped", schedule, property=property, after={"period": period})
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
            "schedule.period_restored",
            schedule,
            property=property,
            before=before,
            after={"period": period},
        )
