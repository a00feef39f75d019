"""What Stripe reports about online payments (by webhook, or when the payer comes back from Checkout).

Stripe may tell us the same thing several times and at the same time (a webhook redelivered, the payer's
return racing the webhook): every recording locks the invoice first and looks for the payment by its
PaymentIntent id (unique with the kind), so one payment is recorded whatever the order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import Membership
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.links import manager_invoice_url
from logis.core.money import format_amount
from logis.core.permissions import ROLE_ACTIONS, Action
from logis.invoicing.emails import invoice_link
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import EntryKind
from logis.notifications.outbox import LANGUAGES, queue_email
from logis.payments import stripe_gateway
from logis.payments.checkout import (
    OnlinePaymentProblem,
    cents,
    from_cents,
)
from logis.payments.credits import add_credit
from logis.payments.debit_failed_mail import queue_checkout_debit_failed_emails
from logis.payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    WebhookEvent,
)
from logis.payments.online_refunds import record_charge_refunded
from logis.payments.receipts import queue_payment_receipt_email
from logis.payments.settlement import SETTLED_FIELDS, settle
from logis.properties.models import PaymentMethod, Property, Resident
from logis.properties.selectors import primary_resident

logger = logging.getLogger(__name__)

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
CHARGE_REFUNDED = "charge.refunded"
# The audit verb of an online payment, by the status Stripe's event gave it.
ONLINE_VERBS = {
    PaymentStatus.SUCCEEDED: Verb.PAYMENT_ONLINE_SUCCEEDED,
    PaymentStatus.PENDING: Verb.PAYMENT_ONLINE_PENDING,
    PaymentStatus.FAILED: Verb.PAYMENT_ONLINE_FAILED,
}


# --- Recording what Stripe reports ----------------------------------------------------------------


def _intent_id(session: Mapping[str, Any]) -> str:
    intent = session.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    return str(intent or "")


def _method(row: CheckoutSession, *, paid_at_once: bool, existing: Payment | None) -> str:
    """Which method paid: the one offered if only one; else a card pays at once and a pre-authorized
    debit completes unpaid, then clears days later (the async events)."""
    if existing is not None:
        return existing.method
    if len(row.payment_method_types) == 1:
        return str(row.payment_method_types[0])
    return PaymentMethod.CARD.value if paid_at_once else PaymentMethod.PAD.value


def _apply_to_invoice(payment: Payment, invoice: Invoice) -> None:
    """The succeeded payment raises what the invoice received, up to its balance; any excess (a manual
    payment arrived meanwhile, or the invoice was voided) becomes the unit's credit, never lost."""
    before = audit.snapshot(invoice, SETTLED_FIELDS)
    applicable = invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
    balance = invoice.amount - invoice.amount_paid if applicable else Decimal("0.00")
    applied = min(payment.amount, max(balance, Decimal("0.00")))
    # Other pages still open for this invoice (a co-owner's, another tab's) now ask too much.
    # Dr Stripe clearing / Cr receivable (settle) and, for any excess, Cr unit credit (add_credit): one
    # entry (decision 0029). A pending debit comes here only once it succeeded.
    with ledger.event(
        property_id=invoice.property_id,
        date=payment.paid_on,
        kind=EntryKind.PAYMENT,
        source=("payment", payment.pk),
        memo=payment.reference,
    ) as ev:
        ledger.money(ev, method=payment.method, amount=payment.amount)
        settle(invoice, applied, keep_session=payment.provider_session_id)
        excess = payment.amount - applied
        if excess > 0:
            with translation.override(invoice.property.language):
                if invoice.status == InvoiceStatus.VOID:
                    kind = CreditKind.VOIDED_INVOICE
                    reason = _("Online payment of a voided invoice (%(invoice)s)") % {"invoice": str(invoice)}
                else:
                    kind = CreditKind.OVERPAYMENT
                    reason = _("Online payment above the balance due (%(invoice)s)") % {
                        "invoice": str(invoice)
                    }
            add_credit(
                unit=invoice.unit,
                amount=excess,
                reason=reason,
                source_payment=payment,
                actor=None,
                kind=kind,
            )
            queue_overpayment_emails(payment=payment, invoice=invoice, excess=excess)
    audit.record(
        None,
        Verb.INVOICE_PAYMENT_APPLIED,
        invoice,
        before=before,
        after={**audit.snapshot(invoice, SETTLED_FIELDS), "payment": payment.pk, "credit": excess},
    )
    queue_payment_receipt_email(payment=payment)


def _overpayment_text(payment: Payment, invoice: Invoice, excess: Decimal, language: str) -> dict[str, str]:
    number = f"#{invoice.number}" if invoice.number else ""
    return {
        "amount": format_amount(payment.amount, language),
        "excess": format_amount(excess, language),
        "number": number,
        "title": " ".join(invoice.title.split()),
        "unit": invoice.unit.number,
        "property": invoice.property.name,
    }


def queue_overpayment_emails(*, payment: Payment, invoice: Invoice, excess: Decimal) -> None:
    """An online payment arrived above the balance due (paid otherwise meanwhile, or voided): the
    resident and the managers are told by email, each once, in their language; the invoice's page
    offers the refund to the card (``overpayments_to_refund``)."""

    # Whoever paid (a co-owner may have), else the unit's primary resident.
    payer_id = (
        CheckoutSession.objects.filter(session_id=payment.provider_session_id)
        .values_list("user_id", flat=True)
        .first()
    )
    resident = (
        Resident.objects.filter(user_id=payer_id, occupancies__unit_id=invoice.unit_id).first()
        if payer_id
        else None
    ) or primary_resident(invoice.unit)
    if resident is not None and resident.email:
        language = resident.language if resident.language in LANGUAGES else invoice.property.language
        with translation.override(language):
            values = {**_overpayment_text(payment, invoice, excess, language), "name": resident.name}
            subject = _("Payment above the balance due — %(title)s") % values
            text = (
                _(
                    "Hello %(name)s,\n\nWe received your online payment of %(amount)s for invoice "
                    "%(number)s (%(title)s), but the invoice had been paid, in whole or in part, in the "
                    "meantime. The excess of %(excess)s is kept as credit on the account of unit %(unit)s: "
                    "nothing is lost. Your manager has been told and can refund it to your card; you may "
                    "also ask them to.\n\n%(property)s"
                )
                % values
            )
        queue_email(
            key=f"overpayment:{payment.pk}:resident",
            kind="payment_overpaid",
            to=resident.email,
            subject=subject,
            text=f"{text}\n{invoice_link(invoice)}\n",
            language=language,
            property=invoice.property,
            invoice=invoice,
        )
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.RECORD_PAYMENT in actions]
    link = manager_invoice_url(invoice.property_id, invoice.pk)
    staff = Membership.objects.filter(property_id=invoice.property_id, role__in=roles).select_related("user")
    for membership in staff.order_by("user_id"):
        user = membership.user
        if not user.email or not user.is_active:
            continue
        language = user.language if user.language in LANGUAGES else "fr"
        with translation.override(language):
            values = _overpayment_text(payment, invoice, excess, language)
            subject = _("To do: an online payment above the balance due — unit %(unit)s") % values
            text = (
                _(
                    "An online payment of %(amount)s for invoice %(number)s (%(title)s), unit %(unit)s, "
                    "arrived after the balance due had changed: %(excess)s became credit on the unit's "
                    "account. The resident has been told. Refund it to the card from the invoice's page "
                    "(« Refund the excess to the card »), or keep it as credit.\n\n%(property)s"
                )
                % values
            )
        queue_email(
            key=f"overpayment:{payment.pk}:staff:{user.pk}",
            kind="payment_overpaid_staff",
            to=user.email,
            subject=subject,
            text=f"{text}\n{link}\n",
            language=language,
            property=invoice.property,
            invoice=invoice,
        )


def record_online_payment(*, session: Mapping[str, Any], event_type: str = COMPLETED) -> Payment | None:
    """Record a completed Checkout Session as one payment (succeeded, or pending while a pre-authorized
    debit clears; then succeeded or failed). Idempotent: the webhook, its redeliveries and the payer's
    return all end on the same payment. Raises OnlinePaymentProblem when the session is not one Logis
    opened for that invoice and amount. Returns None when there is nothing to record (session open)."""
    session_id = str(session.get("id") or "")
    if session.get("status") != "complete" and event_type == COMPLETED:
        return None
    with transaction.atomic():
        row = CheckoutSession.objects.filter(session_id=session_id).first()
        metadata = session.get("metadata") or {}
        if row is None:
            raise OnlinePaymentProblem(
                f"Checkout Session {session_id!r} (invoice {metadata.get('invoice_id')!r}) was not opened "
                "by Logis: no payment recorded."
            )
        property = row.property
        if row.invoice_id is None:
            # « Payer le solde »: several invoices, one remittance (decision 0036).
            from logis.payments.balance_checkout import record_balance_payment

            record_balance_payment(row=row, session=session, event_type=event_type)
            return None
        if str(metadata.get("invoice_id")) != str(row.invoice_id):
            raise OnlinePaymentProblem(
                f"Checkout Session {session_id}: invoice {metadata.get('invoice_id')!r} in Stripe, "
                f"{row.invoice_id} in Logis: no payment recorded.",
                property=property,
            )
        invoice = (
            Invoice.objects.select_for_update().select_related("property", "unit").get(pk=row.invoice_id)
        )
        amount_total = session.get("amount_total")
        currency = str(session.get("currency") or "").lower()
        if amount_total is None or from_cents(amount_total) != row.amount or currency != row.currency:
            raise OnlinePaymentProblem(
                f"Checkout Session {session_id}: {amount_total} {currency} in Stripe, "
                f"{cents(row.amount)} {row.currency} asked by Logis: no payment recorded.",
                property=property,
            )
        intent = _intent_id(session)
        if not intent:
            raise OnlinePaymentProblem(
                f"Checkout Session {session_id} is complete without a PaymentIntent.", property=property
            )
        row.status = CheckoutSessionStatus.COMPLETE
        row.payment_status = str(session.get("payment_status") or "")[:24]
        row.save(update_fields=["status", "payment_status", "updated_at"])

        existing = (
            Payment.objects.select_for_update()
            .filter(provider_payment_id=intent, kind=PaymentKind.PAYMENT)
            .first()
        )
        paid = session.get("payment_status") in ("paid", "no_payment_required") and event_type != ASYNC_FAILED
        failed = event_type == ASYNC_FAILED
        if existing is not None and existing.status != PaymentStatus.PENDING:
            return existing  # already recorded: a redelivery, or the webhook and the return racing
        if existing is not None and not paid and not failed:
            return existing  # still clearing
        if existing is None:
            status = (
                PaymentStatus.SUCCEEDED if paid else PaymentStatus.FAILED if failed else PaymentStatus.PENDING
            )
            with translation.override(property.language):  # stored text: the property's language
                note = _("Stripe Checkout")
                if row.demo:
                    note = f"{note} — {_('Demo mode — no real payment')}"
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        property=property,
                        unit_id=invoice.unit_id,
                        invoice=invoice,
                        kind=PaymentKind.PAYMENT,
                        status=status,
                        amount=row.amount,
                        paid_on=today_in(property.timezone),
                        method=_method(row, paid_at_once=paid and event_type == COMPLETED, existing=None),
                        reference=intent[:120],
                        note=note,
                        provider_payment_id=intent,
                        provider_session_id=session_id,
                        recorded_by=None,
                    )
            except IntegrityError:
                # Recorded meanwhile by a concurrent delivery (the unique constraint is the backstop).
                return Payment.objects.get(provider_payment_id=intent, kind=PaymentKind.PAYMENT)
            audit.record(
                None,
                ONLINE_VERBS[status],
                payment,
                after={
                    **audit.snapshot(
                        payment, ["invoice", "amount", "method", "status", "provider_payment_id"]
                    ),
                    "session": session_id,
                    "event": event_type,
                },
            )
        else:
            payment = existing
            payment.status = PaymentStatus.SUCCEEDED if paid else PaymentStatus.FAILED
            if paid:
                payment.paid_on = today_in(property.timezone)
            payment.save(update_fields=["status", "paid_on"])
            audit.record(
                None,
                ONLINE_VERBS[PaymentStatus(payment.status)],
                payment,
                before={"status": PaymentStatus.PENDING},
                after={"status": payment.status, "event": event_type},
            )
        payment.invoice = invoice
        if payment.status == PaymentStatus.SUCCEEDED:
            _apply_to_invoice(payment, invoice)
        elif payment.status == PaymentStatus.FAILED:
            # The debit was refused days later: the invoice is still due, both sides are told.
            queue_checkout_debit_failed_emails(row=row, invoices=[invoice])
        return payment


def sync_checkout_session(*, session_id: str) -> None:
    """The payer is back from Checkout: ask Stripe about the session now and record it exactly as the
    webhook would (whichever comes first records; the other finds it done)."""
    row = CheckoutSession.objects.filter(session_id=session_id).first()
    if row is None:
        logger.warning("Return from an unknown Checkout Session %r: ignored", session_id)
        return
    try:
        session = stripe_gateway.retrieve_checkout_session(session_id)
    except stripe_gateway.GatewayError as exc:
        logger.warning(
            "Checkout Session %s could not be retrieved (the webhook will tell): %s", session_id, exc
        )
        return
    if session.get("status") == "expired":
        CheckoutSession.objects.filter(session_id=session_id).update(
            status=CheckoutSessionStatus.EXPIRED, updated_at=timezone.now()
        )
        return
    try:
        record_online_payment(session=session, event_type=COMPLETED)
    except OnlinePaymentProblem as exc:
        _record_problem(str(exc), property=exc.property, obj=row)


# --- Webhook events -------------------------------------------------------------------------------


def _record_problem(message: str, *, property: Property | None, obj: models.Model | None) -> None:
    logger.warning("Stripe: %s", message)
    if obj is not None:
        audit.record(None, Verb.PAYMENT_ONLINE_PROBLEM, obj, property=property, after={"detail": message})


def _session_handler(event_type: str) -> Callable[[Mapping[str, Any]], object]:
    return lambda obj: record_online_payment(session=obj, event_type=event_type)


def record_session_expired(session: Mapping[str, Any]) -> None:
    """``checkout.session.expired``: the payment page closed unpaid; nothing to record but its state."""
    CheckoutSession.objects.filter(
        session_id=str(session.get("id") or ""), status=CheckoutSessionStatus.OPEN
    ).update(status=CheckoutSessionStatus.EXPIRED, updated_at=timezone.now())


HANDLERS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "checkout.session.expired": record_session_expired,
    COMPLETED: _session_handler(COMPLETED),
    ASYNC_SUCCEEDED: _session_handler(ASYNC_SUCCEEDED),
    ASYNC_FAILED: _session_handler(ASYNC_FAILED),
    CHARGE_REFUNDED: record_charge_refunded,
}


def handle_event(event: Mapping[str, Any]) -> str:
    """Process a verified Stripe event once (its id is recorded in the same transaction as its effect).

    Returns the outcome: ``processed``, ``ignored`` (a type Logis does not use), ``duplicate`` (already
    processed) or ``problem`` (recorded for a person to look at; nothing paid). Raises GatewayError when
    Stripe must be asked and cannot be: nothing is kept, so Stripe's retry processes the event again.
    """
    event_id = str(event["id"])
    event_type = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    event_id=event_id[:255], type=event_type[:64], outcome=""
                )
        except IntegrityError:
            return "duplicate"
        handler = HANDLERS.get(event_type)
        if handler is None:
            record.outcome = "ignored"
        else:
            try:
                if not isinstance(obj, Mapping):
                    raise OnlinePaymentProblem(f"Event {event_id}: data.object is not an object.")
                with transaction.atomic():
                    try:
                        handler(obj)
                    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                        # Signed by Stripe yet not shaped as expected: kept for a person, never a 500.
                        raise OnlinePaymentProblem(f"Event {event_id} could not be read: {exc!r}") from exc
                record.outcome = "processed"
            except OnlinePaymentProblem as exc:
                record.outcome = "problem"
                record.detail = str(exc)
                record.property = exc.property
        record.save(update_fields=["outcome", "detail", "property"])
        if record.outcome == "problem":
            _record_problem(record.detail, property=record.property, obj=record)
        return record.outcome
