"""« Mes propriétés » for a person with roles on several properties: each property's open and overdue
balances and drafts waiting, from ONE aggregate query over the summary rows of all of them (the same
rows as the Factures cards, ``invoice_summary``), and a search for a unit or a resident across
them by name, email or unit number."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from logis.core.dates import today_in
from logis.invoicing import totals
from logis.invoicing.models import InvoiceStatus, InvoiceTotal
from logis.invoicing.selectors import ZERO, Card
from logis.properties.models import Property, Resident, Unit

SEARCH_LIMIT = 25
SEARCH_MIN = 2


def _cents(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class PropertySummary:
    open: Card
    overdue: Card
    drafts: Card


EMPTY = PropertySummary(Card(ZERO, 0), Card(ZERO, 0), Card(ZERO, 0))


def portfolio_summaries(properties: list[Property]) -> dict[int, PropertySummary]:
    """Open (not overdue), overdue and draft invoices of each property, in one query whatever their
    number. « Overdue » is ``overdue_q`` against each property's own local today (one condition per
    time zone among them)."""
    if not properties:
        return {}
    # The summary rows of the open and draft invoices (by status and due date, ``InvoiceTotal``, kept with
    # the invoices: docs/decisions/0033): a few hundred rows per property, not its history.
    past_due = Q(pk__in=[])
    for zone in sorted({p.timezone for p in properties}):
        past_due |= Q(property__timezone=zone, due_date__lt=today_in(zone))
    past_due &= Q(status=InvoiceStatus.OPEN)
    upcoming = Q(status=InvoiceStatus.OPEN) & ~past_due
    is_draft = Q(status=InvoiceStatus.DRAFT)
    rows = (
        InvoiceTotal.objects.filter(
            property__in=[p.pk for p in properties], status__in=[InvoiceStatus.OPEN, InvoiceStatus.DRAFT]
        )
        .values("property_id")
        .order_by("property_id")
        .annotate(
            open_amount=totals.balance_sum(upcoming),
            open_count=totals.count_sum(upcoming),
            open_settled_count=totals.settled_sum(past_due),
            overdue_amount=totals.balance_sum(past_due),
            overdue_count=totals.count_sum(past_due, owed_only=True),
            draft_amount=totals.amount_sum(is_draft),
            draft_count=totals.count_sum(is_draft),
        )
    )
    return {
        row["property_id"]: PropertySummary(
            open=Card(_cents(row["open_amount"]), row["open_count"] + row["open_settled_count"]),
            overdue=Card(_cents(row["overdue_amount"]), row["overdue_count"]),
            drafts=Card(_cents(row["draft_amount"]), row["draft_count"]),
        )
        for row in rows
    }


@dataclass
class SearchResults:
    query: str
    units: list[Unit] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.units and not self.residents


def search_portfolio(*, properties: list[Property], query: str) -> SearchResults:
    """Units whose number, and residents whose name or email, contain ``query``, in the given properties
    only (the caller's); two queries, at most 25 of each."""
    query = " ".join((query or "").split())[:100]
    results = SearchResults(query=query)
    if len(query) < SEARCH_MIN or not properties:
        return results
    ids = [p.pk for p in properties]
    results.units = list(
        Unit.objects.filter(property__in=ids, number__icontains=query)
        .select_related("property")
        .order_by("property__name", "sort_key", "pk")[:SEARCH_LIMIT]
    )
    results.residents = list(
        Resident.objects.filter(Q(name__icontains=query) | Q(email__icontains=query), property__in=ids)
        .select_related("property")
        .order_by("name", "property__name", "pk")[:SEARCH_LIMIT]
    )
    return results
