"""Reading the ledger: the trial balance, balances by account and unit, the journal's pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from logis.core import keyset
from logis.ledger.models import Account, JournalEntry, JournalLine
from logis.properties.models import Property

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum(name: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(name, filter=condition), Value(ZERO), output_field=_MONEY)


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    debit: Decimal  # the balance when it is a debit balance, else 0
    credit: Decimal  # the balance when it is a credit balance, else 0


@dataclass(frozen=True)
class TrialBalance:
    as_of: dt.date
    rows: list[TrialBalanceRow]
    total_debit: Decimal
    total_credit: Decimal

    @property
    def balances(self) -> bool:
        return self.total_debit == self.total_credit


def trial_balance(*, property: Property, as_of: dt.date) -> TrialBalance:
    """Every account of the property with its balance on ``as_of`` (entries dated that day or before),
    in the debit or the credit column; the two totals are equal. One query."""
    upto = Q(lines__entry__date__lte=as_of)
    accounts = (
        Account.objects.filter(property=property)
        .select_related("category__fund")
        .annotate(debits=_sum("lines__debit", upto), credits=_sum("lines__credit", upto))
        .order_by("code", "id")
    )
    rows: list[TrialBalanceRow] = []
    for acc in accounts:
        net = acc.debits - acc.credits  # type: ignore[attr-defined]
        if net == 0 and acc.debits == 0:  # type: ignore[attr-defined]
            continue  # opened later than as_of, or never used then
        rows.append(TrialBalanceRow(acc, net if net > 0 else ZERO, -net if net < 0 else ZERO))
    return TrialBalance(
        as_of=as_of,
        rows=rows,
        total_debit=sum((r.debit for r in rows), ZERO),
        total_credit=sum((r.credit for r in rows), ZERO),
    )


def balances_by_unit(*, property: Property, kind: str) -> dict[int, Decimal]:
    """Debit balance (debits - credits) of the property's account ``kind`` per unit (unit id -> amount)."""
    rows = (
        JournalLine.objects.filter(entry__property=property, account__kind=kind)
        .values("unit_id")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
    )
    return {r["unit_id"]: r["debits"] - r["credits"] for r in rows}


def balances_by_account(*, property: Property) -> dict[tuple[str, int | None], Decimal]:
    """Debit balance per (account kind, category id) over the whole journal."""
    rows = (
        JournalLine.objects.filter(entry__property=property)
        .values("account__kind", "account__category_id")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
    )
    return {(r["account__kind"], r["account__category_id"]): r["debits"] - r["credits"] for r in rows}


def unbalanced_entries(*, property: Property | None = None) -> list[int]:
    """Ids of entries whose debits and credits differ (none, ever: post refuses them)."""
    qs = JournalEntry.objects.all()
    if property is not None:
        qs = qs.filter(property=property)
    rows = qs.annotate(d=_sum("lines__debit", Q()), c=_sum("lines__credit", Q())).values_list("pk", "d", "c")
    return [pk for pk, d, c in rows if d != c or d == 0]


JOURNAL_ORDER: keyset.Order = (("date", True), ("id", True))
JOURNAL_PAGE = 25


def journal_entries(*, property: Property) -> QuerySet[JournalEntry]:
    """The property's entries, with their lines, accounts, units and funds (a page: three queries)."""
    lines = JournalLine.objects.select_related("account__category__fund", "unit", "fund").order_by("id")
    return JournalEntry.objects.filter(property=property).prefetch_related(Prefetch("lines", queryset=lines))


def journal_page(
    *, property: Property, after: str | None = None, before: str | None = None, size: int = JOURNAL_PAGE
) -> keyset.KeysetPage[JournalEntry]:
    """A page of the journal, newest first, by cursor (decision 0026)."""
    return keyset.page(
        journal_entries(property=property), JOURNAL_ORDER, size=size, after=after, before=before
    )


@dataclass(frozen=True)
class FundRow:
    fund_id: int
    name: str
    revenue: Decimal  # credited to the fund's revenue accounts up to the date (net of voids)


def fund_revenue(*, property: Property, as_of: dt.date) -> list[FundRow]:
    """What the ledger credited to each fund (revenue of its categories, net of voids) up to ``as_of``:
    the part of the contributions that belongs to each fund (art. 1071 C.c.Q.). Two queries."""
    from logis.finances.models import Fund  # below the ledger

    rows = (
        JournalLine.objects.filter(
            entry__property=property, entry__date__lte=as_of, account__kind="revenue", fund__isnull=False
        )
        .values("fund_id")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
    )
    totals = {r["fund_id"]: (r["credits"] - r["debits"]).quantize(Decimal("0.01")) for r in rows}
    funds = Fund.objects.filter(pk__in=totals).order_by("position", "id")
    return [FundRow(f.pk, f.display_name, totals[f.pk]) for f in funds]
