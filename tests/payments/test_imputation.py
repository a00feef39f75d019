"""Imputation of one payment over several debts (art. 1569–1572 C.c.Q.), property-tested: what the payer
designates first, else fees and interest, then the debt due longest; never more than a balance; the parts
and the excess add up to the payment, to the cent."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logis.payments.imputation import Debt, Rule, default_order, impute

D = Decimal
START = dt.date(2026, 1, 1)

cents = st.integers(min_value=0, max_value=500_000).map(lambda c: (D(c) / 100).quantize(D("0.01")))
positive_cents = st.integers(min_value=1, max_value=500_000).map(lambda c: (D(c) / 100).quantize(D("0.01")))


@st.composite
def debts_strategy(draw: st.DrawFn) -> list[Debt]:
    n = draw(st.integers(min_value=0, max_value=8))
    return [
        Debt(
            key=i + 1,
            balance=draw(positive_cents),
            due_date=START + dt.timedelta(days=draw(st.integers(min_value=0, max_value=400))),
            is_fee=draw(st.booleans()),
            number=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=99))),
        )
        for i in range(n)
    ]


@settings(max_examples=300, deadline=None)
@given(amount=cents, debts=debts_strategy(), data=st.data())
def test_imputation_adds_up_and_never_pays_a_debt_more_than_its_balance(
    amount: Decimal, debts: list[Debt], data: st.DataObject
) -> None:
    designated = data.draw(
        st.lists(st.sampled_from([d.key for d in debts]), unique=True) if debts else st.just([])
    )
    result = impute(amount, debts, designated=designated)
    by_key = {d.key: d for d in debts}
    assert sum((a.amount for a in result.allocations), D("0.00")) + result.excess == amount
    assert result.excess >= 0
    for allocation in result.allocations:
        assert D("0.00") < allocation.amount <= by_key[allocation.key].balance
        assert allocation.amount == allocation.amount.quantize(D("0.01"))
    assert len({a.key for a in result.allocations}) == len(result.allocations)
    # An excess only once every debt is paid in full.
    if result.excess > 0:
        assert all(result.amount_for(d.key) == d.balance for d in debts)


@settings(max_examples=300, deadline=None)
@given(amount=cents, debts=debts_strategy(), data=st.data())
def test_designated_debts_are_paid_first_in_the_order_the_payer_gave(
    amount: Decimal, debts: list[Debt], data: st.DataObject
) -> None:
    designated = data.draw(
        st.lists(st.sampled_from([d.key for d in debts]), unique=True) if debts else st.just([])
    )
    result = impute(amount, debts, designated=designated)
    order = [a.key for a in result.allocations]
    chosen_paid = [k for k in order if k in designated]
    assert chosen_paid == designated[: len(chosen_paid)]
    assert order[: len(chosen_paid)] == chosen_paid  # nothing else before them
    # A debt not designated receives something only once every designated one is paid in full.
    if any(k not in designated for k in order):
        by_key = {d.key: d for d in debts}
        assert all(result.amount_for(k) == by_key[k].balance for k in designated)
    for allocation in result.allocations:
        if allocation.key in designated:
            assert allocation.rule == Rule.DESIGNATED


@settings(max_examples=300, deadline=None)
@given(amount=cents, debts=debts_strategy())
def test_without_designation_fees_first_then_the_debt_due_longest(amount: Decimal, debts: list[Debt]) -> None:
    result = impute(amount, debts)
    paid = {a.key: a.amount for a in result.allocations}
    ordered = default_order(debts)
    # Whoever comes later in the legal order gets something only if everyone before is paid in full.
    for i, debt in enumerate(ordered):
        if paid.get(debt.key):
            for earlier in ordered[:i]:
                assert paid.get(earlier.key) == earlier.balance
    for earlier, later in itertools.pairwise(ordered):
        assert (not earlier.is_fee, earlier.due_date) <= (not later.is_fee, later.due_date)
    for allocation in result.allocations:
        debt = next(d for d in debts if d.key == allocation.key)
        assert allocation.rule == (Rule.FEES_FIRST if debt.is_fee else Rule.OLDEST_DUE)


@given(amount=cents, debts=debts_strategy())
def test_imputation_is_deterministic_whatever_the_order_of_the_debts(
    amount: Decimal, debts: list[Debt]
) -> None:
    assert impute(amount, debts) == impute(amount, list(reversed(debts)))


def test_late_fee_is_paid_before_an_older_invoice() -> None:
    dues = Debt(key=1, balance=D("300.00"), due_date=dt.date(2026, 1, 1))
    fee = Debt(key=2, balance=D("25.00"), due_date=dt.date(2026, 3, 1), is_fee=True)
    later = Debt(key=3, balance=D("300.00"), due_date=dt.date(2026, 2, 1))
    result = impute(D("100.00"), [later, dues, fee])
    assert [(a.key, a.amount, a.rule) for a in result.allocations] == [
        (2, D("25.00"), Rule.FEES_FIRST),
        (1, D("75.00"), Rule.OLDEST_DUE),
    ]
    assert result.excess == D("0.00")


def test_more_than_everything_owed_leaves_an_excess() -> None:
    result = impute(D("50.00"), [Debt(key=1, balance=D("20.00"), due_date=START)])
    assert result.excess == D("30.00")


@pytest.mark.parametrize("amount", [D("-1.00"), D("1.001")])
def test_imputation_refuses_a_negative_amount_or_fractions_of_a_cent(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        impute(amount, [])
