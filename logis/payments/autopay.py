"""Autopay: a resident enrols a unit once (a Canadian pre-authorized debit mandate or a card, saved by
Stripe Checkout in setup mode); each invoice of that unit published afterwards is announced by email at
least ``NOTICE_DAYS`` calendar days ahead (Payments Canada Rule H1) and debited off-session on its due
date, never before, once (docs/decisions/0031).

- ``start_enrolment`` opens the setup Checkout; ``record_setup_completed`` (the webhook or the resident's
  return) saves the enrolment; ``stop_enrolment`` (the resident) and ``record_mandate_updated`` (the bank,
  through Stripe) end it.
- ``run_autopay`` is the scheduler's job (``payments.autopay``): notices, then the debits that are due.
- ``record_intent`` records what Stripe says of a debit's PaymentIntent (the API's answer, the
  ``payment_intent.*`` webhooks), once whatever the order: a debit still clearing is a PENDING payment
  that moves no money (``settle`` runs only when it succeeds); a failed one emails the resident and the
  managers and bills the property's NSF fee.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logis.accounts.models import Membership, User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import long_date, today_in
from logis.core.errors import DomainError, InvalidTransition, NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import ROLE_ACTIONS, SYSTEM, Action
from logis.finances.models import CategoryCode
from logis.invoicing.emails import invoice_link
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import create_invoice, publish_invoice
from logis.notifications.outbox import LANGUAGES, queue_email
from logis.payments import stripe_gateway
from logis.payments.availability import online_payment_available
from logis.payments.checkout import CURRENCY, OnlinePaymentProblem, cents, from_cents
from logis.payments.models import (
    AutopayDebit,
    AutopayDebitStatus,
    AutopayEnrolment,
    AutopayStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from logis.payments.stripe_events import _apply_to_invoice
from logis.properties.models import Occupancy, PaymentMethod, Property, Resident, Unit

logger = logging.getLogger(__name__)

# Payments Canada Rule H1: the amount and the date of each debit, at least this many calendar days before.
NOTICE_DAYS = 10
# Each debit has one attempt (a failed debit is not retried: the resident pays otherwise, the NSF fee is
# billed once); the attempt number is in the idempotency key so a deliberate retry would be a new request.
ATTEMPT = 1
AUTOPAY_METHODS = (PaymentMethod.PAD, PaymentMethod.CARD)
MAX_PER_RUN = 500


class AutopayUnavailable(DomainError):
    """Autopay cannot be set up now (payments off, method not accepted, Stripe unreachable)."""


# --- Who and what ---------------------------------------------------------------------------------


def autopay_methods(prop: Property) -> list[str]:
    """The methods a resident may enrol with: pre-authorized debit first (it costs the syndicate less)."""
    if not online_payment_available(prop):
        return []
    accepted = set(prop.accepted_methods or [])
    return [str(m.value) for m in AUTOPAY_METHODS if m.value in accepted]


def active_enrolment(unit_id: int) -> AutopayEnrolment | None:
    return AutopayEnrolment.objects.filter(unit_id=unit_id, status=AutopayStatus.ACTIVE).first()


def _resident_of(user: User, unit_id: int) -> Resident | None:
    occupancy = (
        Occupancy.objects.select_related("resident")
        .filter(unit_id=unit_id, resident__user=user)
        .order_by("-is_primary", "pk")
        .first()
    )
    return occupancy.resident if occupancy else None


def idempotency_key(invoice_id: int, attempt: int = ATTEMPT) -> str:
    """The debit of one invoice, once: Stripe answers a repeated request with the first PaymentIntent."""
    return f"logis-autopay-invoice-{invoice_id}-attempt-{attempt}"


# --- Enrolment ------------------------------------------------------------------------------------


def start_enrolment(*, user: User, unit_id: int, method: str, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout in setup mode that saves ``method`` for ``unit_id``; returns its address.

    The resident must live in the unit (else NotFound), have accepted the PAD agreement on our page first
    (the view's checkbox), and the unit must not be enrolled already."""
    resident = _resident_of(user, unit_id)
    if resident is None:
        raise NotFound(_("Unit not found."))
    unit = Unit.objects.select_related("property").get(pk=unit_id)
    prop = unit.property
    if method not in autopay_methods(prop):
        raise ValidationError({"method": _("Choose one of the offered payment methods.")})
    if active_enrolment(unit_id) is not None:
        raise InvalidTransition(_("Automatic payment is already active for this unit."))
    previous = (
        AutopayEnrolment.objects.filter(unit_id=unit_id, user=user)
        .exclude(customer_id="")
        .order_by("-pk")
        .first()
    )
    try:
        if previous is not None:
            customer = previous.customer_id
        else:
            customer = stripe_gateway.create_customer(
                params={
                    "email": user.email,
                    "name": resident.name,
                    "metadata": {"logis_user": str(user.pk), "logis_unit": str(unit_id)},
                },
                idempotency_key=f"logis-autopay-customer-{user.pk}-{unit_id}",
            )["id"]
        params: dict[str, Any] = {
            "mode": "setup",
            "customer": customer,
            "payment_method_types": [method],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "locale": "fr" if translation.get_language() != "en" else "en",
            "metadata": {
                "logis_autopay": "1",
                "unit_id": str(unit_id),
                "user_id": str(user.pk),
                "property_id": str(prop.pk),
            },
        }
        if method == PaymentMethod.PAD:
            params["payment_method_options"] = {
                "acss_debit": {
                    "currency": CURRENCY,
                    # Debits on each invoice's due date, of varying amounts: sporadic; for a household.
                    "mandate_options": {"payment_schedule": "sporadic", "transaction_type": "personal"},
                    "verification_method": "automatic",
                }
            }
        session = stripe_gateway.create_checkout_session(
            params=params,
            idempotency_key=f"logis-autopay-setup-{unit_id}-{user.pk}-{timezone.now().timestamp()}",
        )
    except stripe_gateway.GatewayError as exc:
        logger.warning("Autopay setup for unit %s could not start: %s", unit_id, exc)
        raise AutopayUnavailable(
            _("Automatic payment cannot be set up right now. Please try again in a few minutes.")
        ) from exc
    return str(session["url"])


def _method_label(payment_method: Mapping[str, Any]) -> str:
    details = payment_method.get(str(payment_method.get("type"))) or {}
    last4 = str(details.get("last4") or "")
    return f"•••• {last4}" if last4 else ""


def record_setup_completed(session: Mapping[str, Any]) -> AutopayEnrolment | None:
    """A setup Checkout completed: save the enrolment (once per session). Asks Stripe for the SetupIntent
    (its payment method and mandate): GatewayError when it cannot, so the webhook is retried."""
    metadata = session.get("metadata") or {}
    session_id = str(session.get("id") or "")
    if metadata.get("logis_autopay") != "1":
        raise OnlinePaymentProblem(
            f"Setup Checkout Session {session_id!r} was not opened by Logis for autopay."
        )
    if session.get("status") != "complete" or not session.get("setup_intent"):
        return None
    found = AutopayEnrolment.objects.filter(setup_session_id=session_id).first()
    if found is not None:
        return found
    try:
        unit = Unit.objects.select_related("property").get(pk=int(str(metadata.get("unit_id"))))
        user = User.objects.get(pk=int(str(metadata.get("user_id"))))
    except (Unit.DoesNotExist, User.DoesNotExist, TypeError, ValueError) as exc:
        raise OnlinePaymentProblem(f"Setup Checkout Session {session_id}: unknown unit or user.") from exc
    prop = unit.property
    if _resident_of(user, unit.pk) is None:
        raise OnlinePaymentProblem(
            f"Setup Checkout Session {session_id}: user {user.pk} no longer lives in unit {unit.pk}.",
            property=prop,
        )
    setup_intent = session.get("setup_intent")
    setup_id = setup_intent.get("id") if isinstance(setup_intent, Mapping) else setup_intent
    intent = stripe_gateway.retrieve_setup_intent(str(setup_id))
    payment_method_id = intent.get("payment_method")
    if isinstance(payment_method_id, Mapping):
        payment_method_id = payment_method_id.get("id")
    payment_method = stripe_gateway.retrieve_payment_method(str(payment_method_id))
    kind = str(payment_method.get("type") or "")
    if intent.get("status") != "succeeded" or kind not in PaymentMethod.values:
        raise OnlinePaymentProblem(
            f"Setup Checkout Session {session_id}: SetupIntent {setup_id} is {intent.get('status')}.",
            property=prop,
        )
    with transaction.atomic():
        Unit.objects.select_for_update().get(pk=unit.pk)  # one enrolment at a time per unit
        found = AutopayEnrolment.objects.filter(setup_session_id=session_id).first()
        if found is not None:
            return found
        # A newer agreement replaces one still active (two tabs): the last one saved is the one used.
        for old in AutopayEnrolment.objects.select_for_update().filter(
            unit=unit, status=AutopayStatus.ACTIVE
        ):
            _end(old, status=AutopayStatus.STOPPED, actor=None)
        enrolment = AutopayEnrolment.objects.create(
            property=prop,
            unit=unit,
            user=user,
            customer_id=str(session.get("customer") or intent.get("customer") or ""),
            payment_method_id=str(payment_method_id),
            mandate_id=str(intent.get("mandate") or ""),
            setup_session_id=session_id,
            method=kind,
            method_label=_method_label(payment_method),
        )
        audit.record(
            None,
            Verb.AUTOPAY_ENROLLED,
            enrolment,
            after={
                **audit.snapshot(enrolment, ["unit", "user", "method", "method_label"]),
                "session": session_id,
            },
        )
        _queue_resident_email(enrolment, "enrolled", key=f"autopay-enrolled:{enrolment.pk}")
        return enrolment


def sync_setup_session(*, session_id: str) -> None:
    """The resident is back from the setup page: ask Stripe now and record as the webhook would."""
    try:
        session = stripe_gateway.retrieve_checkout_session(session_id)
        if session.get("mode") == "setup":
            record_setup_completed(session)
    except (stripe_gateway.GatewayError, OnlinePaymentProblem) as exc:
        logger.warning("Setup session %s not recorded on return (the webhook will tell): %s", session_id, exc)


def _end(enrolment: AutopayEnrolment, *, status: str, actor: User | None) -> None:
    """Stop an enrolment (locked by the caller): its debits not sent yet are cancelled."""
    before = audit.snapshot(enrolment, ["status"])
    enrolment.status = status
    enrolment.stopped_at = timezone.now()
    enrolment.stopped_by = actor
    enrolment.save(update_fields=["status", "stopped_at", "stopped_by"])
    AutopayDebit.objects.filter(enrolment=enrolment, status=AutopayDebitStatus.SCHEDULED).update(
        status=AutopayDebitStatus.CANCELLED, updated_at=timezone.now()
    )
    audit.record(
        actor,
        Verb(f"autopay.{status}"),
        enrolment,
        before=before,
        after=audit.snapshot(enrolment, ["status"]),
    )


def stop_enrolment(*, actor: User, enrolment_id: int) -> AutopayEnrolment:
    """The resident stops automatic payment: nothing more is debited, even what was announced."""
    with transaction.atomic():
        enrolment = AutopayEnrolment.objects.select_for_update().filter(pk=enrolment_id).first()
        if enrolment is None or _resident_of(actor, enrolment.unit_id) is None:
            raise NotFound(_("Automatic payment not found."))
        if enrolment.status != AutopayStatus.ACTIVE:
            raise InvalidTransition(_("Automatic payment is already stopped."))
        _end(enrolment, status=AutopayStatus.STOPPED, actor=actor)
        return enrolment


def record_mandate_updated(mandate: Mapping[str, Any]) -> None:
    """``mandate.updated``: a mandate no longer active (the payer's bank cancelled it) ends its enrolment
    and the resident is told."""
    if mandate.get("status") == "active":
        return
    with transaction.atomic():
        for enrolment in AutopayEnrolment.objects.select_for_update().filter(
            mandate_id=str(mandate.get("id") or ""), status=AutopayStatus.ACTIVE
        ):
            _end(enrolment, status=AutopayStatus.REVOKED, actor=None)
            _queue_resident_email(enrolment, "revoked", key=f"autopay-revoked:{enrolment.pk}")


# --- The scheduler's job --------------------------------------------------------------------------


def run_autopay(*, now: dt.datetime) -> int:
    """Scheduled job: the notices that are due, then the debits that are due; returns how many of both."""
    done = 0
    property_ids = (
        AutopayEnrolment.objects.filter(status=AutopayStatus.ACTIVE)
        .values_list("property_id", flat=True)
        .distinct()
    )
    due_debits = AutopayDebit.objects.filter(
        status__in=[AutopayDebitStatus.SCHEDULED, AutopayDebitStatus.SUBMITTING]
    ).values_list("property_id", flat=True)
    for prop in Property.objects.filter(Q(pk__in=property_ids) | Q(pk__in=due_debits)).order_by("pk"):
        today = today_in(prop.timezone, now=now)
        for invoice_id in _invoices_to_announce(prop, today):
            try:
                if announce_debit(invoice_id=invoice_id, today=today) is not None:
                    done += 1
            except IntegrityError:
                logger.info("Autopay notice of invoice %s: made by another run", invoice_id)
        due = AutopayDebit.objects.filter(
            property=prop,
            status__in=[AutopayDebitStatus.SCHEDULED, AutopayDebitStatus.SUBMITTING],
            debit_on__lte=today,
        ).values_list("pk", flat=True)[:MAX_PER_RUN]
        for debit_id in list(due):
            try:
                if charge_debit(debit_id=debit_id, today=today):
                    done += 1
            except DomainError:
                logger.warning("Autopay debit %s not made", debit_id, exc_info=True)
    return done


def _invoices_to_announce(prop: Property, today: dt.date) -> list[int]:
    """Open invoices of enrolled units, published after the enrolment, due within ``NOTICE_DAYS`` days,
    not announced yet, with a balance; never an NSF fee (it is paid otherwise: a debit just failed)."""
    enrolled = AutopayEnrolment.objects.filter(
        unit_id=OuterRef("unit_id"), status=AutopayStatus.ACTIVE, created_at__lte=OuterRef("published_at")
    )
    return list(
        Invoice.objects.filter(
            property=prop,
            status=InvoiceStatus.OPEN,
            amount__gt=F("amount_paid"),
            due_date__lte=today + dt.timedelta(days=NOTICE_DAYS),
            autopay_debit__isnull=True,
            nsf_fee_of__isnull=True,
        )
        .filter(Exists(enrolled))
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:MAX_PER_RUN]
    )


def announce_debit(*, invoice_id: int, today: dt.date) -> AutopayDebit | None:
    """Schedule one invoice's debit and email the notice: the amount, and the date — its due date, or
    ``NOTICE_DAYS`` days from today when it is due sooner (never before the notice's 10 days)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("property", "unit").get(pk=invoice_id)
        enrolment = active_enrolment(invoice.unit_id)
        if (
            enrolment is None
            or invoice.status != InvoiceStatus.OPEN
            or invoice.amount <= invoice.amount_paid
            or AutopayDebit.objects.filter(invoice=invoice).exists()
        ):
            return None
        debit = AutopayDebit.objects.create(
            property=invoice.property,
            enrolment=enrolment,
            invoice=invoice,
            amount=invoice.amount - invoice.amount_paid,
            notice_sent_on=today,
            debit_on=max(invoice.due_date, today + dt.timedelta(days=NOTICE_DAYS)),
        )
        audit.record(
            None,
            Verb.AUTOPAY_DEBIT_ANNOUNCED,
            debit,
            after=audit.snapshot(debit, ["invoice", "amount", "debit_on"]),
        )
        _queue_resident_email(enrolment, "notice", key=f"autopay-notice:{debit.pk}", debit=debit)
        return debit


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
            title = _("Fee for a refused payment (NSF) — invoice %(invoice)s") % {"invoice": _number(invoice)}
            description = _(
                "The automatic debit of %(amount)s for invoice %(invoice)s was refused by the bank."
            ) % {"amount": format_amount(debit.amount, language), "invoice": _number(invoice)}
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
    _queue_resident_email(debit.enrolment, "failed", key=f"autopay-failed:{debit.pk}:resident", debit=debit)
    _queue_staff_failure_emails(debit, invoice)


# --- Emails ---------------------------------------------------------------------------------------


def _number(invoice: Invoice) -> str:
    return f"#{invoice.number}" if invoice.number else str(invoice.pk)


def _values(debit: AutopayDebit, language: str) -> dict[str, str]:
    invoice = debit.invoice
    return {
        "amount": format_amount(debit.amount, language),
        "date": long_date(debit.debit_on, language),
        "number": _number(invoice),
        "title": " ".join(invoice.title.split()),
        "unit": invoice.unit.number,
        "property": invoice.property.name,
        "fee": format_amount(debit.property.nsf_fee, language),
        "reason": debit.failure_reason(),
    }


# The emails' texts (gettext_lazy: rendered in the reader's language when queued).
ENROLLED_SUBJECT = gettext_lazy("Automatic payment is active — unit %(unit)s")
ENROLLED_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nAutomatic payment is now active for unit %(unit)s. Each invoice published from "
    "now on will be debited on its due date; you will receive the amount and the date at least 10 days "
    "before each debit. You can stop it at any time from the portal.\n\n%(property)s"
)
NOTICE_SUBJECT = gettext_lazy("Upcoming automatic debit: %(amount)s on %(date)s")
NOTICE_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nAs agreed, %(amount)s will be debited on %(date)s for invoice %(number)s "
    "(%(title)s), unit %(unit)s. Nothing to do: you may still pay it otherwise before that date, or stop "
    "automatic payment from the portal.\n\n%(property)s"
)
FAILED_SUBJECT = gettext_lazy("Automatic debit refused — invoice %(number)s")
FAILED_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nThe automatic debit of %(amount)s for invoice %(number)s (%(title)s), unit "
    "%(unit)s, was refused (%(reason)s). The invoice is still due: please pay it from the portal."
)
FEE_TEXT = gettext_lazy("A fee for a refused payment of %(fee)s was billed.")
REVOKED_SUBJECT = gettext_lazy("Automatic payment stopped — unit %(unit)s")
REVOKED_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nYour bank cancelled the pre-authorized debit agreement of unit %(unit)s: "
    "automatic payment is stopped and nothing more will be debited. Your invoices are still due; you can "
    "pay them from the portal or enrol again.\n\n%(property)s"
)
STAFF_FAILED_SUBJECT = gettext_lazy("Automatic debit refused — unit %(unit)s, invoice %(number)s")
STAFF_FAILED_TEXT = gettext_lazy(
    "The automatic debit of %(amount)s for invoice %(number)s (%(title)s), unit %(unit)s, was refused "
    "(%(reason)s). The invoice is open with its balance due; the resident has been told."
)
RESIDENT_EMAILS = {
    "enrolled": (ENROLLED_SUBJECT, ENROLLED_TEXT),
    "notice": (NOTICE_SUBJECT, NOTICE_TEXT),
    "failed": (FAILED_SUBJECT, FAILED_TEXT),
    "revoked": (REVOKED_SUBJECT, REVOKED_TEXT),
}


def _queue_resident_email(
    enrolment: AutopayEnrolment, what: str, *, key: str, debit: AutopayDebit | None = None
) -> None:
    resident = _resident_of(enrolment.user, enrolment.unit_id)
    to = (resident.email if resident and resident.email else "") or enrolment.user.email
    if not to:
        return
    candidates = (resident.language if resident else "", enrolment.user.language, enrolment.property.language)
    language = next((c for c in candidates if c in LANGUAGES), "fr")
    with translation.override(language):
        values = {
            "name": resident.name if resident else enrolment.user.email,
            "unit": enrolment.unit.number,
            "property": enrolment.property.name,
        }
        if debit is not None:
            values.update(_values(debit, language))
        subject_text, body_text = RESIDENT_EMAILS[what]
        subject = str(subject_text) % values
        text = str(body_text) % values
        if what == "failed":
            if debit is not None and debit.nsf_invoice_id:
                text += " " + str(FEE_TEXT) % values
            text += "\n\n" + values["property"]
        if what == "enrolled":
            text += "\n\n" + pad_agreement_text(enrolment.property)
    link = (
        invoice_link(debit.invoice)
        if debit is not None
        else f"{settings.SITE_URL}{reverse('portal:autopay')}"
    )
    queue_email(
        key=key,
        kind=f"autopay_{what}",
        to=to,
        subject=subject,
        text=f"{text}\n{link}\n",
        language=language,
        property=enrolment.property,
        invoice=debit.invoice if debit is not None else None,
    )


def _queue_staff_failure_emails(debit: AutopayDebit, invoice: Invoice) -> None:
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.RECORD_PAYMENT in actions]
    link = f"{settings.SITE_URL}{reverse('invoicing:detail', args=[invoice.property_id, invoice.pk])}"
    staff = Membership.objects.filter(property_id=invoice.property_id, role__in=roles).select_related("user")
    for membership in staff.order_by("user_id"):
        user = membership.user
        if not user.email or not user.is_active:
            continue
        language = user.language if user.language in LANGUAGES else "fr"
        with translation.override(language):
            values = _values(debit, language)
            subject = str(STAFF_FAILED_SUBJECT) % values
            text = str(STAFF_FAILED_TEXT) % values
            if debit.nsf_invoice_id:
                text += " " + str(FEE_TEXT) % values
            text += "\n\n" + values["property"]
        queue_email(
            key=f"autopay-failed:{debit.pk}:staff:{user.pk}",
            kind="autopay_failed_staff",
            to=user.email,
            subject=subject,
            text=f"{text}\n{link}\n",
            language=language,
            property=invoice.property,
            invoice=invoice,
        )


def pad_agreement_text(prop: Property) -> str:
    """The PAD agreement the resident accepts before enrolling (Payments Canada Rule H1), in the active
    language: shown on the page, and sent with the enrolment's confirmation."""
    return _(
        "Pre-authorized debit agreement. I authorize %(payee)s, and the financial institution it "
        "designates, to debit my account for the invoices of my unit published on the Logis portal, "
        "each on its due date, for the amount of the invoice. This is a personal, sporadic PAD. I will "
        "receive written notice of the amount and date of each debit at least 10 calendar days before it. "
        "I may cancel this agreement at any time from the portal or by notifying %(payee)s; cancelling "
        "does not cancel what I owe. I have certain recourse rights if a debit does not comply with this "
        "agreement: for example, the right to receive reimbursement for any debit that is not authorized "
        "or is not consistent with this agreement. To obtain more information on my recourse rights, I "
        "may contact my financial institution or visit www.payments.ca."
    ) % {"payee": prop.legal_name or prop.name}
