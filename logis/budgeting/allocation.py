"""Budget and special-assessment arithmetic: pure functions, no database.

Every split is the share split of ``logis.billing.shares`` (largest remainder in exact fractions), so
each figure is exact to the cent and the parts always add up to the whole:

- a fund's yearly budget → each unit's yearly contribution in proportion to its share (art. 1064 C.c.Q.);
- a unit's yearly contribution to a fund → twelve monthly parts (the first months of the fiscal year
  carry the leftover cents);
- a special assessment → each unit's part (by share or equally) → N instalments (the first ones carry
  the leftover cents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from logis.billing.shares import split_by_shares
from logis.core.dates import add_months

K = TypeVar("K", bound=Hashable)

MONTHS = 12
ZERO = Decimal("0.00")
# Art. 1071 C.c.Q. and its regulation: the contingency fund receives at least 5 % of the operating
# contributions (more where the contingency-fund study says so).
CONTINGENCY_MINIMUM_RATE = Decimal("0.05")


def equal_parts(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` parts that differ by at most a cent; the first parts carry the extra cents."""
    if count < 1:
        raise ValueError("count must be at least 1")
    parts = split_by_shares(total, {i: Decimal(1) for i in range(count)})
    return [parts[i] for i in range(count)]


def monthly_parts(yearly: Decimal) -> list[Decimal]:
    """A yearly contribution in twelve monthly parts (month 1 = first month of the fiscal year)."""
    return equal_parts(yearly, MONTHS)


@dataclass(frozen=True)
class UnitContribution(Generic[K]):
    """One unit's contribution: per fund, the yearly amount and its twelve monthly parts."""

    unit_id: int
    yearly: dict[K, Decimal]
    monthly: dict[K, list[Decimal]]

    @property
    def yearly_total(self) -> Decimal:
        return sum(self.yearly.values(), ZERO)

    def month_total(self, month_index: int) -> Decimal:
        """What the unit pays in the ``month_index``-th month of the fiscal year (0-based), all funds."""
        return sum((parts[month_index] for parts in self.monthly.values()), ZERO)

    @property
    def monthly_total_first(self) -> Decimal:
        return self.month_total(0)


def contributions(budget: Mapping[K, Decimal], shares: Mapping[int, Decimal]) -> list[UnitContribution[K]]:
    """Each unit's yearly and monthly contribution per fund, in the order of ``shares``.

    For every fund the units' yearly parts add up to the fund's budget; for every unit and fund the
    twelve monthly parts add up to the yearly part.
    """
    yearly_by_fund = {fund: split_by_shares(amount, dict(shares)) for fund, amount in budget.items()}
    rows = []
    for unit_id in shares:
        yearly = {fund: parts[unit_id] for fund, parts in yearly_by_fund.items()}
        rows.append(
            UnitContribution(
                unit_id=unit_id,
                yearly=yearly,
                monthly={fund: monthly_parts(amount) for fund, amount in yearly.items()},
            )
        )
    return rows


def contingency_below_minimum(operating: Decimal, contingency: Decimal) -> bool:
    """True when the contingency contribution is less than 5 % of the operating contribution."""
    return contingency < operating * CONTINGENCY_MINIMUM_RATE


def minimum_contingency(operating: Decimal) -> Decimal:
    """5 % of the operating contribution, rounded up to the cent (the least that satisfies the rule)."""
    cents = operating * CONTINGENCY_MINIMUM_RATE * 100
    whole = int(cents)
    if whole < cents:
        whole += 1
    return Decimal(whole) / 100


def assessment_parts(
    total: Decimal, unit_ids: Sequence[int], shares: Mapping[int, Decimal] | None
) -> dict[int, Decimal]:
    """A special assessment's total per unit: by share (``shares`` given) or equally (``None``)."""
    if shares is None:
        weights = {unit_id: Decimal(1) for unit_id in unit_ids}
    else:
        weights = {unit_id: shares[unit_id] for unit_id in unit_ids}
    return split_by_shares(total, weights)


def instalments(
    total: Decimal, unit_ids: Sequence[int], shares: Mapping[int, Decimal] | None, count: int
) -> dict[int, list[Decimal]]:
    """Each unit's ``count`` instalments: they add up to the unit's part, the parts to the total."""
    return {
        unit_id: equal_parts(part, count)
        for unit_id, part in assessment_parts(total, unit_ids, shares).items()
    }


def instalment_due_dates(first: dt.date, count: int) -> list[dt.date]:
    """Monthly due dates from ``first`` (31 January → 28/29 February → 31 March…)."""
    return [add_months(first, i) for i in range(count)]


def fiscal_year_months(year: int, first_month: int) -> list[dt.date]:
    """The first day of each month of the fiscal year that starts in ``first_month`` of ``year``."""
    return [add_months(dt.date(year, first_month, 1), i) for i in range(MONTHS)]
