"""How one payment is applied to several debts: imputation (Civil Code of Québec, art. 1569–1572).

- art. 1569: the debtor (the payer) may say, when paying, which debt the payment pays — here, the
  invoices the resident chose; they are paid first, in the order given.
- art. 1570: a payment goes to interest (and fees) before capital — here, the late-fee and interest
  invoices are paid before the others.
- art. 1572: without a choice, the payment goes to the debt due, and among debts due, to the one due
  longest — here, the oldest due date first (then the invoice number, then the id: a total order, so
  the same input always gives the same answer).

What is left once every debt is paid is returned as excess (the caller keeps it as the unit's credit,
never lost). The function is pure — numbers in, numbers out, no database — so the payments of the whole
balance, the receipt and a later ledger all apply a payment the same way; it is property-tested
(tests/payments/test_imputation.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Rule(StrEnum):
    """Why an amount went to a debt (the receipt says it)."""

    DESIGNATED = "designated"  # art. 1569: chosen by the payer
    FEES_FIRST = "fees_first"  # art. 1570: interest and fees before capital
    OLDEST_DUE = "oldest_due"  # art. 1572: the debt due longest


@dataclass(frozen=True)
class Debt:
    """One amount owed: ``key`` names it (an invoice's id), ``balance`` is what is left to pay."""

    key: int
    balance: Decimal
    due_date: dt.date
    is_fee: bool = False
    number: int | None = None


@dataclass(frozen=True)
class Allocation:
    key: int
    amount: Decimal
    rule: Rule


@dataclass(frozen=True)
class Imputation:
    allocations: tuple[Allocation, ...]
    excess: Decimal

    def amount_for(self, key: int) -> Decimal:
        return sum((a.amount for a in self.allocations if a.key == key), Decimal("0.00"))


def default_order(debts: Sequence[Debt]) -> list[Debt]:
    """Fees and interest first (art. 1570), then the oldest due date (art. 1572); a total order."""
    return sorted(debts, key=lambda d: (not d.is_fee, d.due_date, d.number or 0, d.key))


def impute(amount: Decimal, debts: Sequence[Debt], *, designated: Sequence[int] = ()) -> Imputation:
    """Apply ``amount`` to ``debts``: first those the payer ``designated`` (in their order), then by
    ``default_order``; each gets at most its balance. Amounts in cents; the allocations and the excess
    add up to ``amount`` exactly."""
    if amount < 0:
        raise ValueError("A payment is never negative.")
    if amount != amount.quantize(CENT):
        raise ValueError("A payment is in cents.")
    keys = [d.key for d in debts]
    if len(set(keys)) != len(keys):
        raise ValueError("Each debt once.")
    by_key = {d.key: d for d in debts}
    chosen: list[Debt] = []
    for key in designated:
        debt = by_key.get(key)
        if debt is not None and debt not in chosen:
            chosen.append(debt)
    rest = [d for d in default_order(debts) if d not in chosen]
    left = amount
    allocations: list[Allocation] = []
    for debt, rule in [(d, Rule.DESIGNATED) for d in chosen] + [
        (d, Rule.FEES_FIRST if d.is_fee else Rule.OLDEST_DUE) for d in rest
    ]:
        if left <= 0:
            break
        part = min(left, max(debt.balance, Decimal("0.00")))
        if part > 0:
            allocations.append(Allocation(key=debt.key, amount=part, rule=rule))
            left -= part
    return Imputation(allocations=tuple(allocations), excess=left)
