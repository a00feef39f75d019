"""Manual payments: record one against an invoice, reverse one recorded by mistake, refund one.

Never deleted: a reversal or refund is a new record pointing at the payment (``reverses``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import EARLIEST_DATE, date_range_error, today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action, require
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import EntryKind
from logis.payments.models import (
    CREDIT_METHOD,
    MANUAL_METHODS,
    NOTE_MAX,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    Remittance,
)
from logis.payments.receipts import queue_payment_receipt_email
from logis.payments.settlement import SETTLED_FIELDS, settle
from logis.properties.models import Property

REFERENCE_MAX = 120


# Payments received shortly before a property was set up in Logis (its first weeks, an import) may still be
# recorded with their real date; nothing older than this before the property's creation.
BEFORE_CREATION_GRACE = dt.timedelta(days=366)


def earliest_payment_date(property: Property) -> dt.date:
    """No payment dated before the property existed (its creation in Logis, less ``BEFORE_CREATION_GRACE``,
    as a local date), nor before logis.core.dates.EARLIEST_DATE."""
    created = today_in(property.timezone, now=property.created_at)
    return max(created - BEFORE_CREATION_GRACE, EARLIEST_DATE)


def payment_date_error(property: Property, paid_on: dt.date | None) -> str | None:
    """Why a payment date is refused: missing, before the property existed, or after its local today."""
    if paid_on is None:
        return _("Enter the payment date.")
    today = today_in(property.timezone)
    if paid_on > today:
        return _("The payment date cannot be in the future.")
    return date_range_error(paid_on, earliest=earliest_payment_date(property), latest=today)


def _locked_invoice(property: Property, invoice_id: int) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id, property=property).first()
    if invoice is None:
        raise NotFound(_("This invoice does not exist."))
    return invoice


def record_payment(
    *,
    property: Property,
    invoice_id: int,
    actor: User,
    amount: Decimal,
    paid_on: dt.date,
    method: str,
    reference: str = "",
    note: str = "",
    request_token: uuid.UUID | None = None,
) -> Payment:
    """A manual payment lowers the balance due; at 0 the invoice is paid. More than the balance is refused.
    The same ``request_token`` twice records one payment (a form sent twice, a request retried)."""
    payment, _created = record_payment_once(
        property=property,
        invoice_id=invoice_id,
        actor=actor,
        amount=amount,
        paid_on=paid_on,
        method=method,
        reference=reference,
        note=note,
        request_token=request_token,
    )
    return payment


def _already_recorded(request_token: uuid.UUID | None, property: Property, invoice_id: int) -> Payment | None:
    if request_token is None:
        return None
    existing = Payment.objects.filter(request_token=request_token).first()
    if existing is not None and (existing.property_id != property.pk or existing.invoice_id != invoice_id):
        raise InvalidTransition(_("This payment form was already used for another invoice. Reload the page."))
    return existing


def record_payment_once(
    *,
    property: Property,
    invoice_id: int,
    actor: User,
    amount: Decimal,
    paid_on: dt.date,
    method: str,
    reference: str = "",
    note: str = "",
    request_token: uuid.UUID | None = None,
    remittance: Remittance | None = None,
    imputation: str = "",
) -> tuple[Payment, bool]:
    """``record_payment``, also saying whether this call recorded it (False: the ``request_token`` was
    already used, and the payment it recorded is returned unchanged, whatever was sent this time).

    ``remittance``: this payment is one share of it (decision 0032), applied by the rule ``imputation``;
    the remittance sends one receipt for all its shares, so none is queued here."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        invoice = _locked_invoice(property, invoice_id)
        # Looked up once the invoice is locked: a twin request holding the lock has committed by now.
        existing = _already_recorded(request_token, property, invoice_id)
        if existing is not None:
            return existing, False
        if invoice.status != InvoiceStatus.OPEN:
            raise InvalidTransition(_("Only a published invoice with a balance due can receive a payment."))
        errors: dict[str, str] = {}
        balance = invoice.amount - invoice.amount_paid
        if amount <= 0:
            errors["amount"] = _("The amount must be greater than 0 $.")
        elif amount > balance:
            errors["amount"] = _("The amount is more than the balance due (%(balance)s).") % {
                "balance": format_amount(balance)
            }
        if method not in MANUAL_METHODS:
            errors["method"] = _("Choose how the payment was made.")
        paid_on_error = payment_date_error(property, paid_on)
        if paid_on_error:
            errors["paid_on"] = paid_on_error
        if len(reference) > REFERENCE_MAX:
            errors["reference"] = _("At most 120 characters.")
        if len(note.strip()) > NOTE_MAX:
            errors["note"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
        if errors:
            raise ValidationError(errors)
        before = audit.snapshot(invoice, SETTLED_FIELDS)
        # Dr bank / Cr the unit's receivable (settle): one entry (decision 0029).
        with ledger.event(
            property_id=property.pk,
            date=paid_on,
            kind=EntryKind.PAYMENT,
            source=("payment", None),
            memo=reference.strip(),
        ) as ev:
            payment = Payment.objects.create(
                property=property,
                unit_id=invoice.unit_id,
                invoice=invoice,
                kind=PaymentKind.PAYMENT,
                status=PaymentStatus.SUCCEEDED,
                amount=amount,
                paid_on=paid_on,
                method=method,
                reference=reference.strip(),
                note=note.strip(),
                recorded_by=actor,
                request_token=request_token,
                remittance=remittance,
                imputation=imputation,
            )
            ev.source_id = payment.pk
            ledger.money(ev, method=method, amount=amount)
            settle(invoice, amount)
        audit.record(
            actor,
            Verb.PAYMENT_RECORDED,
            payment,
            after=audit.snapshot(payment, ["invoice", "amount", "paid_on", "method", "reference"]),
        )
        audit.record(
            actor,
            Verb.INVOICE_PAYMENT_APPLIED,
            invoice,
            before=before,
            after=audit.snapshot(invoice, SETTLED_FIELDS),
        )
        # In this transaction: the receipt is queued if and only if the payment is recorded.
        if remittance is None:
            queue_payment_receipt_email(payment=payment)
        return payment, True


def _returned_amount(payment: Payment) -> Decimal:
    """What reversals and refunds have already given back on ``payment``."""
    total = Decimal("0.00")
    for returned in payment.reversals.filter(status=PaymentStatus.SUCCEEDED):
        total += returned.amount
    return total


def _locked_payment_and_invoice(property: Property, payment_id: int) -> tuple[Payment, Invoice]:
    """Lock the invoice first, then the payment: the same order as record_payment, so no deadlock."""
    original = Payment.objects.filter(pk=payment_id, property=property).first()
    if original is None:
        raise NotFound(_("This payment does not exist."))
    invoice = _locked_invoice(property, original.invoice_id)
    original = Payment.objects.select_for_update().get(pk=original.pk)
    return original, invoice


def _check_reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": message})
    if len(reason) > 500:
        raise ValidationError({"reason": _("At most 500 characters.")})
    return reason


def reverse_payment(
    *, property: Property, payment_id: int, actor: User, reason: str, whole_remittance: bool = False
) -> Payment:
    """A payment recorded by mistake is cancelled by a reversal record, which reopens the invoice.

    Reversing an application of the unit's credit gives that credit back to the unit. A share of a
    remittance is reversed only with all the others (``remittances.reverse_remittance`` says so with
    ``whole_remittance``): the imputation of the rest would no longer be the one its receipt states.
    """
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        original, invoice = _locked_payment_and_invoice(property, payment_id)
        if original.remittance_id is not None and not whole_remittance:
            raise InvalidTransition(
                _("This payment is part of a payment for several invoices: reverse that payment as a whole.")
            )
        if original.kind != PaymentKind.PAYMENT or original.status != PaymentStatus.SUCCEEDED:
            raise InvalidTransition(_("Only a received payment can be reversed."))
        if original.method not in (*MANUAL_METHODS, CREDIT_METHOD):
            raise InvalidTransition(_("An online payment is refunded, not reversed."))
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidTransition(
                _("This invoice is void: its payments are in the unit's credit and are refunded from there.")
            )
        if original.reversals.filter(kind=PaymentKind.REVERSAL).exists():
            raise InvalidTransition(_("This payment has already been reversed."))
        if original.reversals.exists():
            raise InvalidTransition(
                _("This payment has been refunded in part: it can no longer be reversed.")
            )
        reason = _check_reason(reason, _("Give the reason for the reversal."))
        before = audit.snapshot(invoice, SETTLED_FIELDS)
        # The payment's entry reversed: Dr receivable (settle) / Cr bank, or Cr unit credit when it was
        # credit applied (add_credit). Decision 0029.
        with ledger.event(
            property_id=property.pk,
            date=today_in(property.timezone),
            kind=EntryKind.PAYMENT_REVERSED,
            source=("payment", None),
            memo=reason,
            reverses=ledger.entry_of("payment", original.pk),
        ) as ev:
            reversal = Payment.objects.create(
                property=property,
                unit_id=original.unit_id,
                invoice=invoice,
                kind=PaymentKind.REVERSAL,
                status=PaymentStatus.SUCCEEDED,
                amount=original.amount,
                paid_on=today_in(property.timezone),
                method=original.method,
                reference=original.reference,
                note=reason,
                reverses=original,
                recorded_by=actor,
            )
            ev.source_id = reversal.pk
            if original.method != CREDIT_METHOD:
                ledger.money(ev, method=original.method, amount=-original.amount)
            settle(invoice, -original.amount)
            if original.method == CREDIT_METHOD:
                from logis.payments.credits import add_credit

                add_credit(
                    unit=invoice.unit,
                    amount=original.amount,
                    reason=reason,
                    source_payment=reversal,
                    actor=actor,
                    kind=CreditKind.RETURNED,
                )
        audit.record(
            actor, Verb.PAYMENT_REVERSED, original, after={"reversal": reversal.pk, "reason": reason}
        )
        audit.record(
            actor,
            Verb.INVOICE_PAYMENT_REVERSED,
            invoice,
            before=before,
            after=audit.snapshot(invoice, SETTLED_FIELDS),
        )
        return reversal


def refund_payment(
    *,
    property: Property,
    payment_id: int,
    actor: User,
    amount: Decimal,
    reason: str,
    method: str,
) -> Payment:
    """Money given back on a manual payment (all or part): a refund record lowers what the invoice
    has received and reopens it if it was paid. Online payments are refunded through Stripe."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        original, invoice = _locked_payment_and_invoice(property, payment_id)
        if original.kind != PaymentKind.PAYMENT or original.status != PaymentStatus.SUCCEEDED:
            raise InvalidTransition(_("Only a received payment can be refunded."))
        if original.method == CREDIT_METHOD:
            raise InvalidTransition(_("Credit applied from the unit's account is reversed, not refunded."))
        if original.method not in MANUAL_METHODS:
            raise InvalidTransition(_("An online payment is refunded through the payment provider."))
        if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
            raise InvalidTransition(
                _("This invoice is void: its payments are in the unit's credit and are refunded from there.")
            )
        if original.reversals.filter(kind=PaymentKind.REVERSAL).exists():
            raise InvalidTransition(_("This payment has already been reversed."))
        refundable = original.amount - _returned_amount(original)
        errors: dict[str, str] = {}
        if amount <= 0:
            errors["amount"] = _("The amount must be greater than 0 $.")
        elif amount > refundable:
            errors["amount"] = _(
                "The amount is more than what is left to refund on this payment (%(left)s)."
            ) % {"left": format_amount(refundable)}
        if method not in MANUAL_METHODS:
            errors["method"] = _("Choose how the money was given back.")
        reason = reason.strip()
        if not reason:
            errors["reason"] = _("Give the reason for the refund.")
        elif len(reason) > 500:
            errors["reason"] = _("At most 500 characters.")
        if errors:
            raise ValidationError(errors)
        before = audit.snapshot(invoice, SETTLED_FIELDS)
        # Dr receivable (settle) / Cr bank (decision 0029).
        with ledger.event(
            property_id=property.pk,
            date=today_in(property.timezone),
            kind=EntryKind.PAYMENT_REFUNDED,
            source=("payment", None),
            memo=reason,
        ) as ev:
            refund = Payment.objects.create(
                property=property,
                unit_id=original.unit_id,
                invoice=invoice,
                kind=PaymentKind.REFUND,
                status=PaymentStatus.SUCCEEDED,
                amount=amount,
                paid_on=today_in(property.timezone),
                method=method,
                reference=original.reference,
                note=reason,
                reverses=original,
                recorded_by=actor,
            )
            ev.source_id = refund.pk
            ledger.money(ev, method=method, amount=-amount)
            settle(invoice, -amount)
        audit.record(
            actor,
            Verb.PAYMENT_REFUNDED,
            original,
            after={"refund": refund.pk, "amount": amount, "method": method, "reason": reason},
        )
        audit.record(
            actor,
            Verb.INVOICE_PAYMENT_REFUNDED,
            invoice,
            before=before,
            after=audit.snapshot(invoice, SETTLED_FIELDS),
        )
        return refund


def refundable_amount(payment: Payment) -> Decimal:
    """What may still be refunded (or, untouched, reversed) on a payment."""
    return payment.amount - _returned_amount(payment)
