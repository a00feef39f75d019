"""« Mes propriétés » for a person with roles on several properties: each property's open and overdue
balances and drafts waiting, from ONE aggregate query over the summary rows of all of them (the same
rows as the Factures cards, ``invoice_summary``), and a search for a unit or a resident across
them by name, email or unit number."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Case, Q, Sum, Value, When
from django.db.models.lookups import Contains

from logis.core.dates import today_in
from logis.core.search import TRIGRAM, Fold, fold
from logis.invoicing.models import InvoiceStatus, InvoiceTotal
from logis.invoicing.selectors import ZERO, Card
from logis.properties.models import Property, Resident, Unit

SEARCH_LIMIT = 25
CENT = Decimal("0.01")
SEARCH_MIN = 2


def _cents(card: Card) -> Card:
    return Card(card.amount.quantize(CENT), card.count)


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
    # the invoices: docs/decisions/0033), summed per property, status and « due before its local today »
    # in one GROUP BY (at most three rows per property, decision 0040), then added up here.
    zones: dict[str, list[int]] = {}
    for p in properties:
        zones.setdefault(p.timezone, []).append(p.pk)
    if len(zones) == 1:
        # The usual case, one time zone: no condition on the property, so no join to it.
        past_due = Q(due_date__lt=today_in(next(iter(zones))))
    else:
        past_due = Q(pk__in=[])
        for zone, ids in sorted(zones.items()):
            past_due |= Q(property_id__in=ids, due_date__lt=today_in(zone))
    rows = (
        InvoiceTotal.objects.filter(
            property__in=[p.pk for p in properties], status__in=[InvoiceStatus.OPEN, InvoiceStatus.DRAFT]
        )
        .annotate(
            past=Case(When(past_due, then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by()
        .values("property_id", "status", "past")
        .annotate(n=Sum("invoice_count"), a=Sum("amount"), ap=Sum("amount_paid"), sc=Sum("settled_count"))
    )
    sums: dict[int, dict[str, Card]] = {}
    for row in rows:
        cards = sums.setdefault(
            row["property_id"], {"open": Card(ZERO, 0), "overdue": Card(ZERO, 0), "drafts": Card(ZERO, 0)}
        )
        count, amount, paid, settled = row["n"] or 0, row["a"] or ZERO, row["ap"] or ZERO, row["sc"] or 0
        if row["status"] == InvoiceStatus.DRAFT:
            cards["drafts"] = _plus(cards["drafts"], amount, count)
        elif row["past"]:
            # Open and due before today: those with a balance due are overdue (``overdue_q``); the
            # settled ones count as open, with nothing left to pay.
            cards["overdue"] = _plus(cards["overdue"], amount - paid, count - settled)
            cards["open"] = _plus(cards["open"], ZERO, settled)
        else:
            cards["open"] = _plus(cards["open"], amount - paid, count)
    return {
        pk: PropertySummary(*(_cents(c[k]) for k in ("open", "overdue", "drafts"))) for pk, c in sums.items()
    }


def _plus(card: Card, amount: Decimal, count: int) -> Card:
    return Card(card.amount + amount, card.count + count)


@dataclass
class SearchResults:
    query: str
    units: list[Unit] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.units and not self.residents


def _contains(field: str, query: str) -> Q:
    """``field`` contains ``query``: accents and case ignored, by the folded column's trigram index on
    PostgreSQL (decision 0044); a query shorter than a trigram cannot use it and would fold every row of
    every property, so it is matched on case alone, as a unit number usually is."""
    if len(query) < TRIGRAM:
        return Q(**{f"{field}__icontains": query})
    return Q(Contains(Fold(field), fold(query)))


def search_portfolio(*, properties: list[Property], query: str) -> SearchResults:
    """Units whose number, and residents whose name or email, contain ``query``, accents and case ignored,
    in the given properties only (the caller's); two queries, at most 25 of each."""
    query = " ".join((query or "").split())[:100]
    results = SearchResults(query=query)
    if len(query) < SEARCH_MIN or not properties:
        return results
    ids = [p.pk for p in properties]
    results.units = list(
        Unit.objects.filter(_contains("number", query), property__in=ids)
        .select_related("property")
        .order_by("property__name", "sort_key", "pk")[:SEARCH_LIMIT]
    )
    results.residents = list(
        Resident.objects.filter(_contains("name", query) | _contains("email", query), property__in=ids)
        .select_related("property")
        .order_by("name", "property__name", "pk")[:SEARCH_LIMIT]
    )
    return results
