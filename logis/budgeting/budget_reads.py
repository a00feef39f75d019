"""Budgets read: fiscal years, the budget list, and the contribution table — each unit's yearly and
monthly contribution per fund in proportion to its share (art. 1064 C.c.Q.), shown before anything is
created and fixed once adopted (docs/decisions/0023). The changes are in ``budgets``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import gettext as _

from logis.budgeting import allocation
from logis.core.dates import today_in
from logis.core.errors import NotFound, ValidationError
from logis.finances import selectors as finance_selectors
from logis.finances.models import Budget, BudgetContribution, BudgetStatus, Fund, FundKind
from logis.properties.models import Property, Unit

if TYPE_CHECKING:
    pass

ZERO = Decimal("0.00")


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
