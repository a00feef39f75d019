"""Autopay's debits (docs/decisions/0031): ``charge_debit`` asks Stripe for one due debit, once (the
invoice's idempotency key); ``record_intent`` records what Stripe answers or its webhooks say, once whatever
the order; a refused debit reopens what it had settled, emails the resident and the managers and bills the
property's NSF fee."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.money import format_amount
from logis.core.permissions import SYSTEM
from logis.finances.models import CategoryCode
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import create_invoice, publish_invoice
from logis.notifications.outbox import LANGUAGES
from logis.payments import stripe_gateway
from logis.payments.autopay_mail import invoice_number, queue_resident_email, queue_staff_failure_emails
from logis.payments.checkout import CURRENCY, OnlinePaymentProblem, cents, from_cents
from logis.payments.models import (
    AutopayDebit,
    AutopayDebitStatus,
    AutopayStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from logis.payments.stripe_events import _apply_to_invoice

logger = logging.getLogger(__name__)

# Each debit has one attempt (a failed debit is not retried: the resident pays otherwise, the NSF fee is
# billed once); the attempt number is in the idempotency key so a deliberate retry would be a new request.
ATTEMPT = 1


def idempotency_key(invoice_id: int, attempt: int = ATTEMPT) -> str:
    """The debit of one invoice, once: Stripe answers a repeated request with the first PaymentIntent."""
    return f"logis-autopay-invoice-{invoice_id}-attempt-{attempt}"


# --- Enrolment ------------------------------------------------------------------------------------


def charge_debit(*, debit_id: int, today: dt.date) -> bool:
    """Make one due debit: an off-session PaymentIntent, asked once (idempotency key of the invoice).
    Returns whether Stripe was asked. Stripe is called outside any lock; what it answers is recorded by
    ``record_intent``, as its webhooks are."""
    with transaction.atomic():
        invoice_id = AutopayDebit.objects.values_list("invoice_id", flat=True).get(pk=debit_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        debit = AutopayDebit.objects.select_for_update().select_related("enrolment").get(pk=debit_id)
        if (
            debit.status not in (AutopayDebitStatus.SCHEDULED, AutopayDebitStatus.SUBMITTING)
            or debit.debit_on > today
        ):
            return False
        enrolment = debit.enrolment
        if debit.status == AutopayDebitStatus.SCHEDULED:
            balance = invoice.amount - invoice.amount_paid
            if (
                enrolment.status != AutopayStatus.ACTIVE
                or invoice.status != InvoiceStatus.OPEN
                or balance <= 0
            ):
                debit.status = AutopayDebitStatus.CANCELLED
                debit.save(update_fields=["status", "updated_at"])
                audit.record(
                    None, Verb.AUTOPAY_DEBIT_CANCELLED, debit, after={"invoice_status": invoice.status}
                )
                return False
            # Never more than announced (a reversal may have raised the balance since the notice).
            debit.amount = min(balance, debit.amount)
            debit.status = AutopayDebitStatus.SUBMITTING
            debit.save(update_fields=["amount", "status", "updated_at"])
            audit.record(
                None, Verb.AUTOPAY_DEBIT_SUBMITTED, debit, after=audit.snapshot(debit, ["amount", "status"])
            )
    params: dict[str, Any] = {
        "amount": cents(debit.amount),
        "currency": CURRENCY,
        "customer": enrolment.customer_id,
        "payment_method": enrolment.payment_method_id,
        "payment_method_types": [enrolment.method],
        "off_session": True,
        "confirm": True,
        "description": str(invoice)[:200],
        "metadata": {"logis_autopay_debit": str(debit.pk), "invoice_id": str(invoice_id)},
    }
    if enrolment.mandate_id:
        params["mandate"] = enrolment.mandate_id
    try:
        intent = stripe_gateway.create_payment_intent(
            params=params, idempotency_key=idempotency_key(invoice_id)
        )
    except stripe_gateway.GatewayError as exc:
        if not exc.code:
            # Stripe unreachable: the next run asks again with the same key (never a second debit).
            logger.warning("Autopay debit %s: Stripe not reached, retried next run: %s", debit_id, exc)
            return False
        record_refused(debit_id=debit_id, code=exc.code, message=str(exc))
        return True
    record_intent(intent)
    return True


# --- What Stripe says of a debit ------------------------------------------------------------------


def _payment_status(intent: Mapping[str, Any]) -> str:
    status = intent.get("status")
    if status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if status == "processing":
        return PaymentStatus.PENDING
    return PaymentStatus.FAILED  # requires_payment_method, requires_action (off-session), canceled


def _lock(debit_id: int) -> tuple[AutopayDebit, Invoice]:
    """The invoice first, then its debit (the order every payment path takes)."""
    invoice_id = AutopayDebit.objects.values_list("invoice_id", flat=True).get(pk=debit_id)
    invoice = Invoice.objects.select_for_update().select_related("property", "unit").get(pk=invoice_id)
    debit = AutopayDebit.objects.select_for_update().select_related("enrolment").get(pk=debit_id)
    return debit, invoice


def record_intent(intent: Mapping[str, Any]) -> Payment | None:
    """Record a debit's PaymentIntent as its payment (pending, succeeded or failed), once whatever the
    order of the API's answer and the webhooks. None for a PaymentIntent that is not an autopay debit
    (Checkout's own, recorded by ``stripe_events``)."""
    try:
        return _record_intent(intent)
    except IntegrityError:
        # The other path (the API's answer or the webhook) inserted this intent's payment between our read
        # and our insert: PostgreSQL's row locks (``_lock``) prevent it, SQLite's shared in-memory test
        # database does not. The unique (provider_payment_id, kind) refused the second payment and rolled
        # back our transaction (or savepoint); read again, now as an update of the payment that exists.
        return _record_intent(intent)


def _record_intent(intent: Mapping[str, Any]) -> Payment | None:
    metadata = intent.get("metadata") or {}
    try:
        debit_id = int(metadata.get("logis_autopay_debit") or 0)
    except (TypeError, ValueError):
        debit_id = 0
    if not debit_id:
        return None
    intent_id = str(intent.get("id") or "")
    if not AutopayDebit.objects.filter(pk=debit_id).exists():
        raise OnlinePaymentProblem(f"PaymentIntent {intent_id}: unknown autopay debit {debit_id}.")
    with transaction.atomic():
        debit, invoice = _lock(debit_id)
        prop = invoice.property
        if (
            str(metadata.get("invoice_id")) != str(invoice.pk)
            or from_cents(intent.get("amount")) != debit.amount
            or str(intent.get("currency") or "").lower() != CURRENCY
        ):
            raise OnlinePaymentProblem(
                f"PaymentIntent {intent_id}: {intent.get('amount')} {intent.get('currency')} for invoice "
                f"{metadata.get('invoice_id')}, Logis asked {cents(debit.amount)} for {invoice.pk}.",
                property=prop,
            )
        status = _payment_status(intent)
        payment = debit.payment
        if payment is None:
            with translation.override(prop.language):
                note = _("Automatic payment")
                if stripe_gateway.demo_mode():
                    note = f"{note} — {_('Demo mode — no real payment')}"
            payment = Payment.objects.create(
                property=prop,
                unit_id=invoice.unit_id,
                invoice=invoice,
                kind=PaymentKind.PAYMENT,
                status=status,
                amount=debit.amount,
                paid_on=today_in(prop.timezone),
                method=debit.enrolment.method,
                reference=intent_id[:120],
                note=note,
                provider_payment_id=intent_id,
                recorded_by=None,
            )
            audit.record(
                None,
                Verb(f"payment.autopay_{status}"),
                payment,
                after={
                    **audit.snapshot(payment, ["invoice", "amount", "method", "status"]),
                    "intent": intent_id,
                },
            )
        elif payment.provider_payment_id != intent_id:
            raise OnlinePaymentProblem(
                f"PaymentIntent {intent_id}: debit {debit.pk} was made by {payment.provider_payment_id}.",
                property=prop,
            )
        elif payment.status == PaymentStatus.PENDING and status != PaymentStatus.PENDING:
            payment.status = status
            if status == PaymentStatus.SUCCEEDED:
                payment.paid_on = today_in(prop.timezone)
            payment.save(update_fields=["status", "paid_on"])
            audit.record(
                None,
                Verb(f"payment.autopay_{status}"),
                payment,
                before={"status": PaymentStatus.PENDING},
                after={"status": status},
            )
        else:
            return payment  # nothing new: a redelivery, or the answer and the webhook racing
        debit.payment = payment
        debit.status = {
            PaymentStatus.PENDING: AutopayDebitStatus.PENDING,
            PaymentStatus.SUCCEEDED: AutopayDebitStatus.SUCCEEDED,
            PaymentStatus.FAILED: AutopayDebitStatus.FAILED,
        }[PaymentStatus(payment.status)]
        debit.save(update_fields=["payment", "status", "updated_at"])
        payment.invoice = invoice
        if payment.status == PaymentStatus.SUCCEEDED:
            _apply_to_invoice(payment, invoice)  # settle(): the money moves only now
        elif payment.status == PaymentStatus.FAILED:
            error = intent.get("last_payment_error") or {}
            _failed(
                debit,
                invoice,
                code=str(error.get("code") or intent.get("status") or ""),
                message=str(error.get("message") or ""),
            )
        return payment


def record_refused(*, debit_id: int, code: str, message: str) -> None:
    """Stripe refused the debit when asked (a declined card): no PaymentIntent went through."""
    with transaction.atomic():
        debit, invoice = _lock(debit_id)
        if debit.status != AutopayDebitStatus.SUBMITTING:
            return
        debit.status = AutopayDebitStatus.FAILED
        debit.save(update_fields=["status", "updated_at"])
        _failed(debit, invoice, code=code, message=message)


def _failed(debit: AutopayDebit, invoice: Invoice, *, code: str, message: str) -> None:
    """A debit failed (both locked by the caller): the invoice stays open with its balance due (a
    pending debit moved no money), the resident and the managers are emailed, the NSF fee is billed."""
    debit.failure_code = code[:64]
    debit.failure_message = message[:500]
    debit.save(update_fields=["failure_code", "failure_message", "updated_at"])
    audit.record(
        None, Verb.AUTOPAY_DEBIT_FAILED, debit, after={"code": debit.failure_code, "invoice": invoice.pk}
    )
    prop = invoice.property
    if prop.nsf_fee > 0 and debit.nsf_invoice_id is None:
        language = prop.language if prop.language in LANGUAGES else "fr"
        with translation.override(language):
            title = _("Fee for a refused payment (NSF) — invoice %(invoice)s") % {
                "invoice": invoice_number(invoice)
            }
            description = _(
                "The automatic debit of %(amount)s for invoice %(invoice)s was refused by the bank."
            ) % {"amount": format_amount(debit.amount, language), "invoice": invoice_number(invoice)}
        fee = create_invoice(
            actor=SYSTEM,
            property=prop,
            unit_id=invoice.unit_id,
            title=title[:200],
            amount=prop.nsf_fee,
            due_date=today_in(prop.timezone),
            description=description,
            notify_resident=False,  # the failure email says it
            category_code=CategoryCode.LATE_FEE,
        )
        publish_invoice(actor=SYSTEM, invoice_id=fee.pk)
        debit.nsf_invoice = fee
        debit.save(update_fields=["nsf_invoice", "updated_at"])
    queue_resident_email(debit.enrolment, "failed", key=f"autopay-failed:{debit.pk}:resident", debit=debit)
    queue_staff_failure_emails(debit, invoice)
