"""Budget → contributions → recurring dues with one line per fund (art. 1064, 1071, 1072 C.c.Q.)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from logis.accounts.models import User
from logis.billing import recurring as billing
from logis.billing.models import RecurringSchedule, ScheduleAmountMode
from logis.budgeting import budget_reads, budgets
from logis.budgeting.budgets import DuesOptions
from logis.core.errors import InvalidTransition, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.finances.models import Budget, BudgetContribution, BudgetStatus, Fund, FundKind
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.properties.models import Property, Unit
from tests.factories import member

pytestmark = pytest.mark.django_db

TORONTO = ZoneInfo("America/Toronto")
NOW = dt.datetime(2027, 1, 5, 12, 0, tzinfo=TORONTO)
OPTIONS = DuesOptions("Cotisations mensuelles — {mois}", 1, 10, False, False)


def amounts(funds: dict[str, Fund], operating: str, contingency: str, self_insurance: str = "0") -> dict:
    return {
        funds[FundKind.OPERATING].pk: Decimal(operating),
        funds[FundKind.CONTINGENCY].pk: Decimal(contingency),
        funds[FundKind.SELF_INSURANCE].pk: Decimal(self_insurance),
    }


def draft(
    prop: Property,
    actor: User,
    funds: dict[str, Fund],
    operating: str = "100000.00",
    contingency: str = "10000.00",
) -> Budget:
    return budgets.save_budget(
        actor=actor, property=prop, fiscal_year=2027, amounts=amounts(funds, operating, contingency), now=NOW
    )


def test_contributions_table_totals_equal_the_budget_per_fund(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    budget = draft(prop, manager, fund_by_kind, "100000.01", "10000.03")
    table = budget_reads.budget_table(budget)
    assert [r.number for r in table.rows] == ["101", "102", "103", "112"]
    assert [c.budget for c in table.funds] == [Decimal("100000.01"), Decimal("10000.03")]
    for i, column in enumerate(table.funds):
        assert sum(r.yearly[i] for r in table.rows) == column.budget
    assert table.total == Decimal("110000.04")
    # 30 % of 100 000,01 $ is 30 000,003 $: the largest remainder, it takes the leftover cent.
    assert [r.yearly[0] for r in table.rows] == [
        Decimal("25000.00"),
        Decimal("25000.00"),
        Decimal("30000.01"),
        Decimal("20000.00"),
    ]
    assert not table.contingency_too_low


def test_contingency_below_five_percent_of_operating_is_warned(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    table = budget_reads.budget_table(draft(prop, manager, fund_by_kind, "100000.00", "4999.99"))
    assert table.contingency_too_low
    assert table.minimum_contingency == Decimal("5000.00")


def test_a_unit_without_share_is_named(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    units[1].share = None
    units[1].save()
    with pytest.raises(ValidationError) as exc:
        budget_reads.budget_table(draft(prop, manager, fund_by_kind))
    assert "102" in str(exc.value.errors["__all__"][0])


def test_one_budget_per_fiscal_year_and_amounts_checked(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    draft(prop, manager, fund_by_kind)
    with pytest.raises(ValidationError) as exc:
        draft(prop, manager, fund_by_kind)
    assert "fiscal_year" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        budgets.save_budget(
            actor=manager, property=prop, fiscal_year=2028, amounts=amounts(fund_by_kind, "-1", "0"), now=NOW
        )
    assert f"fund_{fund_by_kind[FundKind.OPERATING].pk}" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        budgets.save_budget(
            actor=manager, property=prop, fiscal_year=2028, amounts=amounts(fund_by_kind, "0", "0"), now=NOW
        )
    assert "__all__" in exc.value.errors
    with pytest.raises(ValidationError):
        budgets.save_budget(
            actor=manager, property=prop, fiscal_year=2031, amounts=amounts(fund_by_kind, "1", "0"), now=NOW
        )


def test_board_members_may_not_enter_or_adopt_a_budget(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    board = member(prop, Role.BOARD, email="conseil@example.com")
    with pytest.raises(PermissionDenied):
        draft(prop, board, fund_by_kind)
    budget = draft(prop, manager, fund_by_kind)
    with pytest.raises(PermissionDenied):
        budgets.adopt_budget(actor=board, property=prop, budget_id=budget.pk, options=OPTIONS, now=NOW)


def test_adopting_fixes_contributions_creates_the_schedule_and_is_audited(
    prop: Property, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    treasurer = member(prop, Role.TREASURER, email="tresorier@example.com")
    budget = draft(prop, treasurer, fund_by_kind)
    budget = budgets.adopt_budget(
        actor=treasurer, property=prop, budget_id=budget.pk, options=OPTIONS, now=NOW
    )
    assert budget.status == BudgetStatus.ADOPTED
    schedule = budget.schedule
    assert schedule is not None
    assert schedule.amount_mode == ScheduleAmountMode.BUDGET
    assert schedule.amount == Decimal("110000.00")
    assert (schedule.start_month, schedule.end_month) == (dt.date(2027, 1, 1), dt.date(2027, 12, 1))
    assert BudgetContribution.objects.filter(budget=budget).count() == 8  # 4 units × 2 funds with a budget
    verbs = list(AuditEvent.objects.filter(property=prop).values_list("verb", flat=True))
    assert "budget.created" in verbs and "budget.adopted" in verbs
    # Shares changed afterwards do not change the adopted contributions (art. 1072: the board fixed them).
    Unit.objects.filter(pk=units[0].pk).update(share=Decimal("50"))
    table = budget_reads.budget_table(budget)
    assert sum(r.yearly_total for r in table.rows) == Decimal("110000.00")
    with pytest.raises(InvalidTransition):
        budgets.adopt_budget(actor=treasurer, property=prop, budget_id=budget.pk, options=OPTIONS, now=NOW)
    with pytest.raises(InvalidTransition):
        budgets.save_budget(
            actor=treasurer,
            property=prop,
            fiscal_year=2027,
            amounts=amounts(fund_by_kind, "1", "1"),
            budget_id=budget.pk,
            now=NOW,
        )


def test_adopting_refuses_when_payments_are_disabled(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    budget = draft(prop, manager, fund_by_kind)
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    with pytest.raises(InvalidTransition):
        budgets.adopt_budget(actor=manager, property=prop, budget_id=budget.pk, options=OPTIONS, now=NOW)
    assert Budget.objects.get(pk=budget.pk).status == BudgetStatus.DRAFT
    assert not RecurringSchedule.objects.exists()


def test_the_scheduler_bills_each_month_with_one_line_per_fund_and_a_year_adds_up_to_the_budget(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    budget = draft(prop, manager, fund_by_kind, "100000.05", "10000.07")
    budgets.adopt_budget(actor=manager, property=prop, budget_id=budget.pk, options=OPTIONS, now=NOW)
    # Run the job on each month's run date (10 days before the 1st), then once more: nothing twice.
    for month in range(1, 13):
        due = dt.date(2027, month, 1)
        run_day = due - dt.timedelta(days=10)
        billing.run_recurring_dues(
            now=dt.datetime.combine(max(run_day, NOW.date()), dt.time(9), tzinfo=TORONTO)
        )
    billing.run_recurring_dues(now=dt.datetime(2027, 11, 25, 9, tzinfo=TORONTO))
    invoices = Invoice.objects.filter(property=prop)
    # January was due on the 1st, before the budget was adopted on 5 January: never created late.
    assert invoices.count() == 4 * 11
    assert all(inv.status == InvoiceStatus.DRAFT for inv in invoices)
    lines = InvoiceLine.objects.filter(invoice__property=prop).select_related("category__fund", "invoice")
    for inv in invoices:
        own = [line for line in lines if line.invoice_id == inv.pk]
        assert len(own) == 2
        assert sum(line.amount for line in own) == inv.amount
        assert {line.category.fund.kind for line in own} == {FundKind.OPERATING, FundKind.CONTINGENCY}
    first = invoices.filter(due_date=dt.date(2027, 2, 1)).order_by("unit__sort_key").first()
    assert first is not None and first.title == "Cotisations mensuelles — février 2027"
    # Every month of each unit from the fixed contributions: February … December plus January's part
    # (not billed) add up to the yearly contribution per fund.
    table = budget_reads.budget_table(Budget.objects.get(pk=budget.pk))
    for row, contribution in zip(table.rows, table.contributions, strict=True):
        billed = sum(inv.amount for inv in invoices if inv.unit_id == row.unit_id)
        assert billed + contribution.month_total(0) == row.yearly_total


def test_the_dues_of_a_budget_keep_their_amount_units_and_months_on_the_schedule_page(
    prop: Property, manager: User, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    budget = draft(prop, manager, fund_by_kind)
    budget = budgets.adopt_budget(actor=manager, property=prop, budget_id=budget.pk, options=OPTIONS, now=NOW)
    schedule = budget.schedule
    assert schedule is not None
    same = billing.ScheduleInput(
        title_pattern="Cotisations — {mois}",
        amount_mode=schedule.amount_mode,
        amount=schedule.amount,
        day_of_month=15,
        start_month=schedule.start_month,
        end_month=schedule.end_month,
        lead_days=5,
        unit_scope=schedule.unit_scope,
        unit_ids=[u.pk for u in units],
        auto_publish=False,
        notify_resident=False,
    )
    changed = billing.save_schedule(actor=manager, property=prop, data=same, schedule_id=schedule.pk)
    assert (changed.day_of_month, changed.lead_days) == (15, 5)
    with pytest.raises(ValidationError) as exc:
        billing.save_schedule(
            actor=manager,
            property=prop,
            data=billing.ScheduleInput(**{**same.__dict__, "amount": Decimal("1.00")}),
            schedule_id=schedule.pk,
        )
    assert "2027" in str(exc.value.errors["amount"][0])
