"""Reads and the check of the invoice summary rows (``InvoiceTotal``, kept by database triggers:
docs/decisions/0033).

The pages (Factures cards, the dashboard, the aging totals, « Mes propriétés », the API's summary) read
a property's few hundred rows instead of its whole history; ``invoice_total_mismatches`` recomputes them
from the invoices (``manage.py verify_summaries``, and the state-machine tests after every step).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Round, TruncMonth

from logis.invoicing.models import Invoice, InvoiceStatus, InvoiceTotal

AMOUNT = models.DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")

Key = tuple[int, str, dt.date]
Figures = tuple[int, Decimal, Decimal, int]


def balance_sum(condition: Q) -> Any:
    """The balance due (amount - amount paid) of the rows matching ``condition``.
    Round: SQLite keeps these sums as floats; PostgreSQL is exact."""
    return Coalesce(
        Round(Sum(F("amount") - F("amount_paid"), filter=condition), 2), Value(ZERO), output_field=AMOUNT
    )


def amount_sum(condition: Q) -> Any:
    return Coalesce(Round(Sum("amount", filter=condition), 2), Value(ZERO), output_field=AMOUNT)


def count_sum(condition: Q, *, owed_only: bool = False) -> Any:
    """How many invoices; ``owed_only``: only those with a balance due (not ``settled``)."""
    counted = F("invoice_count") - F("settled_count") if owed_only else F("invoice_count")
    return Coalesce(Sum(counted, filter=condition), Value(0), output_field=models.IntegerField())


def settled_sum(condition: Q) -> Any:
    return Coalesce(Sum("settled_count", filter=condition), Value(0), output_field=models.IntegerField())


@dataclass(frozen=True)
class Bucket:
    """The summed summary rows of one status and one range of due dates (``due_buckets``)."""

    status: str
    due: int  # PAST (before today), SOON (today to the « due soon » date) or LATER
    invoice_count: int
    amount: Decimal
    amount_paid: Decimal
    settled_count: int

    @property
    def balance(self) -> Decimal:
        return self.amount - self.amount_paid

    @property
    def owed_count(self) -> int:
        """Its invoices with a balance due (not settled)."""
        return self.invoice_count - self.settled_count


PAST, SOON, LATER = 0, 1, 2


def due_buckets(property_id: int, today: dt.date, soon_until: dt.date | None = None) -> list[Bucket]:
    """A property's summary rows summed by status and by due date before today (PAST), from today to
    ``soon_until`` (SOON) or later (LATER): at most fifteen rows from one GROUP BY, whatever the history.

    Cheaper to build and to run than one aggregate with a filtered sum per figure (the Factures cards
    and the dashboard need about fifteen): the figures are then added up from these rows in Python,
    in ``Decimal``, exact."""
    whens = [When(due_date__lt=today, then=Value(PAST))]
    if soon_until is not None:
        whens.append(When(due_date__lte=soon_until, then=Value(SOON)))
    rows = (
        InvoiceTotal.objects.filter(property_id=property_id)
        .annotate(due=Case(*whens, default=Value(LATER), output_field=models.IntegerField()))
        .order_by()
        .values("status", "due")
        .annotate(n=Sum("invoice_count"), a=Sum("amount"), ap=Sum("amount_paid"), sc=Sum("settled_count"))
    )
    return [
        Bucket(r["status"], r["due"], r["n"] or 0, _cents(r["a"]), _cents(r["ap"]), r["sc"] or 0)
        for r in rows
    ]


def recomputed(
    property_id: int | None = None,
) -> dict[tuple[int, str, dt.date], tuple[int, Decimal, Decimal, int]]:
    """The summary rows as the invoices give them now (one GROUP BY), keyed by (property, status, row
    date): an open invoice's due date, else the first day of its due date's month (``row_date``)."""
    invoices = (
        Invoice.objects.all() if property_id is None else Invoice.objects.filter(property_id=property_id)
    )
    rows = (
        invoices.order_by()
        .annotate(row_date=row_date())
        .values("property_id", "status", "row_date")
        .annotate(
            n=Count("id"),
            a=Sum("amount"),
            ap=Sum("amount_paid"),
            sc=Count("id", filter=Q(amount_paid__gte=F("amount"))),
        )
    )
    return {
        (r["property_id"], r["status"], _day(r["row_date"])): (
            r["n"],
            _cents(r["a"]),
            _cents(r["ap"]),
            r["sc"],
        )
        for r in rows
    }


def _day(value: dt.date | str) -> dt.date:
    """The row date as a date: PostgreSQL's month truncation inside a CASE comes back as a timestamp,
    SQLite's as text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def row_date() -> Any:
    """The date of an invoice's summary row, as the triggers key it (migration 0010, decision 0040): an
    open invoice's due date (« En retard », « À échoir » and the aging need it to the day), else the first
    day of the month of its due date (paid, void and draft rows are only ever summed whole)."""
    return Case(
        When(status=InvoiceStatus.OPEN, then=F("due_date")),
        default=TruncMonth("due_date", output_field=models.DateField()),
        output_field=models.DateField(),
    )


def stored(
    property_id: int | None = None,
) -> dict[tuple[int, str, dt.date], tuple[int, Decimal, Decimal, int]]:
    """The summary rows as kept, without the emptied ones (every invoice of them deleted or moved)."""
    totals = (
        InvoiceTotal.objects.all()
        if property_id is None
        else InvoiceTotal.objects.filter(property_id=property_id)
    )
    found = {}
    for t in totals.order_by("property_id", "status", "due_date"):
        value = (t.invoice_count, _cents(t.amount), _cents(t.amount_paid), t.settled_count)
        if value != (0, ZERO, ZERO, 0):
            found[(t.property_id, t.status, t.due_date)] = value
    return found


def invoice_total_mismatches(property_id: int | None = None) -> list[str]:
    """Every summary row that differs from a full recomputation from the invoices, as readable lines."""
    want = recomputed(property_id)
    have = stored(property_id)
    lines = []
    for key in sorted(set(want) | set(have), key=lambda k: (k[0], k[1], k[2])):
        if want.get(key) != have.get(key):
            lines.append(
                f"property {key[0]} invoices {key[1]} due {key[2]}: "
                f"kept {_describe(have.get(key))}, recomputed {_describe(want.get(key))}"
            )
    return lines


def _describe(value: Figures | None) -> str:
    if value is None:
        return "nothing"
    n, a, ap, sc = value
    return f"count={n} amount={a} amount_paid={ap} settled={sc}"


def _cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def open_q(today: dt.date) -> Q:
    """Open rows due today or later: « Ouvertes » (with the settled invoices of overdue rows)."""
    return Q(status=InvoiceStatus.OPEN, due_date__gte=today)


def past_due_q(today: dt.date) -> Q:
    """Open rows due before today: their invoices with a balance due are « En retard » (``overdue_q``)."""
    return Q(status=InvoiceStatus.OPEN, due_date__lt=today)
