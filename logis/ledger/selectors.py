"""Reading the ledger: the trial balance, balances by account and unit, the journal's pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from logis.core import keyset
from logis.ledger.models import Account, AccountKind, JournalEntry, JournalLine
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


# --- Exports: the journal line by line, by chunks (bounded memory over ten years of entries) ----------

EXPORT_CHUNK = 500


def journal_export_lines(
    *, property: Property, start: dt.date | None, end: dt.date | None, chunk: int = EXPORT_CHUNK
) -> Iterator[tuple[JournalEntry, JournalLine]]:
    """Every line of the entries dated ``start`` to ``end`` (inclusive; ``None``: no bound), oldest entry
    first, each with its entry. Entries are read by keyset chunks of ``chunk`` on (date, id) — the
    journal's index — and their lines for each chunk: two queries per chunk, memory bounded by a chunk
    whatever the length of the journal. The lines carry their unit; accounts and funds are few and are
    read by the caller once (``chart_of_accounts``)."""
    entries = JournalEntry.objects.filter(property=property).order_by("date", "id")
    if start is not None:
        entries = entries.filter(date__gte=start)
    if end is not None:
        entries = entries.filter(date__lte=end)
    last: tuple[dt.date, int] | None = None
    while True:
        page = entries
        if last is not None:
            page = page.filter(Q(date__gt=last[0]) | Q(date=last[0], id__gt=last[1]))
        batch = list(page[:chunk])
        if not batch:
            return
        by_id = {e.pk: e for e in batch}
        lines = (
            JournalLine.objects.filter(entry_id__in=by_id).select_related("unit").order_by("entry_id", "id")
        )
        grouped: dict[int, list[JournalLine]] = {}
        for line in lines:
            grouped.setdefault(line.entry_id, []).append(line)
        for entry in batch:
            for line in grouped.get(entry.pk, []):
                yield entry, line
        if len(batch) < chunk:
            return
        last = (batch[-1].date, batch[-1].pk)


# --- Fund balances (art. 1071, 1071.1 C.c.Q.) -----------------------------------------------------------


@dataclass(frozen=True)
class FundBalanceRow:
    fund_id: int | None  # None: opening equity or revenue tagged with no fund
    name: str
    opening: Decimal  # opening balance equity tagged with the fund (credit balance)
    earlier_revenue: Decimal  # revenue of the fund before the fiscal year
    year_revenue: Decimal  # revenue of the fund from the start of the fiscal year to the date

    @property
    def balance(self) -> Decimal:
        return self.opening + self.earlier_revenue + self.year_revenue


@dataclass(frozen=True)
class FundBalances:
    as_of: dt.date
    year_start: dt.date
    rows: list[FundBalanceRow]

    def _total(self, name: str) -> Decimal:
        return sum((getattr(r, name) for r in self.rows), ZERO)

    @property
    def opening(self) -> Decimal:
        return self._total("opening")

    @property
    def earlier_revenue(self) -> Decimal:
        return self._total("earlier_revenue")

    @property
    def year_revenue(self) -> Decimal:
        return self._total("year_revenue")

    @property
    def balance(self) -> Decimal:
        return self._total("balance")


def fund_balances(*, property: Property, as_of: dt.date, year_start: dt.date) -> FundBalances:
    """Each fund's balance on ``as_of``: its opening balance (opening equity tagged with it), its revenue
    before the fiscal year starting ``year_start`` and its revenue since, net of voids. Logis records no
    expenses yet, so a fund's balance is what it received. Lines of these accounts with no fund (an
    opening credit of a unit: Dr equity) form a row of their own, so the total equals the credit balance of
    the trial balance's equity and revenue accounts. Two queries."""
    from logis.finances.models import Fund  # below the ledger

    net = F("credit") - F("debit")
    rows = (
        JournalLine.objects.filter(
            entry__property=property,
            entry__date__lte=as_of,
            account__kind__in=[AccountKind.OPENING_EQUITY, AccountKind.REVENUE],
        )
        .values("fund_id", "account__kind")
        .annotate(
            before=Coalesce(Sum(net, filter=Q(entry__date__lt=year_start)), Value(ZERO), output_field=_MONEY),
            during=Coalesce(
                Sum(net, filter=Q(entry__date__gte=year_start)), Value(ZERO), output_field=_MONEY
            ),
        )
        .order_by()
    )
    sums: dict[int | None, dict[str, Decimal]] = {}
    for r in rows:
        figures = sums.setdefault(r["fund_id"], {"opening": ZERO, "earlier": ZERO, "year": ZERO})
        if r["account__kind"] == AccountKind.OPENING_EQUITY:
            figures["opening"] += r["before"] + r["during"]
        else:
            figures["earlier"] += r["before"]
            figures["year"] += r["during"]
    result: list[FundBalanceRow] = []
    for fund in Fund.objects.filter(property=property).order_by("position", "id"):
        if fund.pk not in sums and not fund.is_active:
            continue
        f = sums.get(fund.pk, {"opening": ZERO, "earlier": ZERO, "year": ZERO})
        result.append(FundBalanceRow(fund.pk, fund.display_name, f["opening"], f["earlier"], f["year"]))
    if None in sums and any(sums[None].values()):
        f = sums[None]
        result.append(
            FundBalanceRow(None, str(_("Not assigned to a fund")), f["opening"], f["earlier"], f["year"])
        )
    return FundBalances(as_of=as_of, year_start=year_start, rows=result)
