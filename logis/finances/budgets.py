"""Budget → contributions: services (save a draft, adopt it into recurring dues) and selectors.

The board enters each fund's budget for a fiscal year; ``contribution_table`` shows each unit's yearly
and monthly contribution per fund in proportion to its share (art. 1064 C.c.Q.) before anything is
created; ``adopt_budget`` (« Créer les charges ») fixes those contributions (art. 1072) and creates the
recurring dues schedule that bills them, one invoice per unit per month with one line per fund
(docs/decisions/0023).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from logis.billing.models import RecurringSchedule, ScheduleAmountMode, UnitScope
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.money import MAX_AMOUNT, quantize
from logis.core.permissions import Action, require
from logis.finances import allocation
from logis.finances import selectors as finance_selectors
from logis.finances.models import Budget, BudgetAmount, BudgetContribution, BudgetStatus, Fund, FundKind
from logis.invoicing.services import _check_payments_enabled
from logis.properties.models import Property, Unit

if TYPE_CHECKING:
    from logis.accounts.models import User

ZERO = Decimal("0.00")
MAX_LEAD_DAYS = 60


# --- Fiscal years ---------------------------------------------------------------------------------


def current_fiscal_year(property: Property, today: dt.date | None = None) -> int:
    """The calendar year in which the fiscal year containing ``today`` (property's local date) starts."""
    today = today or today_in(property.timezone)
    first = property.fiscal_year_start_month or 1
    return today.year if today.month >= first else today.year - 1


def fiscal_year_choices(property: Property, today: dt.date | None = None) -> list[int]:
    """The years a new budget may be for: the current fiscal year and the next two."""
    year = current_fiscal_year(property, today)
    return [year, year + 1, year + 2]


def fiscal_year_label(year: int, first_month: int) -> str:
    return str(year) if first_month == 1 else f"{year}-{year + 1}"


# --- Reading --------------------------------------------------------------------------------------


def budget_funds(property: Property, budget: Budget | None = None) -> list[Fund]:
    """The funds a budget is entered for: the property's active funds, and any fund the budget uses."""
    funds = list(finance_selectors.funds(property).order_by("position", "id"))
    used = set() if budget is None else {a.fund_id for a in budget.amounts.all()}
    return [f for f in funds if getattr(f, "is_active", True) or f.pk in used]


def budget_list(property: Property) -> list[Budget]:
    return list(
        Budget.objects.filter(property=property)
        .annotate(total=Sum("amounts__amount"))
        .select_related("schedule")
        .order_by("-fiscal_year")
    )


def get_budget(property: Property, budget_id: int) -> Budget:
    budget = (
        Budget.objects.filter(property=property, pk=budget_id)
        .select_related("schedule", "adopted_by")
        .prefetch_related("amounts__fund")
        .first()
    )
    if budget is None:
        raise NotFound(_("This budget does not exist."))
    return budget


@dataclass(frozen=True)
class FundColumn:
    fund_id: int
    name: str
    kind: str
    budget: Decimal
    monthly_total: Decimal  # the first month's parts of every unit


@dataclass(frozen=True)
class TableRow:
    unit_id: int
    number: str
    share: Decimal
    yearly: list[Decimal]  # per fund, in the order of the columns
    monthly: list[Decimal]  # per fund: the first month's part
    yearly_total: Decimal
    monthly_total: Decimal

    @property
    def pairs(self) -> list[tuple[Decimal, Decimal]]:
        return list(zip(self.yearly, self.monthly, strict=True))


@dataclass(frozen=True)
class ContributionTable:
    """Each unit's contribution per fund; the totals row equals the budget."""

    funds: list[FundColumn]
    rows: list[TableRow]
    total: Decimal
    monthly_total: Decimal
    months: list[dt.date]
    operating: Decimal = ZERO
    contingency: Decimal = ZERO
    minimum_contingency: Decimal = ZERO
    # Months differ by at most a cent: the first months of the fiscal year carry the leftover cents.
    months_differ: bool = False
    contributions: list[allocation.UnitContribution[int]] = field(default_factory=list)

    @property
    def contingency_too_low(self) -> bool:
        return self.operating > 0 and allocation.contingency_below_minimum(self.operating, self.contingency)


def _units_with_shares(property: Property) -> list[Unit]:
    units = list(
        Unit.objects.filter(property=property).order_by("sort_key", "id").only("id", "number", "share")
    )
    if not units:
        raise ValidationError({"__all__": _("This property has no unit yet: add its units first.")})
    missing = [u.number for u in units if u.share is None]
    if missing:
        raise ValidationError(
            {
                "__all__": _(
                    "These units have no share (quote-part): %(units)s. Give them a share on the Units page "
                    "first: contributions are split by share."
                )
                % {"units": ", ".join(missing)}
            }
        )
    if sum((Decimal(u.share or 0) for u in units), ZERO) <= 0:
        raise ValidationError({"__all__": _("The shares of the units add up to 0 %.")})
    return units


def contribution_table(
    *, property: Property, amounts: dict[int, Decimal], fiscal_year: int, first_month: int
) -> ContributionTable:
    """The contributions of every unit of ``property`` for ``amounts`` (fund id → yearly budget)."""
    funds = {f.pk: f for f in Fund.objects.filter(property=property, pk__in=list(amounts))}
    budget = {fund_id: amount for fund_id, amount in amounts.items() if amount > 0 and fund_id in funds}
    if not budget:
        raise ValidationError({"__all__": _("Enter the budget of at least one fund.")})
    units = _units_with_shares(property)
    shares = {u.pk: Decimal(u.share or 0) for u in units}
    contributions = allocation.contributions(budget, shares)
    fund_ids = list(budget)
    rows = []
    months_differ = False
    for unit, contribution in zip(units, contributions, strict=True):
        yearly = [contribution.yearly[f] for f in fund_ids]
        monthly = [contribution.monthly[f][0] for f in fund_ids]
        months_differ = months_differ or any(parts[0] != parts[-1] for parts in contribution.monthly.values())
        rows.append(
            TableRow(
                unit_id=unit.pk,
                number=unit.number,
                share=shares[unit.pk],
                yearly=yearly,
                monthly=monthly,
                yearly_total=sum(yearly, ZERO),
                monthly_total=sum(monthly, ZERO),
            )
        )
    columns = [
        FundColumn(
            fund_id=f,
            name=funds[f].display_name,
            kind=funds[f].kind,
            budget=budget[f],
            monthly_total=sum((r.monthly[i] for r in rows), ZERO),
        )
        for i, f in enumerate(fund_ids)
    ]
    operating = sum((c.budget for c in columns if c.kind == FundKind.OPERATING), ZERO)
    contingency = sum((c.budget for c in columns if c.kind == FundKind.CONTINGENCY), ZERO)
    return ContributionTable(
        funds=columns,
        rows=rows,
        total=sum(budget.values(), ZERO),
        monthly_total=sum((r.monthly_total for r in rows), ZERO),
        months=allocation.fiscal_year_months(fiscal_year, first_month),
        operating=operating,
        contingency=contingency,
        minimum_contingency=allocation.minimum_contingency(operating),
        months_differ=months_differ,
        contributions=contributions,
    )


def budget_table(budget: Budget) -> ContributionTable:
    """A draft's table from its amounts and today's shares; an adopted one's from its fixed contributions."""
    amounts = {a.fund_id: a.amount for a in budget.amounts.all()}
    if budget.status == BudgetStatus.DRAFT:
        return contribution_table(
            property=budget.property,
            amounts=amounts,
            fiscal_year=budget.fiscal_year,
            first_month=budget.first_month,
        )
    return _adopted_table(budget, amounts)


def _adopted_table(budget: Budget, amounts: dict[int, Decimal]) -> ContributionTable:
    fixed = list(
        BudgetContribution.objects.filter(budget=budget)
        .select_related("unit", "fund")
        .order_by("unit__sort_key", "unit_id", "fund_id")
    )
    fund_ids = [f for f in amounts if amounts[f] > 0]
    funds = {c.fund_id: c.fund for c in fixed}
    by_unit: dict[int, dict[int, BudgetContribution]] = {}
    for c in fixed:
        by_unit.setdefault(c.unit_id, {})[c.fund_id] = c
    rows = []
    contributions = []
    months_differ = False
    for unit_id, per_fund in by_unit.items():
        first = next(iter(per_fund.values()))
        contribution = allocation.UnitContribution(
            unit_id=unit_id,
            yearly={f: per_fund[f].yearly for f in fund_ids},
            monthly={f: allocation.monthly_parts(per_fund[f].yearly) for f in fund_ids},
        )
        contributions.append(contribution)
        monthly = [contribution.monthly[f][0] for f in fund_ids]
        months_differ = months_differ or any(p[0] != p[-1] for p in contribution.monthly.values())
        yearly = [contribution.yearly[f] for f in fund_ids]
        rows.append(
            TableRow(
                unit_id=unit_id,
                number=first.unit.number,
                share=first.share,
                yearly=yearly,
                monthly=monthly,
                yearly_total=sum(yearly, ZERO),
                monthly_total=sum(monthly, ZERO),
            )
        )
    columns = [
        FundColumn(
            fund_id=f,
            name=funds[f].display_name,
            kind=funds[f].kind,
            budget=amounts[f],
            monthly_total=sum((r.monthly[i] for r in rows), ZERO),
        )
        for i, f in enumerate(fund_ids)
        if f in funds
    ]
    operating = sum((c.budget for c in columns if c.kind == FundKind.OPERATING), ZERO)
    contingency = sum((c.budget for c in columns if c.kind == FundKind.CONTINGENCY), ZERO)
    return ContributionTable(
        funds=columns,
        rows=rows,
        total=sum((c.budget for c in columns), ZERO),
        monthly_total=sum((r.monthly_total for r in rows), ZERO),
        months=allocation.fiscal_year_months(budget.fiscal_year, budget.first_month),
        operating=operating,
        contingency=contingency,
        minimum_contingency=allocation.minimum_contingency(operating),
        months_differ=months_differ,
        contributions=contributions,
    )


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
    from logis.invoicing.services import TITLE_MAX

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
        _check_payments_enabled(locked)
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
