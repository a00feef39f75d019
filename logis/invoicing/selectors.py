"""Reads of invoices: the Factures page's summary cards and its filtered, sorted, paginated list.

Both use ``overdue_q`` / ``with_status`` from the models, the one definition of « En retard ».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db.models import F, OrderBy, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Contains
from django.utils.translation import gettext as _

from logis.core import keyset
from logis.core.audit import Verb
from logis.core.models import AuditEvent
from logis.core.search import Fold, fold
from logis.invoicing import totals
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.models import Payment
from logis.properties.models import Unit
from logis.properties.selectors import primary_resident, units_matching

if TYPE_CHECKING:
    from logis.properties.models import Property

PAGE_SIZE = 25
ZERO = Decimal("0.00")

# The Total card filters the list on this pseudo-status: open, overdue and paid invoices together.
BILLED = "billed"

SORTS: dict[str, list[Any]] = {
    "number": [F("number").asc(nulls_last=True), "id"],
    "unit": ["unit__sort_key", "-created_at", "-id"],
    "title": ["title", "id"],
    "amount": ["amount", "id"],
    "balance": ["balance_due", "id"],
    "due": ["due_date", "id"],
    "status": ["display_status", "id"],
    "created": ["created_at", "id"],
}
DEFAULT_SORT = "-created"

# The same orders for keyset pages (logis.core.keyset): values readable on each row, ending with the id.
# ``number_key``: the number, drafts (no number) after every number (an annotation of ``invoice_list``).
KEYSET_ORDERS: dict[str, list[tuple[str, bool]]] = {
    "number": [("number_key", False), ("id", False)],
    "unit": [("unit__sort_key", False), ("created_at", True), ("id", True)],
    "title": [("title", False), ("id", False)],
    "amount": [("amount", False), ("id", False)],
    "balance": [("balance_due", False), ("id", False)],
    "due": [("due_date", False), ("id", False)],
    "status": [("display_status", False), ("id", False)],
    "created": [("created_at", False), ("id", False)],
}
# What a row of the Factures list shows and its cursors read: without the four other dates, the description
# and the people's ids, 25 rows are built a sixth faster (2.33 -> 1.94 ms, decision 0043).
LIST_COLUMNS = (
    "id",
    "property_id",
    "unit_id",
    "number",
    "title",
    "amount",
    "amount_paid",
    "due_date",
    "status",
    "created_at",
    "unit__number",
    "unit__sort_key",
)
# Larger than any invoice number (a PositiveIntegerField): where drafts sort.
NO_NUMBER = 2_147_483_647


@dataclass(frozen=True)
class InvoiceFilters:
    """What the Factures page's filter form asks for; every field optional."""

    status: str = ""
    unit_id: int | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    search: str = ""
    sort: str = DEFAULT_SORT

    @property
    def narrows_beyond_status(self) -> bool:
        return bool(self.unit_id or self.due_from or self.due_to or self.search)

    @property
    def is_empty(self) -> bool:
        return not (self.status or self.narrows_beyond_status)


@dataclass(frozen=True)
class Card:
    amount: Decimal
    count: int


@dataclass(frozen=True)
class InvoiceSummary:
    total: Card
    open: Card
    overdue: Card
    paid: Card
    # Counts by status people see, from the same query: the list's paginator reuses them instead
    # of a second COUNT(*) over the property's invoices when only the status is filtered.
    counts: dict[str, int] = field(default_factory=dict)
    # Drafts (not yet billed) and, when asked for, open invoices due by a date: the dashboard's, from the
    # same scan of the property's invoices.
    drafts: Card = field(default_factory=lambda: Card(ZERO, 0))
    due_soon: Card | None = None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


def invoice_summary(
    property: Property, today: dt.date, *, due_soon_until: dt.date | None = None
) -> InvoiceSummary:
    """The four cards of the Factures page, from ONE aggregate query over the summary rows.

    - **Ouvertes / Open**: published invoices not paid and not overdue; amount = their balance due.
    - **En retard / Overdue**: ``overdue_q(today)`` (open, due before the property's local today,
      balance > 0); amount = their balance due.
    - **Payées / Paid**: invoices with status paid; amount = their invoice amount (which, for a paid
      invoice, is exactly what was collected on it: balance 0).
    - **Total**: Ouvertes + En retard + Payées, summed here from the three cards (amounts and counts),
      never recomputed: what is still owed plus what was fully paid.
    - Drafts and void invoices count in no card. Partial payments on open invoices lower the Ouvertes /
      En retard amounts (balance due) and appear in no other card.

    Also ``drafts`` (count and amount) and, with ``due_soon_until``, ``due_soon``: open invoices with a
    balance due from ``today`` to that date (the dashboard's, in the same query).
    """
    # The property's summary rows (a few hundred: one per status and due date), kept by the database in
    # the same transaction as every change of an invoice (``InvoiceTotal``, docs/decisions/0033), summed
    # by status and range of due dates in one GROUP BY: the cost no longer grows with the history.
    buckets = totals.due_buckets(property.pk, today, due_soon_until)

    def card(rows: list[totals.Bucket], *, amount: str, count: str) -> Card:
        return Card(sum((getattr(b, amount) for b in rows), ZERO), sum(getattr(b, count) for b in rows))

    opened = [b for b in buckets if b.status == InvoiceStatus.OPEN]
    past_due = [b for b in opened if b.due == totals.PAST]
    upcoming = [b for b in opened if b.due != totals.PAST]
    by_status = {
        status: [b for b in buckets if b.status == status]
        for status in (InvoiceStatus.PAID, InvoiceStatus.DRAFT, InvoiceStatus.VOID)
    }
    # Open invoices past their due date with nothing left to pay are not overdue (``overdue_q``): they
    # count as open.
    open_card = card(upcoming, amount="balance", count="invoice_count")
    open_card = Card(open_card.amount, open_card.count + sum(b.settled_count for b in past_due))
    overdue_card = card(past_due, amount="balance", count="owed_count")
    paid_card = card(by_status[InvoiceStatus.PAID], amount="amount", count="invoice_count")
    drafts = card(by_status[InvoiceStatus.DRAFT], amount="amount", count="invoice_count")
    total = Card(
        open_card.amount + overdue_card.amount + paid_card.amount,
        open_card.count + overdue_card.count + paid_card.count,
    )
    counts = {
        "": sum(b.invoice_count for b in buckets),
        InvoiceStatus.DRAFT.value: drafts.count,
        InvoiceStatus.OPEN.value: open_card.count,
        InvoiceStatus.OVERDUE.value: overdue_card.count,
        InvoiceStatus.PAID.value: paid_card.count,
        InvoiceStatus.VOID.value: sum(b.invoice_count for b in by_status[InvoiceStatus.VOID]),
        BILLED: total.count,
    }
    due_soon = None
    if due_soon_until is not None:
        due_soon = card([b for b in opened if b.due == totals.SOON], amount="balance", count="owed_count")
    return InvoiceSummary(
        total=total,
        open=open_card,
        overdue=overdue_card,
        paid=paid_card,
        counts=counts,
        drafts=drafts,
        due_soon=due_soon,
    )


def _cents(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _filter_status(qs: QuerySet[Invoice], status: str, today: dt.date) -> QuerySet[Invoice]:
    if status == BILLED:
        return qs.filter(status__in=[InvoiceStatus.OPEN, InvoiceStatus.PAID])
    if status in InvoiceStatus.values:
        return qs.with_display_status(status, today)  # type: ignore[attr-defined,no-any-return]
    return qs


def invoice_list(property: Property, today: dt.date, filters: InvoiceFilters) -> QuerySet[Invoice]:
    """The property's invoices matching ``filters``, with ``display_status`` and ``balance_due``."""
    qs: QuerySet[Invoice] = (
        Invoice.objects.filter(property=property).with_status(today).select_related("unit")  # type: ignore[attr-defined]
    )
    qs = _filter_status(qs, filters.status, today)
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.due_from:
        qs = qs.filter(due_date__gte=filters.due_from)
    if filters.due_to:
        qs = qs.filter(due_date__lte=filters.due_to)
    if filters.search:
        qs = qs.filter(_search_q(property, filters.search))
    return qs.order_by(*_ordering(filters.sort))


def _search_q(property: Property, search: str) -> Q:
    """Title, unit number, or the name or email of a resident of the unit; accents and case ignored.
    The units are found first (one small query, ``units_matching``) and the invoices by ``title OR unit_id
    IN (those ids)``: on PostgreSQL both sides have an index (the folded titles' trigrams, the units), so a
    rare match is found without folding every invoice of the property's history (decision 0044)."""
    by_title = Q(Contains(Fold("title"), fold(search.strip())))
    units = units_matching(property=property, search=search)
    return by_title | Q(unit_id__in=units) if units else by_title


def keyset_order(sort: str) -> list[tuple[str, bool]]:
    """``sort`` (``-created`` by default) as a keyset order: the rows in the order of ``_ordering``."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in KEYSET_ORDERS:
        key, descending = "created", True
    return [(name, desc != descending) for name, desc in KEYSET_ORDERS[key]]


def invoice_keyset_page(
    queryset: QuerySet[Invoice],
    sort: str,
    *,
    after: str | None = None,
    before: str | None = None,
    count: int | None = None,
) -> keyset.KeysetPage[Invoice]:
    """One page of ``invoice_list`` rows (25) after or before a cursor: one query whatever the depth."""
    order = keyset_order(sort)
    if order[0][0] == "number_key":
        queryset = queryset.annotate(number_key=Coalesce("number", Value(NO_NUMBER)))
    return keyset.page(queryset, order, size=PAGE_SIZE, after=after, before=before, count=count)


def _ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "created", True
    ordering = SORTS[key]
    if not descending:
        return ordering
    flipped: list[Any] = []
    for item in ordering:
        if isinstance(item, OrderBy):
            flipped.append(item.copy())
            flipped[-1].reverse_ordering()
        elif item.startswith("-"):
            flipped.append(item[1:])
        else:
            flipped.append(f"-{item}")
    return flipped


def invoice_page(
    queryset: QuerySet[Invoice],
    page_number: str | int | None,
    *,
    known_count: int | None = None,
) -> Page[Invoice]:
    """One page of ``queryset`` (25 rows); ``known_count`` spares the COUNT(*) when already known."""
    paginator = Paginator(queryset, PAGE_SIZE)
    if known_count is not None:
        paginator.__dict__["count"] = known_count  # cached_property: set it, no COUNT query
    page = paginator.get_page(page_number)
    # Evaluate the rows now (one query) so templates iterate a list.
    page.object_list = list(page.object_list)
    return page


def known_list_count(summary: InvoiceSummary, filters: InvoiceFilters) -> int | None:
    """The list's row count when the summary query already gives it (no filter but status)."""
    if filters.narrows_beyond_status:
        return None
    return summary.counts.get(filters.status if filters.status in summary.counts else "")


def unit_options(property: Property) -> list[tuple[int, str]]:
    """Every unit of the property as (id, number), in natural order, with or without resident."""
    return list(Unit.objects.filter(property=property).order_by("sort_key", "id").values_list("id", "number"))


def unit_email_warning(property: Property, unit_id: int | None) -> str | None:
    """The create dialog's warning when the chosen unit's invoices cannot be emailed, else None."""
    if not unit_id:
        return None
    unit = Unit.objects.filter(pk=unit_id, property=property).first()
    if unit is None:
        return None
    resident = primary_resident(unit)
    if resident is None:
        return _(
            "This unit has no primary resident assigned. The invoice will still be created, but email "
            "notifications cannot be sent. Assign a resident to the unit first if you need to notify them."
        )
    email = resident.email
    try:
        validate_email(email)
    except DjangoValidationError:
        return _(
            "The primary resident of this unit, %(name)s, has no valid email address. The invoice will "
            "still be created, but email notifications cannot be sent. Add a valid email address to the "
            "resident first if you need to notify them."
        ) % {"name": resident.name}
    return None


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    history: list[Any]
    emails: list[Any]
    payments: list[Any]

    @property
    def email_being_prepared_to(self) -> str | None:
        """Published in a large group, its email is written by the worker a moment later: until then,
        the address it goes to (from the publish event), else None."""
        if self.invoice.status != InvoiceStatus.OPEN or any(
            getattr(e, "kind", "") == "invoice_published" for e in self.emails
        ):
            return None
        for event in self.history:
            if event.verb == Verb.INVOICE_PUBLISHED and isinstance(event.after, dict):
                to = event.after.get("email_queued_to")
                return str(to) if to else None
        return None


def get_invoice(property: Property, invoice_id: int, today: dt.date) -> Invoice | None:
    """One invoice of the property with ``display_status`` and ``balance_due`` (``with_status``), or None
    when it belongs to another property or does not exist."""
    invoice: Invoice | None = (
        Invoice.objects.filter(property=property, pk=invoice_id)
        .with_status(today)  # type: ignore[attr-defined]
        .select_related("unit", "created_by", "published_by", "voided_by")
        .first()
    )
    return invoice


def invoice_payments(invoice: Invoice) -> list[Payment]:
    """The invoice's payments, reversals and refunds, newest first (one query, reversals prefetched)."""
    return list(
        Payment.objects.filter(invoice=invoice)
        .select_related("recorded_by", "unit", "invoice")
        .prefetch_related("reversals")
        .order_by("-paid_on", "-id")
    )


def invoice_detail(property: Property, invoice_id: int, today: dt.date) -> InvoiceDetail | None:
    """One invoice of the property with its history (newest first), emails and payments; a fixed
    number of queries whatever their count."""
    invoice = get_invoice(property, invoice_id, today)
    if invoice is None:
        return None
    history = list(
        AuditEvent.objects.filter(object_type=Invoice._meta.label_lower, object_id=str(invoice.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    emails = list(EmailMessage.objects.filter(invoice=invoice).order_by("-created_at", "-id"))
    return InvoiceDetail(invoice=invoice, history=history, emails=emails, payments=invoice_payments(invoice))
