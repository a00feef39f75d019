"""Property tests of the pure arithmetic of late fees (``logis.collections.arithmetic``) and of the month
arithmetic it uses (``logis.core.dates.add_months``): no database."""

from __future__ import annotations

import ast
import calendar
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import logis.collections.arithmetic as arithmetic
from logis.collections.arithmetic import (
    first_fee_date,
    interest_for_month,
    monthly_period,
    rate_text,
    smallest_billable_balance,
)
from logis.core.dates import add_months

CENT = Decimal("0.01")
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
month_counts = st.integers(min_value=-120, max_value=120)
balances = st.integers(min_value=0, max_value=10**10).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=1, max_value=10000).map(lambda r: Decimal(r) / 100)  # 0,01 % … 100 %
month_ends = days.map(lambda d: d.replace(day=calendar.monthrange(d.year, d.month)[1]))


# --- Interest -----------------------------------------------------------------------------------


@given(balance=balances, rate=rates)
def test_interest_is_never_negative_and_is_rounded_to_the_cent(balance: Decimal, rate: Decimal) -> None:
    interest = interest_for_month(balance, rate)
    assert interest >= 0
    assert interest == interest.quantize(CENT)
    exact = balance * rate / 1200
    assert abs(interest - exact) <= Decimal("0.005")


@given(balance=balances, more=balances, rate=rates)
def test_interest_grows_with_the_balance(balance: Decimal, more: Decimal, rate: Decimal) -> None:
    assert interest_for_month(balance + more, rate) >= interest_for_month(balance, rate)


@given(balance=balances, rate=rates, more=rates)
def test_interest_grows_with_the_rate(balance: Decimal, rate: Decimal, more: Decimal) -> None:
    assert interest_for_month(balance, rate + more) >= interest_for_month(balance, rate)


@given(balance=balances, rate=rates)
def test_half_a_cent_rounds_up(balance: Decimal, rate: Decimal) -> None:
    exact = balance * rate / 1200
    floor_cents = int(exact * 100)
    expected = Decimal(floor_cents + (1 if exact * 100 - floor_cents >= Decimal("0.5") else 0)) / 100
    assert interest_for_month(balance, rate) == expected


@given(rate=rates)
def test_the_smallest_billable_balance_is_exactly_where_interest_starts(rate: Decimal) -> None:
    threshold = smallest_billable_balance(rate)
    assert threshold is not None and threshold >= CENT
    assert interest_for_month(threshold, rate) >= CENT
    if threshold > CENT:
        assert interest_for_month(threshold - CENT, rate) == 0


def test_no_balance_is_billable_at_a_zero_rate() -> None:
    assert smallest_billable_balance(Decimal(0)) is None


@given(rate=rates, language=st.sampled_from(["fr", "en"]))
def test_the_rate_text_reads_back_as_the_same_rate(rate: Decimal, language: str) -> None:
    text = rate_text(rate, language)
    assert ("." not in text) if language == "fr" else ("," not in text)
    assert Decimal(text.replace(",", ".")) == rate
    assert not text.endswith(("0", ",", ".")) or ("," not in text and "." not in text)


# --- Periods of lateness ------------------------------------------------------------------------


@given(due=days, grace=st.integers(min_value=0, max_value=90))
def test_fees_start_the_day_after_the_grace_period(due: dt.date, grace: int) -> None:
    assert first_fee_date(due, grace) == due + dt.timedelta(days=grace + 1)


@given(start=days, later=st.integers(min_value=0, max_value=3000))
def test_every_day_of_lateness_falls_in_exactly_one_monthly_period(start: dt.date, later: int) -> None:
    today = start + dt.timedelta(days=later)
    period = monthly_period(start, today)
    assert period.end is not None
    assert period.start <= today < period.end
    assert period.index >= 0
    assert period.start == add_months(start, period.index)
    assert period.end == add_months(start, period.index + 1)


@given(start=days, later=st.integers(min_value=0, max_value=3000))
def test_the_period_index_is_monotone_in_days_and_steps_by_one(start: dt.date, later: int) -> None:
    today = start + dt.timedelta(days=later)
    now = monthly_period(start, today)
    tomorrow = monthly_period(start, today + dt.timedelta(days=1))
    assert tomorrow.index - now.index in (0, 1)
    if tomorrow.index == now.index + 1:
        assert tomorrow.start == now.end  # periods are contiguous: no day charged twice or skipped


def test_a_period_starting_on_the_31st_follows_the_short_months() -> None:
    start = dt.date(2028, 1, 31)
    assert monthly_period(start, dt.date(2028, 2, 28)).index == 0
    assert monthly_period(start, dt.date(2028, 2, 29)) == arithmetic.FeePeriod(
        1, dt.date(2028, 2, 29), dt.date(2028, 3, 31)
    )


# --- Month arithmetic ---------------------------------------------------------------------------


@given(day=days, months=month_counts)
def test_add_months_lands_in_the_right_month_with_the_day_clamped(day: dt.date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])


@given(day=days)
def test_adding_no_month_changes_nothing(day: dt.date) -> None:
    assert add_months(day, 0) == day


@given(day=month_ends, months=month_counts)
def test_a_month_end_stays_a_month_end_when_the_target_month_is_shorter(day: dt.date, months: int) -> None:
    result = add_months(day, months)
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)
    if last <= day.day:
        assert result.day == last


@given(day=days, a=month_counts, b=month_counts)
def test_add_months_is_monotone_in_the_months(day: dt.date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert add_months(day, low) <= add_months(day, high)


@given(first=days, second=days, months=month_counts)
def test_add_months_keeps_the_order_of_dates(first: dt.date, second: dt.date, months: int) -> None:
    low, high = sorted((first, second))
    assert add_months(low, months) <= add_months(high, months)


@given(day=days.filter(lambda d: d.day <= 28), a=month_counts, b=month_counts)
def test_months_add_up_when_no_clamping_happens(day: dt.date, a: int, b: int) -> None:
    assert add_months(add_months(day, a), b) == add_months(day, a + b)


def test_the_module_is_pure() -> None:
    """Only the standard library and the date helpers of ``core``: no model, no database."""
    tree = ast.parse(Path(arithmetic.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    outside = {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside <= {"__future__", "logis.core.dates"}
