"""What an invoice PDF and a receipt PDF say, read in a fixed number of queries.

The callers pass the invoices or payments the reader may see (a manager: the property's; a resident:
``logis.portal.selectors.visible_invoices``), so scoping stays where it is decided; an id outside that
scope gives None (404). The documents hold values, not text: ``logis.documents.pdf_*`` write them in
the reader's language.
"""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from logis.core.dates import today_in
from logis.finances.models import TaxRegistration
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.payments.models import Payment, PaymentKind, PaymentStatus, Remittance
from logis.properties.models import Property, Unit
from logis.properties.selectors import primary_resident

ZERO = Decimal("0.00")


def _primary_resident_name(unit: Unit) -> str:
    """The name of the unit's primary resident today, or "" (one query)."""
    resident = primary_resident(unit)
    return resident.name if resident else ""


@dataclass(frozen=True)
class LateFeeOrigin:
    """The invoice a late-fee invoice was billed for."""

    number: int | None
    title: str


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice  # with ``display_status`` and ``balance_due`` (``with_status``)
    property: Property
    unit_number: str
    resident_name: str  # the unit's primary resident, "" when it has none
    issued_on: dt.date | None  # the publish date in the property's zone; None for a draft
    late_fee_of: LateFeeOrigin | None
    # The lines (with category and fund) and the syndicate's GST/QST numbers, printed when a line is taxed.
    lines: list[InvoiceLine] = field(default_factory=list)
    gst_number: str = ""
    qst_number: str = ""

    @builtins.property
    def status(self) -> str:
        return str(self.invoice.display_status)  # type: ignore[attr-defined]

    @builtins.property
    def balance_due(self) -> Decimal:
        return Decimal(self.invoice.balance_due)  # type: ignore[attr-defined]

    @builtins.property
    def is_draft(self) -> bool:
        return self.invoice.status == InvoiceStatus.DRAFT

    @builtins.property
    def is_void(self) -> bool:
        return self.invoice.status == InvoiceStatus.VOID


def local_date(instant: dt.datetime | None, tz_name: str) -> dt.date | None:
    return instant.astimezone(ZoneInfo(tz_name)).date() if instant is not None else None


def invoice_document(*, invoices: QuerySet[Invoice], invoice_id: int) -> InvoiceDocument | None:
    """The invoice ``invoice_id`` if ``invoices`` holds it, with what its PDF shows; six queries."""
    zone = invoices.filter(pk=invoice_id).values_list("property__timezone", flat=True).first()
    if zone is None:
        return None
    invoice = (
        Invoice.objects.with_status(today_in(zone))  # type: ignore[attr-defined]
        .select_related("unit", "property")
        .get(pk=invoice_id)
    )
    from logis.collections.models import LateFee

    fee = LateFee.objects.filter(fee_invoice=invoice).select_related("original").first()
    registration = TaxRegistration.objects.filter(property_id=invoice.property_id).first()
    return InvoiceDocument(
        invoice=invoice,
        property=invoice.property,
        unit_number=invoice.unit.number,
        resident_name=_primary_resident_name(invoice.unit),
        issued_on=local_date(invoice.published_at, zone),
        late_fee_of=LateFeeOrigin(number=fee.original.number, title=fee.original.title) if fee else None,
        lines=list(invoice.lines.select_related("category__fund").order_by("position")),
        gst_number=registration.gst_number if registration else "",
        qst_number=registration.qst_number if registration else "",
    )


def receipt_number(payment: Payment) -> str:
    """A receipt's number: the property's id and the payment's, ``3-000042``.

    Derived, not stored: the payment's id never changes and is unique, so the same payment always
    prints the same number; the property's id in front tells two buildings' receipts apart.
    """
    return f"{payment.property_id}-{payment.pk:06d}"


@dataclass(frozen=True)
class Returned:
    """A reversal or refund of the receipt's payment."""

    kind: str  # PaymentKind.REVERSAL or PaymentKind.REFUND
    amount: Decimal
    on: dt.date


@dataclass(frozen=True)
class ReceiptDocument:
    payment: Payment  # with ``invoice``, ``unit`` and ``property``
    number: str
    resident_name: str
    balance_after: Decimal  # the invoice's balance right after this payment was recorded
    returned: list[Returned] = field(default_factory=list)

    @builtins.property
    def invoice(self) -> Invoice:
        return self.payment.invoice

    @builtins.property
    def property(self) -> Property:
        return self.payment.property

    @builtins.property
    def reversed(self) -> bool:
        return any(r.kind == PaymentKind.REVERSAL for r in self.returned)

    @builtins.property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.returned if r.kind == PaymentKind.REFUND), ZERO)


def receipt_document(*, payments: QuerySet[Payment], payment_id: int) -> ReceiptDocument | None:
    """The receipt of payment ``payment_id`` if ``payments`` holds it and it is money received that
    succeeded (a pending or failed online payment, a reversal or a refund has none); three queries.

    The balance after the payment is the invoice's amount less what the payments recorded up to this
    one (in the order they were recorded, reversals and refunds subtracted) had paid: the receipt says
    the same thing today as the day it was issued, whatever happened to the invoice since.
    """
    payment = (
        payments.filter(pk=payment_id, kind=PaymentKind.PAYMENT, status=PaymentStatus.SUCCEEDED)
        .select_related("invoice", "unit", "property")
        .first()
    )
    if payment is None:
        return None
    rows = Payment.objects.filter(invoice_id=payment.invoice_id, status=PaymentStatus.SUCCEEDED).values_list(
        "pk", "kind", "amount", "paid_on", "reverses_id"
    )
    paid_until = ZERO
    returned: list[Returned] = []
    for pk, kind, amount, paid_on, reverses_id in rows.order_by("pk"):
        if pk <= payment.pk:
            paid_until += amount if kind == PaymentKind.PAYMENT else -amount
        if reverses_id == payment.pk:
            returned.append(Returned(kind=kind, amount=amount, on=paid_on))
    return ReceiptDocument(
        payment=payment,
        number=receipt_number(payment),
        resident_name=_primary_resident_name(payment.unit),
        balance_after=max(payment.invoice.amount - paid_until, ZERO),
        returned=returned,
    )


@dataclass(frozen=True)
class RemittanceShare:
    """One invoice a remittance paid: how much, by which rule, and its balance right after."""

    invoice: Invoice
    amount: Decimal
    rule: str  # logis.payments.imputation.Rule
    balance_after: Decimal


@dataclass(frozen=True)
class RemittanceDocument:
    """The one receipt of money received for several invoices (decision 0032)."""

    remittance: Remittance  # with ``unit`` and ``property``
    number: str
    resident_name: str
    shares: list[RemittanceShare]

    @builtins.property
    def property(self) -> Property:
        return self.remittance.property

    @builtins.property
    def designated(self) -> bool:
        return any(s.rule == "designated" for s in self.shares)

    @builtins.property
    def by_default(self) -> bool:
        return any(s.rule != "designated" for s in self.shares)

    @builtins.property
    def reversed(self) -> bool:
        return self.remittance.reversed_at is not None


def remittance_number(remittance: Remittance) -> str:
    """A remittance receipt's number: the property's id, R and the remittance's, ``3-R000042``."""
    return f"{remittance.property_id}-R{remittance.pk:06d}"


def remittance_document(
    *, remittances: QuerySet[Remittance], remittance_id: int
) -> RemittanceDocument | None:
    """The receipt of remittance ``remittance_id`` if ``remittances`` holds it; four queries.

    Each invoice's balance after is its amount less what its payments recorded up to this remittance's
    share had paid (reversals and refunds subtracted), so the receipt reads the same on any later day.
    """
    remittance = remittances.filter(pk=remittance_id).select_related("unit", "property").first()
    if remittance is None:
        return None
    paid = list(remittance.payments.filter(kind=PaymentKind.PAYMENT).select_related("invoice").order_by("pk"))
    rows = Payment.objects.filter(
        invoice_id__in=[p.invoice_id for p in paid], status=PaymentStatus.SUCCEEDED
    ).values_list("pk", "invoice_id", "kind", "amount")
    shares = []
    for share in paid:
        until = ZERO
        for pk, invoice_id, kind, amount in rows:
            if invoice_id == share.invoice_id and pk <= share.pk:
                until += amount if kind == PaymentKind.PAYMENT else -amount
        shares.append(
            RemittanceShare(
                invoice=share.invoice,
                amount=share.amount,
                rule=share.imputation,
                balance_after=max(share.invoice.amount - until, ZERO),
            )
        )
    return RemittanceDocument(
        remittance=remittance,
        number=remittance_number(remittance),
        resident_name=_primary_resident_name(remittance.unit),
        shares=shares,
    )
