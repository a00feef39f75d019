"""A unit's account statement (« Relevé de compte »): one chronological ledger of what the unit owes.

Positive balance: the unit owes; negative: the unit has credit. The lines, by the rule that writes them:

| event (service that writes it)                          | column | amount   | dated             |
|---------------------------------------------------------|--------|----------|-------------------|
| invoice published (publish_invoice(s); late fees too)   | Debit  | + amount | published_at      |
| published invoice voided (void_invoice)                 | Credit | - amount | voided_at         |
| payment of money succeeded (manual, card, debit)        | Credit | - amount | paid_on           |
| reversal or refund of a payment of money                | Debit  | + amount | paid_on           |
| unit credit refunded to the resident (refund_credit)    | Debit  | + amount | created_at        |
| unit credit added with no payment behind it             | Credit | - amount | created_at        |
| unit credit applied to an invoice (apply_credit)        | note   | none     | paid_on           |
| credit application reversed (reverse_payment)           | note   | none     | paid_on           |
| online payment pending (pre-authorized debit clearing)  | note   | none     | paid_on           |

(instants are read as dates in the property's time zone.)

Never a line: drafts (and drafts voided unpublished), failed online payments, the credit a void creates
(the void line already takes the whole amount off: what the invoice had not received, and what it had,
which stays as credit), the credit an online payment's excess creates and the credit an online refund
takes back (the payment and the refund lines carry that money).

So, for the whole history (the state-machine test checks it after any sequence of operations):
    closing balance == sum of the balance due of the unit's open (and overdue) invoices - its credit.

Dates are the property's local dates; a period ``start``..``end`` includes both days. The opening
balance is computed with SQL aggregates, the lines with three queries, whatever their number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core.money import format_amount
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import (
    CREDIT_METHOD,
    METHOD_CHOICES,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    UnitCredit,
)
from logis.properties.models import Occupancy, Resident, Unit
from logis.properties.selectors import primary_resident

ZERO = Decimal("0.00")
AMOUNT = DecimalField(max_digits=14, decimal_places=2)
RETURNED_KINDS = (PaymentKind.REVERSAL, PaymentKind.REFUND)


class LineKind(StrEnum):
    INVOICE = "invoice"
    VOID = "void"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    REFUND = "refund"
    CREDIT_REFUNDED = "credit_refunded"
    CREDIT_RECEIVED = "credit_received"
    CREDIT_APPLIED = "credit_applied"
    CREDIT_RETURNED = "credit_returned"
    PENDING = "pending"


# Same date and same instant (never seen, but possible): charges before what pays them.
_RANK = {kind: n for n, kind in enumerate(LineKind)}


@dataclass
class StatementLine:
    """One event of the statement. ``debit`` raises what the unit owes, ``credit`` lowers it; a note
    (credit applied, application reversed, payment pending) has neither and leaves the balance alone."""

    date: dt.date
    kind: LineKind
    amount: Decimal
    at: dt.datetime
    pk: int
    invoice_id: int | None = None
    invoice_number: int | None = None
    invoice_title: str = ""
    method: str = ""
    reference: str = ""
    # A voided invoice: what it had received, which stays on the account as credit.
    received: Decimal = ZERO
    debit: Decimal | None = None
    credit: Decimal | None = None
    balance: Decimal | None = None  # after this line; None for a note

    @property
    def is_note(self) -> bool:
        return self.debit is None and self.credit is None

    @property
    def sort_key(self) -> tuple[dt.date, dt.datetime, int, int]:
        return (self.date, self.at, _RANK[self.kind], self.pk)

    @property
    def invoice_label(self) -> str:
        if self.invoice_number is None:
            return self.invoice_title
        return _("Invoice no. %(number)s") % {"number": self.invoice_number} + f" — {self.invoice_title}"

    @property
    def method_label(self) -> str:
        label = str(_METHODS.get(self.method, self.method))
        if self.reference:
            return _("%(method)s, ref. %(reference)s") % {"method": label, "reference": self.reference}
        return label

    @property
    def description(self) -> str:
        """What happened, in the active language (the invoice, the method and reference…)."""
        kind = self.kind
        if kind == LineKind.INVOICE:
            return self.invoice_label
        if kind == LineKind.VOID:
            text = _("Voided: %(invoice)s") % {"invoice": self.invoice_label}
            if self.received > 0:
                text += " — " + _("the %(amount)s it had received stays as credit on the account") % {
                    "amount": format_amount(self.received)
                }
            return text
        on_invoice = {"method": self.method_label, "invoice": self.invoice_label}
        if kind == LineKind.PAYMENT:
            return _("Payment (%(method)s) — %(invoice)s") % on_invoice
        if kind == LineKind.REVERSAL:
            return _("Payment reversed (%(method)s) — %(invoice)s") % on_invoice
        if kind == LineKind.REFUND:
            return _("Refund (%(method)s) — %(invoice)s") % on_invoice
        if kind == LineKind.CREDIT_REFUNDED:
            if self.method:
                return _("Account credit refunded (%(method)s)") % {"method": self.method_label}
            return _("Account credit refunded")
        if kind == LineKind.CREDIT_RECEIVED:
            return _("Amount received as account credit")
        amount = format_amount(self.amount)
        if kind == LineKind.CREDIT_APPLIED:
            return _("%(amount)s of account credit applied to %(invoice)s") % {
                "amount": amount,
                "invoice": self.invoice_label,
            }
        if kind == LineKind.CREDIT_RETURNED:
            return _("Credit application reversed: %(amount)s back to the account credit — %(invoice)s") % {
                "amount": amount,
                "invoice": self.invoice_label,
            }
        return _(
            "Online payment of %(amount)s being processed (%(method)s) — %(invoice)s: not received yet"
        ) % {"amount": amount, **on_invoice}


_METHODS: dict[str, Any] = dict(METHOD_CHOICES)


@dataclass
class Statement:
    unit: Unit  # its ``property`` loaded
    primary_resident: Resident | None
    start: dt.date
    end: dt.date
    opening_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.total_debit - self.total_credit

    @property
    def closing_credit(self) -> Decimal:
        """A negative closing balance said as what it is: credit on the unit's account."""
        return max(-self.closing_balance, ZERO)

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines if line.debit is not None), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines if line.credit is not None), ZERO)

    @property
    def has_activity(self) -> bool:
        return bool(self.lines)


# --- Periods ----------------------------------------------------------------------------------------


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months up to ``today``: from the day after the same date a year ago, to today."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February: a year ago there was none
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + dt.timedelta(days=1), today


def start_of_day(day: dt.date, zone: str) -> dt.datetime:
    """The instant ``day`` begins in the property's time zone (its local midnight, DST-aware)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(zone))


# --- The statement ----------------------------------------------------------------------------------


def _sum(expression: Any, condition: Q) -> Coalesce:
    return Coalesce(Sum(expression, filter=condition), Value(ZERO), output_field=AMOUNT)


def _published(unit: Unit) -> QuerySet[Invoice]:
    """The unit's invoices ever published (numbered at publish; drafts and drafts voided unpublished have
    no number), with the instants they were published and voided (``publish_time``, ``void_time``).

    (Aliases named apart from any aggregate: an aggregate of the same name would shadow them.)"""
    return (
        Invoice.objects.filter(unit=unit, number__isnull=False)
        # Written by the services at publish and void; the fallbacks only serve rows made by hand.
        .alias(
            publish_time=Coalesce("published_at", "created_at"), void_time=Coalesce("voided_at", "updated_at")
        )
    )


def _money_payments(unit: Unit) -> QuerySet[Payment]:
    """Succeeded payments, reversals and refunds of money (credit applied is not money received)."""
    return Payment.objects.filter(unit=unit, status=PaymentStatus.SUCCEEDED).exclude(method=CREDIT_METHOD)


def _credit_without_payment(unit: Unit) -> QuerySet[UnitCredit]:
    """Credit ledger entries that move money no payment record carries: a refund of the credit to the
    resident, or credit added by hand. A void's credit is inside the void line; an online payment's
    excess and an online refund's share are in their payment lines; applications net to zero."""
    return UnitCredit.objects.filter(unit=unit, payment__isnull=True).exclude(kind=CreditKind.VOIDED_INVOICE)


def opening_balance(*, unit: Unit, start: dt.date) -> Decimal:
    """What the unit owed at the start of ``start`` (its local midnight): three SQL aggregates."""
    before = start_of_day(start, unit.property.timezone)
    invoices = _published(unit).aggregate(
        charged=_sum("amount", Q(publish_time__lt=before)),
        voided=_sum("amount", Q(status=InvoiceStatus.VOID, void_time__lt=before)),
    )
    payments = _money_payments(unit).aggregate(
        received=_sum("amount", Q(kind=PaymentKind.PAYMENT, paid_on__lt=start)),
        returned=_sum("amount", Q(kind__in=RETURNED_KINDS, paid_on__lt=start)),
    )
    # The ledger's sign is the credit's: + adds credit (lowers what is owed), - gives it back.
    credit = _credit_without_payment(unit).aggregate(total=_sum("amount", Q(created_at__lt=before)))
    charged = invoices["charged"] - invoices["voided"]
    paid = payments["received"] - payments["returned"]
    total = charged - paid - credit["total"]
    return Decimal(total).quantize(Decimal("0.01"))


def _local(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()


def statement_lines(*, unit: Unit, start: dt.date, end: dt.date) -> list[StatementLine]:
    """The events of ``start``..``end`` (local dates, both included), in order: three queries."""
    tz = unit.property.timezone
    zone = ZoneInfo(tz)
    begin, stop = start_of_day(start, tz), start_of_day(end + dt.timedelta(days=1), tz)
    lines: list[StatementLine] = []

    invoices = (
        _published(unit)
        .filter(
            Q(publish_time__gte=begin, publish_time__lt=stop)
            | Q(status=InvoiceStatus.VOID, void_time__gte=begin, void_time__lt=stop)
        )
        .annotate(published_instant=F("publish_time"), voided_instant=F("void_time"))
        .only("pk", "number", "title", "amount", "amount_paid", "status")
    )
    for invoice in invoices:
        published: dt.datetime = invoice.published_instant  # type: ignore[attr-defined]
        voided: dt.datetime = invoice.voided_instant  # type: ignore[attr-defined]
        events = []
        if begin <= published < stop:
            events.append((LineKind.INVOICE, published))
        if invoice.status == InvoiceStatus.VOID and begin <= voided < stop:
            events.append((LineKind.VOID, voided))
        for kind, instant in events:
            line = StatementLine(
                date=_local(instant, zone),
                kind=kind,
                amount=invoice.amount,
                at=instant,
                pk=invoice.pk,
                invoice_id=invoice.pk,
                invoice_number=invoice.number,
                invoice_title=invoice.title,
            )
            if kind == LineKind.INVOICE:
                line.debit = invoice.amount
            else:
                line.credit = invoice.amount
                line.received = invoice.amount_paid
            lines.append(line)

    payments = (
        Payment.objects.filter(unit=unit, paid_on__gte=start, paid_on__lte=end)
        .filter(Q(status=PaymentStatus.SUCCEEDED) | Q(status=PaymentStatus.PENDING, kind=PaymentKind.PAYMENT))
        .select_related("invoice")
    )
    for payment in payments:
        line = StatementLine(
            date=payment.paid_on,
            kind=LineKind.PAYMENT,
            amount=payment.amount,
            at=payment.created_at,
            pk=payment.pk,
            invoice_id=payment.invoice_id,
            invoice_number=payment.invoice.number,
            invoice_title=payment.invoice.title,
            method=payment.method,
            # What a person wrote (cheque number, Interac reference); not Stripe's ids, which mean
            # nothing to the reader of a statement (the invoice's page shows them).
            reference="" if payment.provider_payment_id else payment.reference,
        )
        if payment.method == CREDIT_METHOD:
            applied = payment.kind == PaymentKind.PAYMENT
            line.kind = LineKind.CREDIT_APPLIED if applied else LineKind.CREDIT_RETURNED
        elif payment.status == PaymentStatus.PENDING:
            line.kind = LineKind.PENDING
        elif payment.kind == PaymentKind.PAYMENT:
            line.credit = payment.amount
        else:
            line.kind = LineKind.REVERSAL if payment.kind == PaymentKind.REVERSAL else LineKind.REFUND
            line.debit = payment.amount
        lines.append(line)

    entries = (
        _credit_without_payment(unit)
        .filter(created_at__gte=begin, created_at__lt=stop)
        .only("pk", "kind", "amount", "method", "created_at")
    )
    for entry in entries:
        line = StatementLine(
            date=_local(entry.created_at, zone),
            kind=LineKind.CREDIT_RECEIVED,
            amount=abs(entry.amount),
            at=entry.created_at,
            pk=entry.pk,
            method=entry.method,
        )
        if entry.amount < 0:  # credit given back to the resident: the unit's account owes it again
            line.kind = LineKind.CREDIT_REFUNDED
            line.debit = -entry.amount
        else:
            line.credit = entry.amount
        lines.append(line)

    lines.sort(key=lambda line: line.sort_key)
    return lines


def resident_unit(*, user: User, unit_id: int) -> Unit | None:
    """One of the units ``user`` is a resident of (with its property), or None: another unit does not
    exist for them."""
    occupancies = Occupancy.objects.filter(resident__user=user, unit_id=unit_id)
    occupancy = occupancies.select_related("unit__property").first()
    return occupancy.unit if occupancy else None


def unit_statement(*, unit: Unit, start: dt.date, end: dt.date) -> Statement:
    """The statement of ``unit`` (its ``property`` loaded) from ``start`` to ``end``, both included:
    the opening balance, the lines with their running balance, the closing balance. Seven queries,
    however many lines."""
    statement = Statement(
        unit=unit,
        primary_resident=primary_resident(unit),
        start=start,
        end=end,
        opening_balance=opening_balance(unit=unit, start=start),
        lines=statement_lines(unit=unit, start=start, end=end),
    )
    balance = statement.opening_balance
    for line in statement.lines:
        if line.is_note:
            continue
        balance += (line.debit or ZERO) - (line.credit or ZERO)
        line.balance = balance
    return statement


@dataclass(frozen=True)
class AccountPosition:
    """Where the account stands now: what the open invoices still ask for, and the unit's credit.
    The statement's closing balance up to today is ``owed - credit``."""

    owed: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.owed - self.credit


def account_position(*, unit: Unit) -> AccountPosition:
    """Two aggregates: the balance due of the open (and overdue) invoices, and the credit ledger."""
    owed = Invoice.objects.filter(unit=unit, status=InvoiceStatus.OPEN).aggregate(
        total=Coalesce(Round(Sum(F("amount") - F("amount_paid")), 2), Value(ZERO), output_field=AMOUNT)
    )["total"]
    credit = UnitCredit.objects.filter(unit=unit).aggregate(total=_sum("amount", Q()))["total"]
    cent = Decimal("0.01")
    return AccountPosition(owed=Decimal(owed).quantize(cent), credit=Decimal(credit).quantize(cent))
