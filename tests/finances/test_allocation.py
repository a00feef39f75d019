"""Budget → contributions and special assessments in instalments: exact to the cent, for any shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from logis.budgeting.allocation import (
    assessment_parts,
    contingency_below_minimum,
    contributions,
    fiscal_year_months,
    instalment_due_dates,
    instalments,
    minimum_contingency,
    monthly_parts,
)

amounts = st.integers(min_value=0, max_value=10**10).map(lambda c: Decimal(c) / 100)
share_values = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False)
shares_maps = st.dictionaries(
    st.integers(min_value=1, max_value=10**6), share_values, min_size=1, max_size=40
).filter(lambda d: sum(d.values()) > 0)
budgets = st.dictionaries(
    st.sampled_from(["operating", "contingency", "self_insurance", "custom"]), amounts, min_size=1
)


@given(budget=budgets, shares=shares_maps)
def test_units_yearly_parts_add_up_to_each_funds_budget(
    budget: dict[str, Decimal], shares: dict[int, Decimal]
) -> None:
    rows = contributions(budget, shares)
    assert [r.unit_id for r in rows] == list(shares)
    for fund, amount in budget.items():
        assert sum(r.yearly[fund] for r in rows) == amount


@given(budget=budgets, shares=shares_maps)
def test_twelve_monthly_parts_add_up_to_the_units_yearly_part(
    budget: dict[str, Decimal], shares: dict[int, Decimal]
) -> None:
    rows = contributions(budget, shares)
    for row in rows:
        for fund, parts in row.monthly.items():
            assert len(parts) == 12
            assert sum(parts) == row.yearly[fund]
            assert max(parts) - min(parts) <= Decimal("0.01")
            assert all(p == p.quantize(Decimal("0.01")) and p >= 0 for p in parts)
        assert sum(row.month_total(m) for m in range(12)) == row.yearly_total
    # A year of every unit's dues is the whole budget, to the cent.
    assert sum(row.month_total(m) for row in rows for m in range(12)) == sum(budget.values())


@given(budget=budgets, shares=shares_maps)
def test_each_yearly_part_is_within_a_cent_of_its_exact_share(
    budget: dict[str, Decimal], shares: dict[int, Decimal]
) -> None:
    weight = sum(shares.values())
    for row in contributions(budget, shares):
        for fund, amount in budget.items():
            assert abs(row.yearly[fund] - amount * shares[row.unit_id] / weight) < Decimal("0.01")


@given(budget=budgets, shares=shares_maps)
def test_contributions_are_deterministic(budget: dict[str, Decimal], shares: dict[int, Decimal]) -> None:
    assert contributions(budget, shares) == contributions(budget, shares)


def test_monthly_cents_go_to_the_first_months_of_the_fiscal_year() -> None:
    assert monthly_parts(Decimal("100.05")) == [Decimal("8.34")] * 9 + [Decimal("8.33")] * 3


@given(
    total=amounts,
    shares=shares_maps,
    by_share=st.booleans(),
    count=st.integers(min_value=1, max_value=60),
)
def test_instalments_add_up_to_each_units_part_and_to_the_total(
    total: Decimal, shares: dict[int, Decimal], by_share: bool, count: int
) -> None:
    units = list(shares)
    plan = instalments(total, units, shares if by_share else None, count)
    parts = assessment_parts(total, units, shares if by_share else None)
    assert sum(parts.values()) == total
    assert list(plan) == units
    for unit_id, amounts_ in plan.items():
        assert len(amounts_) == count
        assert sum(amounts_) == parts[unit_id]
        assert max(amounts_) - min(amounts_) <= Decimal("0.01")
    assert sum(sum(a) for a in plan.values()) == total


@given(total=amounts, units=st.lists(st.integers(1, 10**6), min_size=1, max_size=40, unique=True))
def test_an_equal_split_differs_by_at_most_a_cent(total: Decimal, units: list[int]) -> None:
    parts = assessment_parts(total, units, None)
    assert max(parts.values()) - min(parts.values()) <= Decimal("0.01")


def test_instalment_due_dates_are_monthly_and_keep_the_day_at_month_ends() -> None:
    assert instalment_due_dates(dt.date(2027, 1, 31), 4) == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]
    assert instalment_due_dates(dt.date(2027, 11, 15), 3)[-1] == dt.date(2028, 1, 15)


def test_fiscal_year_months_start_at_the_first_fiscal_month() -> None:
    months = fiscal_year_months(2027, 4)
    assert months[0] == dt.date(2027, 4, 1)
    assert months[-1] == dt.date(2028, 3, 1)


def test_contingency_minimum_is_five_percent_of_operating() -> None:
    assert minimum_contingency(Decimal("100000.00")) == Decimal("5000.00")
    assert minimum_contingency(Decimal("100.01")) == Decimal("5.01")
    assert contingency_below_minimum(Decimal("100000.00"), Decimal("4999.99"))
    assert not contingency_below_minimum(Decimal("100000.00"), Decimal("5000.00"))
