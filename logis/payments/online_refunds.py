"""Online refunds: money given back to the card or account through Stripe, by a manager in Logis or in
the Stripe dashboard (``charge.refunded``), recorded once by the refund's id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import EntryKind
from logis.payments import stripe_gateway
from logis.payments.checkout import (
    OnlinePaymentProblem,
    PaymentProviderUnavailable,
    cents,
    from_cents,
)
from logis.payments.credits import credit_balance
from logis.payments.models import (
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    Remittance,
    UnitCredit,
)
from logis.payments.settlement import SETTLED_FIELDS, settle
from logis.properties.models import ONLINE_METHODS, Property, Unit

logger = logging.getLogger(__name__)


# --- Refunds --------------------------------------------------------------------------------------


def refunded_so_far(original: Payment) -> Decimal:
    total = Decimal("0.00")
    for returned in original.reversals.filter(status=PaymentStatus.SUCCEEDED):
        total += returned.amount
    return total


def _split_refund(original: Payment, invoice: Invoice, amount: Decimal) -> tuple[Decimal, Decimal]:
    """Where a refund comes from: first the unit credit this payment created (its excess over the
    balance, or all of it on a voided invoice) and not yet given back, then what the invoice holds.
    Whatever neither holds any more (that credit spent meanwhile) comes off the unit's credit too."""
    entries = UnitCredit.objects.filter(unit_id=original.unit_id)
    created = entries.filter(payment=original, amount__gt=0).aggregate(total=Sum("amount"))["total"]
    taken = entries.filter(payment__reverses=original, amount__lt=0).aggregate(total=Sum("amount"))["total"]
    left_in_credit = max((created or Decimal("0.00")) + (taken or Decimal("0.00")), Decimal("0.00"))
    from_credit = min(amount, left_in_credit)
    holds = invoice.amount_paid if invoice.status != InvoiceStatus.VOID else Decimal("0.00")
    from_invoice = min(amount - from_credit, holds)
    return amount - from_invoice, from_invoice


def _take_back_credit(
    refund: Payment, invoice: Invoice, amount: Decimal, *, note: str, actor: Actor | None
) -> None:
    """The refunded money the unit's credit held leaves it (a negative ledger entry, unit row locked)."""
    unit = Unit.objects.select_for_update().get(pk=refund.unit_id)
    ledger.credit_moved(unit_id=unit.pk, amount=-amount)
    entry = UnitCredit.objects.create(
        property_id=unit.property_id,
        unit=unit,
        kind=CreditKind.REFUNDED,
        amount=-amount,
        reason=note[:500],
        invoice=invoice,
        payment=refund,
        created_by=user_or_none(actor) if actor is not None else None,
    )
    audit.record(
        actor,
        Verb.UNIT_CREDIT_REFUNDED,
        unit,
        property=invoice.property,
        after={"credit": entry.pk, "amount": -amount, "payment": refund.pk, "invoice": invoice.pk},
    )


def _record_refund(
    *, original_id: int, refund: Mapping[str, Any], actor: Actor | None, note: str
) -> tuple[Payment, bool]:
    """Record one Stripe refund (by its id, once) against the original payment. Returns (refund, created)."""
    refund_id = str(refund["id"])
    with transaction.atomic():
        original = Payment.objects.get(pk=original_id)
        invoice = (
            Invoice.objects.select_for_update().select_related("property", "unit").get(pk=original.invoice_id)
        )
        existing = Payment.objects.filter(provider_payment_id=refund_id, kind=PaymentKind.REFUND).first()
        if existing is not None:
            return existing, False
        amount = from_cents(refund["amount"])
        before = audit.snapshot(invoice, SETTLED_FIELDS)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    property_id=original.property_id,
                    unit_id=original.unit_id,
                    invoice=invoice,
                    kind=PaymentKind.REFUND,
                    status=PaymentStatus.SUCCEEDED,
                    amount=amount,
                    paid_on=today_in(invoice.property.timezone),
                    method=original.method,
                    reference=refund_id[:120],
                    note=note[:500],
                    reverses=original,
                    provider_payment_id=refund_id,
                    provider_session_id=original.provider_session_id,
                    recorded_by=user_or_none(actor) if actor is not None else None,
                )
        except IntegrityError:
            return Payment.objects.get(provider_payment_id=refund_id, kind=PaymentKind.REFUND), False
        # Cr Stripe clearing / Dr receivable (settle) and Dr unit credit for what the credit held.
        with ledger.event(
            property_id=invoice.property_id,
            date=payment.paid_on,
            kind=EntryKind.PAYMENT_REFUNDED,
            source=("payment", payment.pk),
            memo=note,
        ) as ev:
            ledger.money(ev, method=original.method, amount=-amount)
            from_credit, from_invoice = _split_refund(original, invoice, amount)
            if from_invoice > 0:
                settle(invoice, -from_invoice)
            if from_credit > 0:
                _take_back_credit(payment, invoice, from_credit, note=note, actor=actor)
        audit.record(
            actor,
            Verb.PAYMENT_REFUNDED,
            original,
            after={
                "refund": payment.pk,
                "amount": amount,
                "provider_refund": refund_id,
                "reason": note,
                "from_invoice": from_invoice,
                "from_credit": from_credit,
            },
        )
        audit.record(
            actor,
            Verb.INVOICE_PAYMENT_REFUNDED,
            invoice,
            before=before,
            after=audit.snapshot(invoice, SETTLED_FIELDS),
        )
        return payment, True


def refundable_online(payment: Payment) -> bool:
    """An online payment that succeeded and still has money to give back."""
    return (
        payment.kind == PaymentKind.PAYMENT
        and payment.status == PaymentStatus.SUCCEEDED
        and payment.method in {m.value for m in ONLINE_METHODS}
        and bool(payment.provider_payment_id)
    )


def share_refund_refusal(payment: Payment) -> str:
    """Why an online share of a « Payer le solde » payment is not refunded through Stripe ("" for any
    other payment). Decision 0036: one Stripe payment over several invoices; refunding one share would
    make the receipt's imputation untrue, and splitting a refund over the shares is not done."""
    if payment.remittance_id is None or payment.method not in {m.value for m in ONLINE_METHODS}:
        return ""
    return _(
        "This payment is part of an online payment of several invoices: Logis does not refund it "
        "through Stripe (the receipt states how the whole was applied)."
    )


def refund_online_payment(
    *, property: Property, payment_id: int, actor: User, amount: Decimal | None = None, reason: str
) -> Payment:
    """Give back (part of) an online payment through Stripe: a refund record lowers what the invoice has
    received and reopens it if it was paid. The ``charge.refunded`` webhook then finds it recorded."""
    require(actor, Action.RECORD_PAYMENT, property)
    original = Payment.objects.filter(pk=payment_id, property=property).first()
    if original is None:
        raise NotFound(_("This payment does not exist."))
    refusal = share_refund_refusal(original)
    if refusal:
        raise InvalidTransition(refusal)
    if not refundable_online(original):
        raise InvalidTransition(_("Only a received online payment can be refunded through Stripe."))
    left = original.amount - refunded_so_far(original)
    amount = left if amount is None else amount
    errors: dict[str, str] = {}
    if amount <= 0:
        errors["amount"] = _("The amount must be greater than 0 $.")
    elif amount > left:
        errors["amount"] = _("The amount is more than what is left to refund on this payment (%(left)s).") % {
            "left": format_amount(left)
        }
    reason = reason.strip()
    if not reason:
        errors["reason"] = _("Give the reason for the refund.")
    elif len(reason) > 500:
        errors["reason"] = _("At most 500 characters.")
    if errors:
        raise ValidationError(errors)
    # Same payment, same amount already refunded, same amount: a double click refunds once.
    key = f"logis-refund-{original.pk}-{cents(left)}-{cents(amount)}"
    try:
        refund = stripe_gateway.create_refund(
            params={
                "payment_intent": original.provider_payment_id,
                "amount": cents(amount),
                "reason": "requested_by_customer",
                "metadata": {"payment_id": str(original.pk), "invoice_id": str(original.invoice_id)},
            },
            idempotency_key=key,
        )
    except stripe_gateway.GatewayError as exc:
        logger.warning("Refund of payment %s refused: %s", original.pk, exc)
        raise PaymentProviderUnavailable(
            _("Stripe refused the refund or could not be reached; nothing was refunded. (%(error)s)")
            % {"error": str(exc)}
        ) from exc
    payment, _created = _record_refund(original_id=original.pk, refund=refund, actor=actor, note=reason)
    return payment


def record_charge_refunded(charge: Mapping[str, Any]) -> list[Payment]:
    """``charge.refunded``: record each refund of the charge not yet recorded (one made in the Stripe
    dashboard; one made by Logis is found by its id and left alone)."""
    intent = str(charge.get("payment_intent") or "")
    original = (
        Payment.objects.filter(provider_payment_id=intent, kind=PaymentKind.PAYMENT).first()
        if intent
        else None
    )
    if original is None:
        remittance = Remittance.objects.filter(provider_payment_id=intent).first() if intent else None
        if remittance is not None:
            # Decision 0036: a refund of a « Payer le solde » payment is not split over its shares by
            # Logis; a person records what it means (nothing is changed on the invoices meanwhile).
            raise OnlinePaymentProblem(
                f"Refund of charge {charge.get('id')!r}: PaymentIntent {intent!r} paid several invoices "
                f"(payment for several invoices {remittance.pk}, unit {remittance.unit_id}); Logis does not "
                "split a refund over its invoices: record it by hand.",
                property=remittance.property,
            )
        raise OnlinePaymentProblem(
            f"Refund of charge {charge.get('id')!r}: no payment of Logis has PaymentIntent {intent!r}."
        )
    refunds_list = charge.get("refunds")
    if isinstance(refunds_list, Mapping) and not refunds_list.get("has_more"):
        refunds = list(refunds_list.get("data") or [])
    else:
        refunds = stripe_gateway.list_refunds(charge=str(charge["id"]))
    with translation.override(original.property.language):
        note = _("Refunded in Stripe")
    recorded = []
    for refund in sorted(refunds, key=lambda r: (r.get("created") or 0, r["id"])):
        if refund.get("status") in ("failed", "canceled"):
            continue
        payment, created = _record_refund(original_id=original.pk, refund=refund, actor=None, note=note)
        if created:
            recorded.append(payment)
    return recorded


def overpayments_to_refund(invoice: Invoice) -> list[tuple[Payment, Decimal]]:
    """The online payments of this invoice that left money in the unit's credit not given back yet,
    each with what can be refunded to the card now (at most the unit's credit and what is left on the
    payment): the « needs doing » of a double charge."""
    entries = UnitCredit.objects.filter(
        invoice=invoice,
        amount__gt=0,
        kind__in=[CreditKind.OVERPAYMENT, CreditKind.VOIDED_INVOICE],
        payment__method__in=[m.value for m in ONLINE_METHODS],
        payment__kind=PaymentKind.PAYMENT,
    ).select_related("payment")
    found: list[tuple[Payment, Decimal]] = []
    available: Decimal | None = None
    for entry in entries:
        original = entry.payment
        assert original is not None
        taken = UnitCredit.objects.filter(payment__reverses=original, amount__lt=0).aggregate(t=Sum("amount"))
        left = entry.amount + (taken["t"] or Decimal("0.00"))
        if available is None:
            available = credit_balance(unit=invoice.unit)
        amount = min(left, available, original.amount - refunded_so_far(original))
        if amount > 0 and refundable_online(original):
            found.append((original, amount))
    return found
