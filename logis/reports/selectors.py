"""Reads of the reports page: aging of what residents owe, and the rows of the CSV exports.

Every aging figure is computed in SQL with conditional aggregation, so the page costs the same few
queries whether the property has 3 invoices or 30,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext_lazy as _

from logis.invoicing import totals
from logis.invoicing.models import Invoice, InvoiceStatus, InvoiceTotal
from logis.payments.models import Payment, PaymentStatus
from logis.properties.models import Property, Unit
from logis.properties.selectors import primary_occupancy

AMOUNT = models.DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Bucket:
    key: str
    label: Any  # lazy translation
    # Days past the due date, inclusive; None: open-ended. "current" is 0 or less (not yet due).
    min_days: int | None
    max_days: int | None


BUCKETS: tuple[Bucket, ...] = (
    Bucket("current", _("Not yet due"), None, 0),
    Bucket("d1_30", _("1–30 days"), 1, 30),
    Bucket("d31_60", _("31–60 days"), 31, 60),
    Bucket("d61_90", _("61–90 days"), 61, 90),
    Bucket("d90_plus", _("Over 90 days"), 91, None),
)


def owed_q(prefix: str = "") -> Q:
    """Published invoices with a balance due: open (overdue is open past its due date), not fully paid."""
    return Q(**{f"{prefix}status": InvoiceStatus.OPEN, f"{prefix}amount_paid__lt": F(f"{prefix}amount")})


def bucket_q(bucket: Bucket, today: dt.date, prefix: str = "") -> Q:
    """Invoices whose due date is ``min_days``..``max_days`` days before ``today`` (the property's date)."""
    q = Q()
    if bucket.max_days is not None:
        q &= Q(**{f"{prefix}due_date__gte": today - dt.timedelta(days=bucket.max_days)})
    if bucket.min_days is not None:
        q &= Q(**{f"{prefix}due_date__lte": today - dt.timedelta(days=bucket.min_days)})
    return q


def _balance_sum(prefix: str, condition: Q) -> Any:
    # Round: SQLite computes the difference as a float; PostgreSQL is exact.
    return Coalesce(
        Round(Sum(F(f"{prefix}amount") - F(f"{prefix}amount_paid"), filter=condition), 2),
        Value(ZERO),
        output_field=AMOUNT,
    )


@dataclass(frozen=True)
class BucketTotal:
    key: str
    label: Any
    amount: Decimal
    count: int


@dataclass(frozen=True)
class AgingTotals:
    buckets: list[BucketTotal]
    amount: Decimal
    count: int


def aging_totals(*, property: Property, today: dt.date) -> AgingTotals:
    """Amount and number of invoices owed per bucket, and overall: one query over the property's summary
    rows (open invoices by due date, ``InvoiceTotal``: docs/decisions/0033), not over its invoices."""
    owed = InvoiceTotal.objects.filter(property=property, status=InvoiceStatus.OPEN)
    aggregates: dict[str, Any] = {
        "total_amount": totals.balance_sum(Q()),
        "total_count": totals.count_sum(Q(), owed_only=True),
    }
    for bucket in BUCKETS:
        aggregates[f"{bucket.key}_amount"] = totals.balance_sum(bucket_q(bucket, today))
        aggregates[f"{bucket.key}_count"] = totals.count_sum(bucket_q(bucket, today), owed_only=True)
    row = owed.aggregate(**aggregates)
    return AgingTotals(
        buckets=[
            BucketTotal(b.key, b.label, Decimal(row[f"{b.key}_amount"]), row[f"{b.key}_count"])
            for b in BUCKETS
        ],
        amount=Decimal(row["total_amount"]),
        count=row["total_count"],
    )


def aging_by_unit(*, property: Property, today: dt.date) -> models.QuerySet[Unit]:
    """Units owing something, in natural order, each annotated with ``<bucket>_amount`` and ``total``.

    Also ``resident_name``: the primary resident's name, or None. One query per page (plus the count).
    """
    owed = owed_q("invoices__")
    annotations: dict[str, Any] = {"total": _balance_sum("invoices__", owed)}
    for bucket in BUCKETS:
        annotations[f"{bucket.key}_amount"] = _balance_sum(
            "invoices__", owed & bucket_q(bucket, today, "invoices__")
        )
    primary = primary_occupancy().values("resident__name")[:1]
    return (
        Unit.objects.filter(property=property)
        .annotate(**annotations)
        .filter(total__gt=0)  # type: ignore[misc]  # an annotation django-stubs cannot see
        .annotate(resident_name=Subquery(primary))
        .order_by("sort_key", "id")
    )


def unit_buckets(unit: Unit) -> list[Decimal]:
    """The bucket amounts of an annotated unit, in the order of ``BUCKETS``."""
    return [getattr(unit, f"{b.key}_amount") for b in BUCKETS]


def invoices_for_export(*, property: Property, today: dt.date) -> Iterator[Invoice]:
    """Published invoices of the property (voided ones included), by number, streamed in chunks."""
    return (
        Invoice.objects.filter(property=property)
        .visible_to_residents()
        .with_status(today)
        .select_related("unit")
        .order_by(F("number").asc(nulls_last=True), "id")
        .iterator(chunk_size=2000)
    )


def payments_for_export(*, property: Property) -> Iterator[Payment]:
    """Succeeded payments, reversals and refunds of the property, by date, streamed in chunks."""
    return (
        Payment.objects.filter(property=property, status=PaymentStatus.SUCCEEDED)
        .select_related("unit", "invoice")
        .order_by("paid_on", "id")
        .iterator(chunk_size=2000)
    )
