"""Autopay: a resident enrols a unit once (a Canadian pre-authorized debit mandate or a card, saved by
Stripe Checkout in setup mode); each invoice of that unit published afterwards is announced by email at
least ``NOTICE_DAYS`` calendar days ahead (Payments Canada Rule H1) and debited off-session on its due
date, never before, once (docs/decisions/0031).

- ``start_enrolment`` opens the setup Checkout; ``record_setup_completed`` (the webhook or the resident's
  return) saves the enrolment; ``stop_enrolment`` (the resident) and ``record_mandate_updated`` (the bank,
  through Stripe) end it.
- ``run_autopay`` is the scheduler's job (``payments.autopay``): notices, then the debits that are due.
- ``autopay_debits.record_intent`` records what Stripe says of a debit's PaymentIntent (the API's answer, the
  ``payment_intent.*`` webhooks), once whatever the order: a debit still clearing is a PENDING payment
  that moves no money (``settle`` runs only when it succeeds); a failed one emails the resident and the
  managers and bills the property's NSF fee.
- ``autopay_mail``: the resident's and the managers' emails, and the PAD agreement's text.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import DomainError, InvalidTransition, NotFound, ValidationError
from logis.core.permissions import Action, require
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import stripe_gateway
from logis.payments.autopay_debits import charge_debit
from logis.payments.autopay_mail import queue_resident_email, resident_of
from logis.payments.availability import online_payment_available
from logis.payments.checkout import CURRENCY, OnlinePaymentProblem
from logis.payments.models import (
    AutopayDebit,
    AutopayDebitStatus,
    AutopayEnrolment,
    AutopayStatus,
)
from logis.properties.models import PaymentMethod, Property, Unit

logger = logging.getLogger(__name__)

# Payments Canada Rule H1: the amount and the date of each debit, at least this many calendar days before.
NOTICE_DAYS = 10
AUTOPAY_METHODS = (PaymentMethod.PAD, PaymentMethod.CARD)
MAX_PER_RUN = 500
REASON_MAX = 500


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


def start_enrolment(
    *,
    user: User,
    unit_id: int,
    method: str,
    success_url: str,
    cancel_url: str,
    include_open: bool = False,
) -> str:
    """Open a Stripe Checkout in setup mode that saves ``method`` for ``unit_id``; returns its address.

    The resident must live in the unit (else NotFound), have accepted the PAD agreement on our page first
    (the view's checkbox), and the unit must not be enrolled already. ``include_open``: the resident
    ticked « Inclure les factures déjà ouvertes » (decision 0038), carried by the session's metadata."""
    resident = resident_of(user, unit_id)
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
                "include_open": "1" if include_open else "0",
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
    if resident_of(user, unit.pk) is None:
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
            include_open=metadata.get("include_open") == "1",
        )
        audit.record(
            None,
            Verb.AUTOPAY_ENROLLED,
            enrolment,
            after={
                **audit.snapshot(enrolment, ["unit", "user", "method", "method_label", "include_open"]),
                "session": session_id,
            },
        )
        queue_resident_email(enrolment, "enrolled", key=f"autopay-enrolled:{enrolment.pk}")
        return enrolment


def sync_setup_session(*, session_id: str) -> None:
    """The resident is back from the setup page: ask Stripe now and record as the webhook would."""
    try:
        session = stripe_gateway.retrieve_checkout_session(session_id)
        if session.get("mode") == "setup":
            record_setup_completed(session)
    except (stripe_gateway.GatewayError, OnlinePaymentProblem) as exc:
        logger.warning("Setup session %s not recorded on return (the webhook will tell): %s", session_id, exc)


def _end(enrolment: AutopayEnrolment, *, status: str, actor: User | None, reason: str = "") -> None:
    """Stop an enrolment (locked by the caller): its debits not sent yet are cancelled."""
    before = audit.snapshot(enrolment, ["status"])
    enrolment.status = status
    enrolment.stopped_at = timezone.now()
    enrolment.stopped_by = actor
    enrolment.save(update_fields=["status", "stopped_at", "stopped_by"])
    AutopayDebit.objects.filter(enrolment=enrolment, status=AutopayDebitStatus.SCHEDULED).update(
        status=AutopayDebitStatus.CANCELLED, updated_at=timezone.now()
    )
    after: dict[str, Any] = audit.snapshot(enrolment, ["status"])
    if reason:
        after["reason"] = reason
    audit.record(actor, Verb(f"autopay.{status}"), enrolment, before=before, after=after)


def stop_enrolment(*, actor: User, enrolment_id: int) -> AutopayEnrolment:
    """The resident stops automatic payment: nothing more is debited, even what was announced."""
    with transaction.atomic():
        enrolment = AutopayEnrolment.objects.select_for_update().filter(pk=enrolment_id).first()
        if enrolment is None or resident_of(actor, enrolment.unit_id) is None:
            raise NotFound(_("Automatic payment not found."))
        if enrolment.status != AutopayStatus.ACTIVE:
            raise InvalidTransition(_("Automatic payment is already stopped."))
        _end(enrolment, status=AutopayStatus.STOPPED, actor=actor)
        return enrolment


def stop_enrolment_for_unit(
    *, actor: User, property: Property, enrolment_id: int, reason: str
) -> AutopayEnrolment:
    """A manager stops a unit's automatic payment (the resident asked by phone, the unit was sold, a
    dispute): nothing more is debited, even what was announced; the resident is told why by email."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Enter the reason: the resident receives it by email.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("The reason may have at most %(max)d characters.") % {"max": REASON_MAX}}
        )
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        enrolment = (
            AutopayEnrolment.objects.select_for_update(of=("self",))
            .select_related("unit", "property", "user")
            .filter(pk=enrolment_id, property=property)
            .first()
        )
        if enrolment is None:
            raise NotFound(_("Automatic payment not found."))
        if enrolment.status != AutopayStatus.ACTIVE:
            raise InvalidTransition(_("Automatic payment is already stopped."))
        _end(enrolment, status=AutopayStatus.STOPPED, actor=actor, reason=reason)
        queue_resident_email(
            enrolment, "stopped_by_manager", key=f"autopay-stopped:{enrolment.pk}", reason=reason
        )
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
            queue_resident_email(enrolment, "revoked", key=f"autopay-revoked:{enrolment.pk}")


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
        for invoice_id in _invoices_to_announce(prop, today, methods=autopay_methods(prop)):
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


def _invoices_to_announce(prop: Property, today: dt.date, *, methods: list[str]) -> list[int]:
    """Open invoices of enrolled units, published after the enrolment (or any still open when the resident
    included them, decision 0038), due within ``NOTICE_DAYS`` days, not announced yet, with a balance;
    never an NSF fee (it is paid otherwise: a debit just failed). Only enrolments whose method the
    property still takes online (``methods``): while it takes none, no new debit is announced (what was
    announced is still debited as announced, decision 0038)."""
    if not methods:
        return []
    enrolled = AutopayEnrolment.objects.filter(
        unit_id=OuterRef("unit_id"), status=AutopayStatus.ACTIVE, method__in=methods
    ).filter(Q(created_at__lte=OuterRef("published_at")) | Q(include_open=True))
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
            or enrolment.method not in autopay_methods(invoice.property)
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
        queue_resident_email(enrolment, "notice", key=f"autopay-notice:{debit.pk}", debit=debit)
        return debit
