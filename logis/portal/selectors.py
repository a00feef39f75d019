"""Reads of the resident portal: a signed-in person's units and their published invoices.

Everything is scoped through ``Resident.user`` → ``Occupancy`` → ``Unit``: an invoice of a unit the
person is not linked to, or a draft, does not exist for them (404).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment, PaymentKind, PaymentStatus, UnitCredit
from logis.properties.models import Occupancy, Property, Unit

# Open and overdue first (what is to pay), then paid, then void.
_GROUP = {InvoiceStatus.OVERDUE: 0, InvoiceStatus.OPEN: 0, InvoiceStatus.PAID: 1, InvoiceStatus.VOID: 2}
TO_PAY = (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE)


def units_of(user: User) -> list[Unit]:
    """The units the user is a resident of, in every property, each once (one query)."""
    occupancies = (
        Occupancy.objects.filter(resident__user=user)
        .select_related("unit", "unit__property")
        .order_by("unit__property__name", "unit__property_id", "unit__sort_key", "unit_id")
    )
    units: dict[int, Unit] = {}
    for occupancy in occupancies:
        units.setdefault(occupancy.unit_id, occupancy.unit)
    return list(units.values())


def _unit_ids_of(user: User) -> QuerySet[Occupancy, int]:
    return Occupancy.objects.filter(resident__user=user).values_list("unit_id", flat=True)


def visible_invoices(user: User) -> QuerySet[Invoice]:
    """Every invoice the user may see: published (never a draft) and of one of their units."""
    return Invoice.objects.filter(unit_id__in=_unit_ids_of(user)).visible_to_residents()


@dataclass
class PortalOverview:
    units: list[Unit]
    invoices: list[Invoice]
    balance_due: Decimal = Decimal("0.00")
    overdue_total: Decimal = Decimal("0.00")
    overdue_count: int = 0
    credit: Decimal = Decimal("0.00")
    to_pay: list[Invoice] = field(default_factory=list)
    history: list[Invoice] = field(default_factory=list)
    # What each unit owes (unit id → balance due), for « Payer le solde » beside it.
    unit_balances: dict[int, Decimal] = field(default_factory=dict)

    def units_with_balance(self) -> list[tuple[Unit, Decimal]]:
        return [(u, self.unit_balances[u.pk]) for u in self.units if self.unit_balances.get(u.pk, 0) > 0]

    @property
    def properties(self) -> list[Property]:
        seen: dict[int, Property] = {}
        for unit in self.units:
            seen.setdefault(unit.property_id, unit.property)
        return list(seen.values())


def _sort_key(invoice: Invoice) -> tuple[int, int, int, int]:
    group = _GROUP.get(invoice.display_status, 3)  # type: ignore[attr-defined]
    ordinal = invoice.due_date.toordinal()
    # What is to pay: the oldest due date first; paid and void: the most recent first.
    return (group, ordinal if group == 0 else -ordinal, invoice.property_id, -(invoice.number or 0))


def credit_of(unit_ids: list[int]) -> Decimal:
    """The credit available on these units: the sum of their ``UnitCredit`` ledgers (one query)."""
    if not unit_ids:
        return Decimal("0.00")
    total = UnitCredit.objects.filter(unit_id__in=unit_ids).aggregate(
        total=Coalesce(
            Sum("amount"), Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2)
        )
    )["total"]
    return Decimal(total).quantize(Decimal("0.01"))


def portal_overview(*, user: User) -> PortalOverview:
    """The user's units, their invoices in portal order, the balance due, the overdue total and the
    units' credit.

    One query for the units, one per time zone of their properties (the overdue status depends on
    each property's local date) and one for the credit: a constant number, however many invoices
    there are.
    """
    units = units_of(user)
    by_zone: dict[str, list[int]] = defaultdict(list)
    for unit in units:
        by_zone[unit.property.timezone].append(unit.pk)
    invoices: list[Invoice] = []
    for zone, unit_ids in by_zone.items():
        invoices.extend(
            Invoice.objects.filter(unit_id__in=unit_ids)
            .visible_to_residents()
            .with_status(today_in(zone))
            .select_related("unit", "property")
        )
    invoices.sort(key=_sort_key)
    overview = PortalOverview(units=units, invoices=invoices, credit=credit_of([u.pk for u in units]))
    for invoice in invoices:
        status = invoice.display_status  # type: ignore[attr-defined]
        if status in TO_PAY:
            overview.to_pay.append(invoice)
            overview.balance_due += invoice.balance_due  # type: ignore[attr-defined]
            overview.unit_balances[invoice.unit_id] = (
                overview.unit_balances.get(invoice.unit_id, Decimal("0.00")) + invoice.balance_due  # type: ignore[attr-defined]
            )
            if status == InvoiceStatus.OVERDUE:
                overview.overdue_count += 1
                overview.overdue_total += invoice.balance_due  # type: ignore[attr-defined]
        else:
            overview.history.append(invoice)
    return overview


@dataclass
class PortalInvoice:
    invoice: Invoice
    payments: list[Payment]
    today: dt.date

    @property
    def status(self) -> str:
        return str(self.invoice.display_status)  # type: ignore[attr-defined]

    @property
    def balance_due(self) -> Decimal:
        return Decimal(self.invoice.balance_due)  # type: ignore[attr-defined]

    @property
    def payable(self) -> bool:
        return self.status in TO_PAY and self.balance_due > 0

    @property
    def pending_payment(self) -> Payment | None:
        """An online payment started and not confirmed yet (e.g. a pre-authorized debit clearing)."""
        return next(
            (p for p in self.payments if p.kind == PaymentKind.PAYMENT and p.status == PaymentStatus.PENDING),
            None,
        )


def portal_invoice(*, user: User, invoice_id: int) -> PortalInvoice | None:
    """One of the user's invoices with its status, balance and payments; None if it is not theirs."""
    zone = visible_invoices(user).filter(pk=invoice_id).values_list("property__timezone", flat=True).first()
    if zone is None:
        return None
    today = today_in(zone)
    invoice = Invoice.objects.with_status(today).select_related("unit", "property").get(pk=invoice_id)
    payments = list(
        Payment.objects.filter(invoice=invoice)
        .select_related("reverses")
        .order_by("paid_on", "created_at", "id")
    )
    return PortalInvoice(invoice=invoice, payments=payments, today=today)


def linked_invoice(*, invoice_id: int) -> PortalInvoice | None:
    """The invoice a valid « Voir et payer » link opens (the caller has checked the link): its status,
    balance and payments, exactly as its residents see it; None for a draft."""
    zone = (
        Invoice.objects.visible_to_residents()
        .filter(pk=invoice_id)
        .values_list("property__timezone", flat=True)
        .first()
    )
    if zone is None:
        return None
    today = today_in(zone)
    invoice = Invoice.objects.with_status(today).select_related("unit", "property").get(pk=invoice_id)
    payments = list(
        Payment.objects.filter(invoice=invoice, kind=PaymentKind.PAYMENT).order_by(
            "paid_on", "created_at", "id"
        )
    )
    return PortalInvoice(invoice=invoice, payments=payments, today=today)
