"""The pure arithmetic of late fees: dates of the fee periods and monthly interest, to the cent.

No database, no settings: plain functions of dates and ``Decimal`` (property-tested in
``tests/collections/test_arithmetic.py``). Month arithmetic is ``logis.core.dates.add_months``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from logis.core.dates import add_months


def first_fee_date(due_date: dt.date, grace_days: int) -> dt.date:
    """The first local date on which an unpaid invoice is overdue beyond its grace period."""
    return due_date + dt.timedelta(days=grace_days + 1)


@dataclass(frozen=True)
class FeePeriod:
    index: int
    start: dt.date
    end: dt.date | None  # None: a fixed fee, once per invoice


def monthly_period(start: dt.date, today: dt.date) -> FeePeriod:
    """The month of lateness ``today`` (on or after ``start``) falls in: period n runs from ``start`` plus
    n months to plus n + 1 months (month ends clamped, ``add_months``)."""
    months = (today.year - start.year) * 12 + today.month - start.month
    if add_months(start, months) > today:
        months -= 1
    return FeePeriod(months, add_months(start, months), add_months(start, months + 1))


def interest_for_month(balance: Decimal, yearly_rate: Decimal) -> Decimal:
    """balance × rate ÷ 12, the rate in percent, rounded to the cent (half up)."""
    return (balance * yearly_rate / Decimal(1200)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def smallest_billable_balance(yearly_rate: Decimal) -> Decimal | None:
    """The smallest balance (in cents) whose monthly interest is at least 0,01 $, or None at a 0 % rate:
    ``balance × rate ÷ 1200 ≥ 0.005`` ⇔ ``balance ≥ 6 ÷ rate``, rounded up to the cent."""
    if yearly_rate <= 0:
        return None
    cents = Decimal("0.01")
    threshold = max((Decimal(6) / yearly_rate).quantize(cents, rounding=ROUND_CEILING), cents)
    while interest_for_month(threshold, yearly_rate) <= 0:  # guard against rounding of the division
        threshold += cents
    while threshold > cents and interest_for_month(threshold - cents, yearly_rate) > 0:
        threshold -= cents
    return threshold


def rate_text(rate: Decimal, language: str) -> str:
    """``7,5`` (fr) / ``7.5`` (en): a percentage without trailing zeros."""
    text = f"{rate.normalize():f}"
    return text.replace(".", ",") if language == "fr" else text
