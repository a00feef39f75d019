"""« Mes propriétés » for a person with roles on several properties: each property's open and overdue
balances and drafts waiting, from ONE aggregate query over the invoices of all of them (the same
expressions as the Factures cards, ``invoice_summary``), and a search for a unit or a resident across
them by name, email or unit number."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from logis.core.dates import today_in
from logis.invoicing.models import Invoice, InvoiceStatus, overdue_q
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
    overdue = Q(pk__in=[])
    for zone in sorted({p.timezone for p in properties}):
        overdue |= Q(property__timezone=zone) & overdue_q(today_in(zone))
    is_open = Q(status=InvoiceStatus.OPEN) & ~overdue
    is_draft = Q(status=InvoiceStatus.DRAFT)
    balance = F("amount") - F("amount_paid")
    rows = (
        # Only open and draft invoices count in these cards: reading only them (a partial index) keeps the
        # cost with what is still owed, not with years of paid history.
        Invoice.objects.filter(
            property__in=[p.pk for p in properties], status__in=[InvoiceStatus.OPEN, InvoiceStatus.DRAFT]
        )
        .values("property_id")
        .order_by("property_id")
        .annotate(
            open_amount=Coalesce(Sum(balance, filter=is_open), ZERO),
            open_count=Count("id", filter=is_open),
            overdue_amount=Coalesce(Sum(balance, filter=overdue), ZERO),
            overdue_count=Count("id", filter=overdue),
            draft_amount=Coalesce(Sum("amount", filter=is_draft), ZERO),
            draft_count=Count("id", filter=is_draft),
        )
    )
    return {
        row["property_id"]: PropertySummary(
            open=Card(_cents(row["open_amount"]), row["open_count"]),
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
