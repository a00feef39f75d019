"""Reads for the Paiements page: filtered payments and their totals, in a constant number of queries.

The totals, defined once here (the state-machine test checks them against the invoices):

- **received**: succeeded payments of money (every method but ``credit``);
- **returned**: succeeded reversals and refunds of money (every method but ``credit``);
- **net** = received - returned: the money the property keeps;
- **credit_applied**: unit credit applied to invoices (``credit`` payments) net of their reversals.
  Not money received: that money was counted when the first (since voided) invoice was paid.

Over all the payments of a property (no filter), with ``credit`` = the sum of the units' credit and
``credit_refunded`` = unit credit given back to residents (ledger entries, not payments):
    net == sum(amount_paid of non-void invoices) + credit + credit_refunded
(a void moves an invoice's amount_paid into credit; applying credit moves it back into an invoice's
amount_paid; neither changes the money received.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from logis.payments.models import CREDIT_METHOD, Payment, PaymentKind, PaymentStatus, UnitCredit
from logis.properties.models import Property, Unit


@dataclass(frozen=True)
class PaymentFilters:
    method: str = ""
    kind: str = ""
    status: str = ""
    unit_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def payment_list(*, property: Property, filters: PaymentFilters) -> QuerySet[Payment]:
    qs = Payment.objects.filter(property=property).select_related("invoice", "unit", "recorded_by")
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.date_from:
        qs = qs.filter(paid_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(paid_on__lte=filters.date_to)
    return qs.order_by("-paid_on", "-id")


def _sum(condition: Q) -> Coalesce:
    return Coalesce(
        Sum("amount", filter=condition),
        Value(Decimal("0.00")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def payment_totals(payments: QuerySet[Payment]) -> dict[str, Decimal]:
    """Received, returned (reversals and refunds), net, and credit applied, over the filtered
    payments, in one query (see the module's docstring for the definitions)."""
    ok = Q(status=PaymentStatus.SUCCEEDED)
    money = ok & ~Q(method=CREDIT_METHOD)
    credit = ok & Q(method=CREDIT_METHOD)
    back = [PaymentKind.REVERSAL, PaymentKind.REFUND]
    totals = payments.order_by().aggregate(
        received=_sum(money & Q(kind=PaymentKind.PAYMENT)),
        returned=_sum(money & Q(kind__in=back)),
        credit_in=_sum(credit & Q(kind=PaymentKind.PAYMENT)),
        credit_back=_sum(credit & Q(kind__in=back)),
    )
    return {
        "received": totals["received"],
        "returned": totals["returned"],
        "net": totals["received"] - totals["returned"],
        "credit_applied": totals["credit_in"] - totals["credit_back"],
    }


def with_credit(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Annotate ``credit``, each unit's credit balance (the sum of its ledger entries, as
    ``credits.credit_balance``), in the same query as the units."""
    per_unit = (
        UnitCredit.objects.filter(unit=OuterRef("pk"))
        .order_by()
        .values("unit")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return units.annotate(
        credit=Coalesce(
            Subquery(per_unit),
            Value(Decimal("0.00")),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


def property_credit(*, property: Property) -> Decimal:
    """The credit on the accounts of all the property's units (one query)."""
    total = UnitCredit.objects.filter(property=property).aggregate(total=_sum(Q()))["total"]
    return Decimal(total).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class UnitCreditSummary:
    """The credit section of the unit page: balance, latest entries, and whether it can be applied."""

    balance: Decimal
    entries: list[UnitCredit]
    open_invoice_count: int

    @property
    def can_apply(self) -> bool:
        return self.balance > 0 and self.open_invoice_count > 0


def unit_credit(*, unit: Unit, limit: int = 20) -> UnitCreditSummary:
    """Three queries whatever the number of entries."""
    from logis.invoicing.models import Invoice, InvoiceStatus
    from logis.payments.credits import credit_balance, unit_credit_entries

    return UnitCreditSummary(
        balance=credit_balance(unit=unit),
        entries=unit_credit_entries(unit=unit, limit=limit),
        open_invoice_count=Invoice.objects.filter(unit=unit, status=InvoiceStatus.OPEN).count(),
    )
