"""Reads for the Paiements page: filtered payments and their totals, in a constant number of queries.

The totals, defined once here (the state-machine test checks them against the invoices):

- **received**: succeeded payments of money (every method but ``credit``);
- **returned**: succeeded reversals and refunds of money (every method but ``credit``), plus unit credit
  refunded to residents by hand (``credit_refunded``: a cheque, transfer or cash given back, recorded as
  a ``UnitCredit`` entry of kind ``refunded`` with no payment; a Stripe refund of money held in credit is
  a refund ``Payment`` already, counted once);
- **net** = received - returned: the money that actually moved, what the property keeps (decision 0030);
- **credit_applied**: unit credit applied to invoices (``credit`` payments) net of their reversals.
  Not money received: that money was counted when the first (since voided) invoice was paid.

Over all the payments of a property (no filter), with ``credit`` = the sum of the units' credit:
    net == sum(amount_paid of non-void invoices) + credit
(a void moves an invoice's amount_paid into credit; applying credit moves it back into an invoice's
amount_paid; neither changes the money received; refunding credit lowers both the credit and the net.)

Reversals and refunds are shown negative everywhere (list, cards, CSV, ``signed_amount`` of the API):
``signed_amount`` gives the sign, ``amount`` stays positive as stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from logis.core import keyset
from logis.core.keyset import KeysetPage
from logis.payments.models import (
    CREDIT_METHOD,
    AutopayDebit,
    AutopayDebitStatus,
    AutopayEnrolment,
    AutopayStatus,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    PaymentTotal,
    UnitCredit,
)
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


def signed_amount(payment: Payment) -> Decimal:
    """The payment's amount as money moving: positive when received, negative for a reversal or refund."""
    return payment.amount if payment.kind == PaymentKind.PAYMENT else -payment.amount


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def credit_refund_list(*, property: Property, filters: PaymentFilters) -> QuerySet[UnitCredit]:
    """Unit credit given back to residents by hand, with the Paiements filters: money that left the
    property though no ``Payment`` records it. Dated by the property's local date of the entry.

    An entry linked to a payment (a Stripe refund of money the credit held) is left out: that refund
    is a ``Payment`` of kind refund, already listed and counted."""
    qs = UnitCredit.objects.filter(
        property=property, kind=CreditKind.REFUNDED, payment__isnull=True
    ).select_related("unit")
    if filters.kind and filters.kind != PaymentKind.REFUND:
        return qs.none()
    if filters.status and filters.status != PaymentStatus.SUCCEEDED:
        return qs.none()
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    zone = ZoneInfo(property.timezone)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_local_midnight(filters.date_from, zone))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_local_midnight(filters.date_to + dt.timedelta(days=1), zone))
    return qs.order_by("-created_at", "-id")


def credit_refund_date(entry: UnitCredit, property: Property) -> dt.date:
    """The property's local date of a credit refund (the day it was recorded)."""
    return entry.created_at.astimezone(ZoneInfo(property.timezone)).date()


def _sum(condition: Q) -> Coalesce:
    return Coalesce(
        Sum("amount", filter=condition),
        Value(Decimal("0.00")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def payment_totals(
    payments: QuerySet[Payment] | QuerySet[PaymentTotal], credit_refunds: QuerySet[UnitCredit] | None = None
) -> dict[str, Decimal]:
    """Received, returned (reversals, refunds and ``credit_refunds``), net, and credit applied, over
    the filtered payments, in two queries (see the module's docstring for the definitions).

    ``credit_refunds`` is ``credit_refund_list`` with the same filters; without it the net leaves out
    credit given back by hand (only for figures that are not the money moved)."""
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
    refunded = Decimal("0.00")
    if credit_refunds is not None:
        # Entries are negative (credit leaving the account): the money given back is their opposite.
        refunded = -credit_refunds.order_by().aggregate(total=_sum(Q()))["total"]
    returned = totals["returned"] + refunded
    return {
        "received": totals["received"],
        "returned": returned,
        "net": totals["received"] - returned,
        "credit_applied": totals["credit_in"] - totals["credit_back"],
        "credit_refunded": refunded,
    }


def property_payment_totals(*, property: Property) -> dict[str, Decimal]:
    """``payment_totals`` of all the property's payments (no filter), from its few summary rows (per kind,
    status and method, ``PaymentTotal``: docs/decisions/0033) instead of every payment; the credit
    refunded by hand is still summed from its entries (rare rows). Two queries, the same figures."""
    return payment_totals(
        PaymentTotal.objects.filter(property=property),  # the same columns: kind, status, method, amount
        credit_refund_list(property=property, filters=PaymentFilters()),
    )


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


@dataclass
class UnitAutopay:
    """A unit's automatic payment for its managers: the enrolment (active, else the last one) and the
    latest debits with their state."""

    enrolment: AutopayEnrolment | None
    debits: list[AutopayDebit]


def unit_autopay(*, unit: Unit, limit: int = 12) -> UnitAutopay:
    enrolment = (
        AutopayEnrolment.objects.filter(unit=unit)
        .select_related("user")
        .order_by(Case(When(status="active", then=0), default=1), "-created_at", "-pk")
        .first()
    )
    debits = list(
        AutopayDebit.objects.filter(invoice__unit=unit)
        .select_related("invoice", "nsf_invoice")
        .order_by("-debit_on", "-pk")[:limit]
    )
    return UnitAutopay(enrolment, debits)


# The enrolled units of a property, in unit order (keyset pages: the order ends with the id).
AUTOPAY_ORDER = (("unit__number", False), ("id", False))
AUTOPAY_PAGE_SIZE = 50
RECENT_DEBITS = 20


@dataclass
class PropertyAutopay:
    """Every automatic payment of a property for its managers: the active enrolments (a page of them,
    each with its next debit), how many units are enrolled, and the latest debits with their state."""

    enrolments: KeysetPage[AutopayEnrolment]
    enrolled: int
    units: int
    recent_debits: list[AutopayDebit]


def property_autopay(
    *, property: Property, after: str | None = None, before: str | None = None
) -> PropertyAutopay:
    """Five queries whatever the number of units or debits on record."""
    upcoming = AutopayDebit.objects.filter(
        enrolment=OuterRef("pk"),
        status__in=[AutopayDebitStatus.SCHEDULED, AutopayDebitStatus.SUBMITTING, AutopayDebitStatus.PENDING],
    ).order_by("debit_on", "pk")
    # Each unit's latest debit, whatever its state (a refusal stays in view until the next debit).
    latest = AutopayDebit.objects.filter(enrolment=OuterRef("pk")).order_by("-debit_on", "-pk")
    active = (
        AutopayEnrolment.objects.filter(property=property, status=AutopayStatus.ACTIVE)
        .select_related("unit", "user")
        .annotate(
            next_debit_on=Subquery(upcoming.values("debit_on")[:1]),
            next_debit_amount=Subquery(upcoming.values("amount")[:1]),
            next_debit_status=Subquery(upcoming.values("status")[:1]),
            last_debit_on=Subquery(latest.values("debit_on")[:1]),
            last_debit_status=Subquery(latest.values("status")[:1]),
            last_debit_failure=Subquery(latest.values("failure_code")[:1]),
        )
    )
    page: KeysetPage[AutopayEnrolment] = keyset.page(
        active, AUTOPAY_ORDER, size=AUTOPAY_PAGE_SIZE, after=after, before=before
    )
    for enrolment in page.object_list:
        # What the page shows of the latest debit: its state and, refused, why (the active language).
        status = getattr(enrolment, "last_debit_status", None)
        shown = AutopayDebit(status=status or "", failure_code=getattr(enrolment, "last_debit_failure", ""))
        enrolment.last_debit_label = str(AutopayDebitStatus(status).label) if status else ""  # type: ignore[attr-defined]
        enrolment.last_debit_reason = shown.failure_reason()  # type: ignore[attr-defined]
    enrolled = AutopayEnrolment.objects.filter(property=property, status=AutopayStatus.ACTIVE).count()
    units = Unit.objects.filter(property=property).count()
    recent = list(
        AutopayDebit.objects.filter(property=property)
        .select_related("invoice", "invoice__unit", "nsf_invoice")
        .order_by("-debit_on", "-pk")[:RECENT_DEBITS]
    )
    return PropertyAutopay(page, enrolled, units, recent)
