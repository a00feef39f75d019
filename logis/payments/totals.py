"""Reads and the check of the payment summary rows (``PaymentTotal``: per property, kind, status and
method, kept by database triggers; docs/decisions/0033)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from logis.payments.models import Payment, PaymentTotal

ZERO = Decimal("0.00")

Key = tuple[int, str, str, str]
Figures = tuple[int, Decimal]


def _cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def recomputed(property_id: int | None = None) -> dict[Key, Figures]:
    """The summary rows as the payments give them now (one GROUP BY)."""
    payments = Payment.objects.all()
    if property_id is not None:
        payments = payments.filter(property_id=property_id)
    rows = (
        payments.order_by()
        .values("property_id", "kind", "status", "method")
        .annotate(n=Count("id"), a=Sum("amount"))
    )
    return {(r["property_id"], r["kind"], r["status"], r["method"]): (r["n"], _cents(r["a"])) for r in rows}


def stored(property_id: int | None = None) -> dict[Key, Figures]:
    """The summary rows as kept, without the emptied ones."""
    rows = PaymentTotal.objects.all()
    if property_id is not None:
        rows = rows.filter(property_id=property_id)
    found = {}
    for t in rows.order_by("property_id", "kind", "status", "method"):
        value = (t.payment_count, _cents(t.amount))
        if value != (0, ZERO):
            found[(t.property_id, t.kind, t.status, t.method)] = value
    return found


def payment_total_mismatches(property_id: int | None = None) -> list[str]:
    """Every summary row that differs from a full recomputation from the payments, as readable lines."""
    want = recomputed(property_id)
    have = stored(property_id)
    return [
        f"property {key[0]} payments {key[1]} {key[2]} {key[3]}: "
        f"kept {have.get(key)}, recomputed {want.get(key)}"
        for key in sorted(set(want) | set(have))
        if want.get(key) != have.get(key)
    ]


def known_count(property_id: int, *, kind: str = "", status: str = "", method: str = "") -> int:
    """How many payments of the property have this kind, status and method (each optional), from the
    summary rows: the API's list by offset answers its « count » without a COUNT over every payment."""
    rows = PaymentTotal.objects.filter(property_id=property_id)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if method:
        rows = rows.filter(method=method)
    return int(rows.aggregate(n=Sum("payment_count"))["n"] or 0)
