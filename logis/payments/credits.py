"""A unit's credit: money received for the unit that no invoice holds (payments of a voided invoice,
an overpayment). A ledger of ``UnitCredit`` entries, never deleted; the credit is their sum.

Every change locks the unit row first, so two applications of the same credit cannot both spend it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import EntryKind
from logis.payments.models import (
    CREDIT_METHOD,
    MANUAL_METHODS,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    UnitCredit,
)
from logis.payments.settlement import SETTLED_FIELDS, settle
from logis.properties.models import Property, Unit

REASON_MAX = 500


def _locked_unit(unit_id: int) -> Unit:
    return Unit.objects.select_for_update().get(pk=unit_id)


def credit_balance(*, unit: Unit) -> Decimal:
    """The unit's available credit: the sum of its ledger entries (one query)."""
    total = UnitCredit.objects.filter(unit=unit).aggregate(
        total=Coalesce(
            Sum("amount"), Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2)
        )
    )["total"]
    return Decimal(total).quantize(Decimal("0.01"))


def add_credit(
    *,
    unit: Unit,
    amount: Decimal,
    reason: str,
    source_payment: Payment | None = None,
    actor: Actor | None = None,
    kind: str = CreditKind.OVERPAYMENT,
    invoice: Invoice | None = None,
) -> UnitCredit:
    """Add ``amount`` (> 0) to the unit's credit. Runs in the caller's transaction; locks the unit row.

    ``kind`` says where the credit comes from (default: an overpayment); ``invoice`` defaults to the
    source payment's invoice.
    """
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than 0 $.")})
    if kind not in (CreditKind.OVERPAYMENT, CreditKind.VOIDED_INVOICE, CreditKind.RETURNED):
        raise ValueError(f"add_credit cannot record a {kind!r} entry")
    with transaction.atomic():
        locked = _locked_unit(unit.pk)
        if invoice is None and source_payment is not None:
            invoice = source_payment.invoice
        entry = UnitCredit.objects.create(
            property_id=locked.property_id,
            unit=locked,
            kind=kind,
            amount=amount,
            reason=reason.strip()[:REASON_MAX],
            invoice=invoice,
            payment=source_payment,
            created_by=user_or_none(actor) if actor is not None else None,
        )
        ledger.credit_moved(unit_id=locked.pk, amount=amount)  # in the caller's ledger event
        audit.record(
            actor,
            Verb.UNIT_CREDIT_ADDED,
            locked,
            property=locked.property,
            after={
                "credit": entry.pk,
                "kind": kind,
                "amount": amount,
                "reason": entry.reason,
                "payment": source_payment.pk if source_payment else None,
                "invoice": invoice.pk if invoice else None,
            },
        )
        return entry


def apply_credit(
    *, property: Property, unit_id: int, invoice_id: int, amount: Decimal, actor: Actor
) -> Payment:
    """Apply (part of) the unit's credit to one of its open invoices: a payment of method 'credit'."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        if not Unit.objects.filter(pk=unit_id, property=property).exists():
            raise NotFound(_("This unit does not exist."))
        # Lock order everywhere: invoice, then unit (void_invoice and reverse_payment do the same).
        invoice = (
            Invoice.objects.select_for_update()
            .filter(pk=invoice_id, property=property, unit_id=unit_id)
            .first()
        )
        if invoice is None:
            raise ValidationError({"invoice": _("Choose an open invoice of this unit.")})
        unit = _locked_unit(unit_id)
        if invoice.status != InvoiceStatus.OPEN:
            raise ValidationError({"invoice": _("Credit can only be applied to an open invoice.")})
        available = credit_balance(unit=unit)
        balance = invoice.amount - invoice.amount_paid
        if amount <= 0:
            raise ValidationError({"amount": _("The amount must be greater than 0 $.")})
        if amount > available:
            raise ValidationError(
                {
                    "amount": _("The amount is more than the unit's credit (%(credit)s).")
                    % {"credit": format_amount(available)}
                }
            )
        if amount > balance:
            raise ValidationError(
                {
                    "amount": _("The amount is more than the balance due (%(balance)s).")
                    % {"balance": format_amount(balance)}
                }
            )
        before = audit.snapshot(invoice, SETTLED_FIELDS)
        today = today_in(property.timezone)
        # Dr unit credit (the credit entry) / Cr receivable (settle): one entry (decision 0029).
        with ledger.event(
            property_id=property.pk, date=today, kind=EntryKind.CREDIT_APPLIED, source=("payment", None)
        ) as ev:
            payment = Payment.objects.create(
                property=property,
                unit=unit,
                invoice=invoice,
                kind=PaymentKind.PAYMENT,
                status=PaymentStatus.SUCCEEDED,
                amount=amount,
                paid_on=today,
                method=CREDIT_METHOD,
                recorded_by=user_or_none(actor),
            )
            ev.source_id = payment.pk
            entry = UnitCredit.objects.create(
                property=property,
                unit=unit,
                kind=CreditKind.APPLIED,
                amount=-amount,
                reason="",  # the invoice column says where it went
                invoice=invoice,
                payment=payment,
                created_by=user_or_none(actor),
            )
            ledger.credit_moved(unit_id=unit.pk, amount=-amount)
            settle(invoice, amount)
        audit.record(
            actor,
            Verb.UNIT_CREDIT_APPLIED,
            unit,
            property=property,
            after={"credit": entry.pk, "amount": amount, "invoice": invoice.pk, "payment": payment.pk},
        )
        audit.record(
            actor,
            Verb.INVOICE_PAYMENT_APPLIED,
            invoice,
            before=before,
            after=audit.snapshot(invoice, SETTLED_FIELDS),
        )
        return payment


def open_invoices_for_credit(*, unit: Unit) -> list[Invoice]:
    """The unit's open invoices, oldest due first: where its credit can go."""
    return list(
        Invoice.objects.filter(unit=unit, status=InvoiceStatus.OPEN).order_by("due_date", "number", "id")
    )


def unit_credit_entries(*, unit: Unit, limit: int = 50) -> list[UnitCredit]:
    """The unit's latest ledger entries with their invoice and payment (one query)."""
    return list(
        UnitCredit.objects.filter(unit=unit)
        .select_related("invoice", "payment", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def refund_credit(
    *,
    property: Property,
    unit_id: int,
    amount: Decimal,
    method: str,
    reason: str,
    actor: Actor,
) -> UnitCredit:
    """Give (part of) the unit's credit back to the resident, by cheque, transfer or cash."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        if not Unit.objects.filter(pk=unit_id, property=property).exists():
            raise NotFound(_("This unit does not exist."))
        unit = _locked_unit(unit_id)
        available = credit_balance(unit=unit)
        errors: dict[str, str] = {}
        if amount <= 0:
            errors["amount"] = _("The amount must be greater than 0 $.")
        elif amount > available:
            errors["amount"] = _("The amount is more than the unit's credit (%(credit)s).") % {
                "credit": format_amount(available)
            }
        if method not in MANUAL_METHODS:
            errors["method"] = _("Choose how the money was given back.")
        reason = reason.strip()
        if not reason:
            errors["reason"] = _("Give the reason for the refund.")
        elif len(reason) > REASON_MAX:
            errors["reason"] = _("At most 500 characters.")
        if errors:
            raise ValidationError(errors)
        # Dr unit credit / Cr bank: the money left (decision 0029).
        with ledger.event(
            property_id=property.pk,
            date=today_in(property.timezone),
            kind=EntryKind.CREDIT_REFUNDED,
            source=("unit_credit", None),
            memo=reason,
        ) as ev:
            entry = UnitCredit.objects.create(
                property=property,
                unit=unit,
                kind=CreditKind.REFUNDED,
                amount=-amount,
                method=method,
                reason=reason,
                created_by=user_or_none(actor),
            )
            ev.source_id = entry.pk
            ledger.credit_moved(unit_id=unit.pk, amount=-amount)
            ledger.money(ev, method=method, amount=-amount)
        audit.record(
            actor,
            Verb.UNIT_CREDIT_REFUNDED,
            unit,
            property=property,
            after={"credit": entry.pk, "amount": amount, "method": method, "reason": reason},
        )
        return entry


def credit_refunded(*, property: Property) -> Decimal:
    """Credit given back to residents (all units of the property), one query."""
    total = UnitCredit.objects.filter(property=property, kind=CreditKind.REFUNDED).aggregate(
        total=Coalesce(
            Sum("amount"), Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2)
        )
    )["total"]
    return -Decimal(total).quantize(Decimal("0.01"))
