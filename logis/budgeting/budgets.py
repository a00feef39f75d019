"""Budget → contributions: the services (save a draft, adopt it into recurring dues); reads: ``budget_reads``.

The board enters each fund's budget for a fiscal year; ``contribution_table`` shows each unit's yearly
and monthly contribution per fund in proportion to its share (art. 1064 C.c.Q.) before anything is
created; ``adopt_budget`` (« Créer les charges ») fixes those contributions (art. 1072) and creates the
recurring dues schedule that bills them, one invoice per unit per month with one line per fund
(docs/decisions/0023).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logis.billing.models import RecurringSchedule, ScheduleAmountMode, UnitScope
from logis.budgeting import allocation
from logis.budgeting.budget_reads import ContributionTable, budget_table, fiscal_year_choices
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.money import MAX_AMOUNT, quantize
from logis.core.permissions import Action, require
from logis.finances.models import Budget, BudgetAmount, BudgetContribution, BudgetStatus, Fund
from logis.invoicing.rules import require_payments_enabled
from logis.properties.models import Property

if TYPE_CHECKING:
    from logis.accounts.models import User

ZERO = Decimal("0.00")
MAX_LEAD_DAYS = 60


# --- Saving a draft -------------------------------------------------------------------------------


def _clean_amounts(property: Property, amounts: dict[int, Decimal | None]) -> dict[int, Decimal]:
    funds = set(Fund.objects.filter(property=property).values_list("pk", flat=True))
    errors: dict[str, str] = {}
    clean: dict[int, Decimal] = {}
    for fund_id, amount in amounts.items():
        key = f"fund_{fund_id}"
        if fund_id not in funds:
            errors["__all__"] = _("Choose funds of this property.")
            continue
        value = amount if amount is not None else ZERO
        if value < 0:
            errors[key] = _("The amount cannot be negative.")
        elif value != quantize(value):
            errors[key] = _("The amount may have at most two decimals.")
        elif value > MAX_AMOUNT:
            errors[key] = _("The amount is too large.")
        else:
            clean[fund_id] = value
    if not errors and not any(v > 0 for v in clean.values()):
        errors["__all__"] = _("Enter the budget of at least one fund.")
    if errors:
        raise ValidationError(errors)
    return clean


AUDITED = ["fiscal_year", "first_month", "status"]


def save_budget(
    *,
    actor: User,
    property: Property,
    fiscal_year: int | None,
    amounts: dict[int, Decimal | None],
    budget_id: int | None = None,
    now: dt.datetime | None = None,
) -> Budget:
    """Create or change a draft budget: an amount per fund for one fiscal year (one budget per year)."""
    require(actor, Action.CREATE_INVOICE, property)
    with transaction.atomic():
        locked = Property.objects.select_for_update().get(pk=property.pk)
        if budget_id is None:
            today = today_in(locked.timezone, now=now)
            if fiscal_year not in fiscal_year_choices(locked, today):
                raise ValidationError(
                    {"fiscal_year": _("Choose the current fiscal year or one of the next two.")}
                )
            if Budget.objects.filter(property=locked, fiscal_year=fiscal_year).exists():
                raise ValidationError(
                    {"fiscal_year": _("This fiscal year already has a budget: open it from the list.")}
                )
            budget = Budget(
                property=locked,
                fiscal_year=fiscal_year,
                first_month=locked.fiscal_year_start_month or 1,
                created_by=actor,
            )
            before = None
        else:
            found = Budget.objects.select_for_update().filter(pk=budget_id, property=locked).first()
            if found is None:
                raise NotFound(_("This budget does not exist."))
            if found.status != BudgetStatus.DRAFT:
                raise InvalidTransition(_("This budget is adopted: its contributions can no longer change."))
            budget = found
            before = {**audit.snapshot(budget, AUDITED), "amounts": _amounts_snapshot(budget)}
        clean = _clean_amounts(locked, amounts)
        try:
            with transaction.atomic():
                budget.save()
        except IntegrityError:
            raise ValidationError(
                {"fiscal_year": _("This fiscal year already has a budget: open it from the list.")}
            ) from None
        for fund_id, amount in clean.items():
            BudgetAmount.objects.update_or_create(budget=budget, fund_id=fund_id, defaults={"amount": amount})
        after = {**audit.snapshot(budget, AUDITED), "amounts": _amounts_snapshot(budget)}
        audit.record(
            actor,
            Verb.BUDGET_CREATED if before is None else Verb.BUDGET_UPDATED,
            budget,
            before=before,
            after=after,
        )
        return budget


def _amounts_snapshot(budget: Budget) -> dict[str, str]:
    return {
        str(a.fund_id): str(a.amount) for a in BudgetAmount.objects.filter(budget=budget).order_by("fund_id")
    }


# --- Adopting: « Créer les charges » --------------------------------------------------------------


@dataclass(frozen=True)
class DuesOptions:
    title_pattern: str
    day_of_month: int | None
    lead_days: int | None
    auto_publish: bool
    notify_resident: bool


def _clean_options(options: DuesOptions) -> DuesOptions:
    from logis.billing.periods import title_for
    from logis.invoicing.rules import TITLE_MAX

    errors: dict[str, str] = {}
    pattern = (options.title_pattern or "").strip()
    if not pattern:
        errors["title_pattern"] = _("Enter a title.")
    elif len(title_for(pattern, dt.date(2027, 9, 1), "fr")) > TITLE_MAX:
        errors["title_pattern"] = _("The title may have at most %(max)d characters.") % {"max": TITLE_MAX}
    if options.day_of_month is None or not 1 <= options.day_of_month <= 31:
        errors["day_of_month"] = _("Choose a day between 1 and 31.")
    if options.lead_days is None or not 0 <= options.lead_days <= MAX_LEAD_DAYS:
        errors["lead_days"] = _("Choose between 0 and %(max)d days.") % {"max": MAX_LEAD_DAYS}
    if errors:
        raise ValidationError(errors)
    return DuesOptions(
        pattern, options.day_of_month, options.lead_days, options.auto_publish, options.notify_resident
    )


def check_billable(table: ContributionTable) -> None:
    """Refuse a table in which a unit would be billed 0 $ in some month (an invoice is > 0 $)."""
    zero = [
        row.number
        for row, contribution in zip(table.rows, table.contributions, strict=True)
        if any(contribution.month_total(m) <= 0 for m in range(allocation.MONTHS))
    ]
    if zero:
        raise ValidationError(
            {
                "__all__": _("With this budget, these units would be billed 0 $ in some months: %(units)s.")
                % {"units": ", ".join(zero)}
            }
        )


def adopt_budget(
    *, actor: User, property: Property, budget_id: int, options: DuesOptions, now: dt.datetime | None = None
) -> Budget:
    """Draft → adopted: fix each unit's contribution per fund and create the year's recurring dues."""
    require(actor, Action.CREATE_INVOICE, property)
    if options.auto_publish:
        require(actor, Action.PUBLISH_INVOICE, property)
    options = _clean_options(options)
    with transaction.atomic():
        locked = Property.objects.select_for_update().get(pk=property.pk)
        require_payments_enabled(locked)
        budget = Budget.objects.select_for_update().filter(pk=budget_id, property=locked).first()
        if budget is None:
            raise NotFound(_("This budget does not exist."))
        if budget.status != BudgetStatus.DRAFT:
            raise InvalidTransition(_("The dues of this budget were already created."))
        budget.property = locked
        table = budget_table(budget)
        check_billable(table)
        months = table.months
        today = today_in(locked.timezone, now=now)
        from logis.billing.periods import due_date_for

        if due_date_for(months[-1], options.day_of_month or 1) < today:
            raise InvalidTransition(_("This fiscal year is over: its dues can no longer be created."))
        BudgetContribution.objects.bulk_create(
            [
                BudgetContribution(
                    budget=budget, unit_id=row.unit_id, fund_id=fund_id, share=row.share, yearly=amount
                )
                for row in table.rows
                for fund_id, amount in zip([c.fund_id for c in table.funds], row.yearly, strict=True)
            ]
        )
        schedule = RecurringSchedule.objects.create(
            property=locked,
            title_pattern=options.title_pattern,
            amount_mode=ScheduleAmountMode.BUDGET,
            amount=table.total,
            day_of_month=options.day_of_month or 1,
            start_month=months[0],
            end_month=months[-1],
            lead_days=options.lead_days or 0,
            unit_scope=UnitScope.ONLY,
            auto_publish=options.auto_publish,
            notify_resident=options.notify_resident,
            created_by=actor,
        )
        schedule.units.set([row.unit_id for row in table.rows])
        budget.status = BudgetStatus.ADOPTED
        budget.schedule = schedule
        budget.adopted_by = actor
        budget.adopted_at = now or timezone.now()
        budget.save(update_fields=["status", "schedule", "adopted_by", "adopted_at", "updated_at"])
        audit.record(
            actor,
            Verb.BUDGET_ADOPTED,
            budget,
            before={"status": BudgetStatus.DRAFT},
            after={
                "status": BudgetStatus.ADOPTED,
                "schedule": schedule.pk,
                "total": table.total,
                "units": len(table.rows),
                "amounts": {str(c.fund_id): str(c.budget) for c in table.funds},
                "day_of_month": schedule.day_of_month,
                "lead_days": schedule.lead_days,
                "auto_publish": schedule.auto_publish,
                "notify_resident": schedule.notify_resident,
            },
        )
        return budget


# --- What the recurring dues bill each month -----------------------------------------------------


@dataclass(frozen=True)
class MonthLine:
    fund_id: int
    amount: Decimal


def month_lines(budget: Budget, period: dt.date) -> dict[int, list[MonthLine]]:
    """Each unit's lines (one per fund with a part > 0 $) for ``period`` of the budget's fiscal year."""
    months = allocation.fiscal_year_months(budget.fiscal_year, budget.first_month)
    if period not in months:
        return {}
    index = months.index(period)
    lines: dict[int, list[MonthLine]] = {}
    for c in BudgetContribution.objects.filter(budget=budget).order_by("unit_id", "fund_id"):
        part = allocation.monthly_parts(c.yearly)[index]
        if part > 0:
            lines.setdefault(c.unit_id, []).append(MonthLine(c.fund_id, part))
    return lines
