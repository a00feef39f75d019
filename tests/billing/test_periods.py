"""A schedule's months (``logis.billing.periods``): the two month functions agree where they should."""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from logis.billing.periods import due_date_for, first_of_month_after, month_start
from logis.core.dates import add_months

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
month_counts = st.integers(min_value=-120, max_value=120)


@given(day=days, months=month_counts)
def test_first_of_month_after_is_the_1st_of_the_month_add_months_lands_in(day: dt.date, months: int) -> None:
    result = first_of_month_after(day, months)
    assert result.day == 1
    assert result == month_start(add_months(day, months)) == add_months(month_start(day), months)


@given(day=days, months=month_counts)
def test_months_add_up(day: dt.date, months: int) -> None:
    assert first_of_month_after(first_of_month_after(day, months), -months) == month_start(day)


@given(period=days.map(month_start), day_of_month=st.integers(min_value=1, max_value=31))
def test_the_due_date_is_in_the_period_s_month_on_the_day_or_its_last_day(
    period: dt.date, day_of_month: int
) -> None:
    due = due_date_for(period, day_of_month)
    assert month_start(due) == period
    assert due.day == min(day_of_month, calendar.monthrange(period.year, period.month)[1])
