"""Online payments through Stripe Checkout: open a session for an invoice's balance due, record what
Stripe reports (by webhook or when the payer comes back), refund through the API.

Stripe may tell us the same thing several times and at the same time (a webhook redelivered, the payer's
return racing the webhook): every recording locks the invoice first and looks for the payment by its
PaymentIntent id (unique with the kind), so one payment is recorded whatever the order.

Without ``STRIPE_SECRET_KEY`` the very same code runs against the local fake of Stripe mounted in Logis
(demo mode, ``stripe_gateway.demo_mode()``); nothing here branches on it but a note on the payment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.dates import today_in
from logis.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import stripe_gateway
from logis.payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    WebhookEvent,
)
from logis.properties.models import ONLINE_METHODS, Occupancy, PaymentMethod, Property, Unit

logger = logging.getLogger(__name__)

CURRENCY = "cad"
_INVOICE_FIELDS = ["status", "amount_paid", "paid_at"]
COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
CHARGE_REFUNDED = "charge.refunded"


class PaymentProviderUnavailable(InvalidTransition):
    """Stripe could not be reached, or refused the request: nothing was charged or recorded."""


class OnlinePaymentProblem(DomainError):
    """What Stripe reports does not match what Logis asked for (unknown invoice or session, another
    amount): recorded as a problem for a person to look at, never as a payment."""

    def __init__(self, message: str, *, property: Property | None = None) -> None:
        super().__init__(message)
        self.property = property


def demo_mode() -> bool:
    """Online payment runs through the local fake (no real payment): say so wherever it is offered."""
    return stripe_gateway.demo_mode()


def online_methods(property: Property) -> list[str]:
    """The online methods the property accepts, card first: the Checkout Session offers these."""
    accepted = set(property.accepted_methods or [])
    return [str(m.value) for m in ONLINE_METHODS if m.value in accepted]


def online_payment_available(property: Property) -> bool:
    """Payments enabled, card or pre-authorized debit accepted, and Stripe (or the demo) configured."""
    return bool(property.payments_enabled and online_methods(property) and stripe_gateway.configured())


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _from_cents(value: Any) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def pending_online_payment(invoice: Invoice) -> Payment | None:
    """A pre-authorized debit started and not cleared yet: the invoice must not be paid twice."""
    return (
        Payment.objects.filter(invoice=invoice, kind=PaymentKind.PAYMENT, status=PaymentStatus.PENDING)
        .order_by("-id")
        .first()
    )


# --- Opening a Checkout Session -------------------------------------------------------------------


def start_checkout(*, invoice_id: int, user: User, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout Session for the balance due of a published invoice of the user's unit.

    ``success_url`` may contain ``{CHECKOUT_SESSION_ID}`` (Stripe fills it in). Returns the URL of the
    hosted payment page. A second call for the same balance gives back the same session (idempotency key).
    """
    # What residents never see (drafts, drafts voided unpublished, other units) does not exist for them.
    invoice = (
        Invoice.objects.visible_to_residents()
        .select_related("property", "unit")
        .filter(pk=invoice_id)
        .first()
    )
    if (
        invoice is None
        or not user.is_authenticated
        or not Occupancy.objects.filter(unit_id=invoice.unit_id, resident__user=user).exists()
    ):
        raise NotFound(_("This invoice does not exist."))
    property = invoice.property
    if not online_payment_available(property):
        raise PermissionDenied(_("This property does not accept online payment."))
    balance = invoice.amount - invoice.amount_paid
    if invoice.status != InvoiceStatus.OPEN or balance <= 0:
        raise InvalidTransition(_("Only a published invoice with a balance due can be paid."))
    if pending_online_payment(invoice) is not None:
        raise InvalidTransition(_("A payment of this invoice is being processed: wait until it clears."))
    methods = online_methods(property)
    number = f"#{invoice.number} " if invoice.number else ""
    metadata = {"invoice_id": str(invoice.pk), "property_id": str(property.pk), "unit": invoice.unit.number}
    params: dict[str, Any] = {
        "mode": "payment",
        "payment_method_types": methods,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": cents(balance),
                    "product_data": {"name": f"{number}{invoice.title}"[:250]},
                },
            }
        ],
        "client_reference_id": str(invoice.pk),
        "metadata": metadata,
        "payment_intent_data": {
            "metadata": metadata,
            "description": f"{property.name} — {invoice.unit.number} — {number}{invoice.title}"[:500],
        },
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": "fr" if (translation.get_language() or "fr").startswith("fr") else "en",
    }
    if user.email:
        params["customer_email"] = user.email
    if PaymentMethod.PAD.value in methods:
        params["payment_method_options"] = {
            "acss_debit": {
                "currency": CURRENCY,
                "mandate_options": {"payment_schedule": "sporadic", "transaction_type": "personal"},
            }
        }
    # Same invoice, balance, payer and history: same key, so a double click opens one session. A failed
    # debit adds a payment record, which changes the key and lets the person try again.
    attempts = Payment.objects.filter(invoice=invoice).count()
    closed = CheckoutSession.objects.filter(invoice=invoice, status=CheckoutSessionStatus.EXPIRED).count()
    fingerprint = json.dumps([invoice.pk, user.pk, cents(balance), attempts, closed, params], sort_keys=True)
    key = "logis-checkout-" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
    try:
        session = stripe_gateway.create_checkout_session(params=params, idempotency_key=key)
    except stripe_gateway.GatewayError as exc:
        logger.warning("Checkout Session for invoice %s refused: %s", invoice.pk, exc)
        raise PaymentProviderUnavailable(
            _("Online payment is unavailable right now; nothing was charged. Try again in a few minutes.")
        ) from exc
    with transaction.atomic():
        # Under the invoice's lock (the one every payment takes): a payment recorded while Stripe
        # was opening this session lowered the balance, and paying this session would overpay.
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        overpays = locked.status != InvoiceStatus.OPEN or cents(locked.amount - locked.amount_paid) < cents(
            balance
        )
        if not overpays:
            _record_session(session, invoice=invoice, user=user, balance=balance, methods=methods)
    if overpays:
        # Closed at once, outside the transaction (no call to Stripe while the invoice is locked).
        _expire_sessions([str(session["id"])])
        raise InvalidTransition(
            _("The balance due of this invoice has just changed: reload the page to pay what is left.")
        )
    return str(session["url"])


def _record_session(
    session: Mapping[str, Any], *, invoice: Invoice, user: User, balance: Decimal, methods: list[str]
) -> None:
    """The session Logis opened: what the payer was asked to pay (checked against Stripe's reports)."""
    property = invoice.property
    row, created = CheckoutSession.objects.get_or_create(
        session_id=session["id"],
        defaults={
            "property": property,
            "invoice": invoice,
            "user": user,
            "amount": balance,
            "currency": CURRENCY,
            "payment_method_types": methods,
            "url": str(session.get("url") or "")[:2000],
            "demo": stripe_gateway.demo_mode(),
        },
    )
    if created:
        # On the session, not the invoice: opening the payment page changes nothing on the invoice.
        audit.record(
            user,
            "payment.checkout_started",
            row,
            property=property,
            after={"invoice": invoice.pk, "amount": balance, "methods": methods, "demo": row.demo},
        )


# --- Closing the payment pages of an invoice whose balance changed --------------------------------

# Stripe closes a Checkout Session by itself after 24 hours: older ones need no call.
SESSION_LIFETIME = dt.timedelta(hours=24)


def _expire_sessions(session_ids: list[str]) -> None:
    """Ask Stripe to expire each session and record what it then is. A session Stripe will not expire
    (paid meanwhile) is left to the webhook, which records its payment; an excess becomes credit."""
    for session_id in session_ids:
        try:
            stripe_gateway.expire_checkout_session(session_id)
            status = CheckoutSessionStatus.EXPIRED
        except stripe_gateway.GatewayError as exc:
            logger.warning("Checkout Session %s not expired: %s", session_id, exc)
            try:
                found = stripe_gateway.retrieve_checkout_session(session_id)
            except stripe_gateway.GatewayError:
                continue
            if found.get("status") != "expired":
                continue
            status = CheckoutSessionStatus.EXPIRED
        CheckoutSession.objects.filter(session_id=session_id, status=CheckoutSessionStatus.OPEN).update(
            status=status, updated_at=timezone.now()
        )


def expire_open_checkouts(*, invoice_ids: list[int], keep: str = "") -> None:
    """Close the payment pages still open for these invoices (all but ``keep``): what they ask for is
    no longer the balance due, and paying one would charge the resident twice."""
    since = timezone.now() - SESSION_LIFETIME
    ids = list(
        CheckoutSession.objects.filter(
            invoice_id__in=invoice_ids, status=CheckoutSessionStatus.OPEN, created_at__gte=since
        )
        .exclude(session_id=keep)
        .values_list("session_id", flat=True)
    )
    _expire_sessions(ids)


def balance_changed(invoice_id: int, *, keep: str = "") -> None:
    """Called in the transaction that changes an invoice's balance (a payment, a reversal, a refund, a
    void): once it commits, its open Checkout Sessions are expired. After the commit, so that no call
    to Stripe holds the invoice's lock; a session paid in between is the webhook's excess case."""
    transaction.on_commit(lambda: expire_open_checkouts(invoice_ids=[invoice_id], keep=keep))


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
    from logis.payments.credits import add_credit
    from logis.payments.models import CreditKind

    before = audit.snapshot(invoice, _INVOICE_FIELDS)
    applicable = invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
    balance = invoice.amount - invoice.amount_paid if applicable else Decimal("0.00")
    applied = min(payment.amount, max(balance, Decimal("0.00")))
    if applied > 0:
        # Other pages still open for this invoice (a co-owner's, another tab's) now ask too much.
        balance_changed(invoice.pk, keep=payment.provider_session_id)
        invoice.amount_paid += applied
        if invoice.amount_paid == invoice.amount:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = timezone.now()
        invoice.save(update_fields=[*_INVOICE_FIELDS, "updated_at"])
    excess = payment.amount - applied
    if excess > 0:
        with translation.override(invoice.property.language):
            if invoice.status == InvoiceStatus.VOID:
                kind = CreditKind.VOIDED_INVOICE
                reason = _("Online payment of a voided invoice (%(invoice)s)") % {"invoice": str(invoice)}
            else:
                kind = CreditKind.OVERPAYMENT
                reason = _("Online payment above the balance due (%(invoice)s)") % {"invoice": str(invoice)}
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
        "invoice.payment_applied",
        invoice,
        before=before,
        after={**audit.snapshot(invoice, _INVOICE_FIELDS), "payment": payment.pk, "credit": excess},
    )
    from logis.notifications.services import queue_payment_receipt_email

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
    from django.conf import settings
    from django.urls import reverse

    from logis.accounts.models import Membership
    from logis.core.permissions import ROLE_ACTIONS
    from logis.notifications.services import LANGUAGES, invoice_link, primary_resident, queue_email
    from logis.properties.models import Resident

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
    ) or primary_resident(invoice)
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
    link = f"{settings.SITE_URL}{reverse('invoicing:detail', args=[invoice.property_id, invoice.pk])}"
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


def overpayments_to_refund(invoice: Invoice) -> list[tuple[Payment, Decimal]]:
    """The online payments of this invoice that left money in the unit's credit not given back yet,
    each with what can be refunded to the card now (at most the unit's credit and what is left on the
    payment): the « needs doing » of a double charge."""
    from logis.payments.credits import credit_balance
    from logis.payments.models import CreditKind, UnitCredit

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
        amount = min(left, available, original.amount - _refunded_so_far(original))
        if amount > 0 and refundable_online(original):
            found.append((original, amount))
    return found


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
        if amount_total is None or _from_cents(amount_total) != row.amount or currency != row.currency:
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
                "payment.online_" + status,
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
                "payment.online_" + payment.status,
                payment,
                before={"status": PaymentStatus.PENDING},
                after={"status": payment.status, "event": event_type},
            )
        payment.invoice = invoice
        if payment.status == PaymentStatus.SUCCEEDED:
            _apply_to_invoice(payment, invoice)
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


# --- Refunds --------------------------------------------------------------------------------------


def _refunded_so_far(original: Payment) -> Decimal:
    total = Decimal("0.00")
    for returned in original.reversals.filter(status=PaymentStatus.SUCCEEDED):
        total += returned.amount
    return total


def _split_refund(original: Payment, invoice: Invoice, amount: Decimal) -> tuple[Decimal, Decimal]:
    """Where a refund comes from: first the unit credit this payment created (its excess over the
    balance, or all of it on a voided invoice) and not yet given back, then what the invoice holds.
    Whatever neither holds any more (that credit spent meanwhile) comes off the unit's credit too."""
    from logis.payments.models import UnitCredit

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
    from logis.payments.models import CreditKind, UnitCredit

    unit = Unit.objects.select_for_update().get(pk=refund.unit_id)
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
        "unit.credit_refunded",
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
        amount = _from_cents(refund["amount"])
        before = audit.snapshot(invoice, _INVOICE_FIELDS)
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
        from_credit, from_invoice = _split_refund(original, invoice, amount)
        if from_invoice > 0:
            balance_changed(invoice.pk)
            invoice.amount_paid -= from_invoice
            if invoice.status == InvoiceStatus.PAID:
                invoice.status = InvoiceStatus.OPEN
                invoice.paid_at = None
            invoice.save(update_fields=[*_INVOICE_FIELDS, "updated_at"])
        if from_credit > 0:
            _take_back_credit(payment, invoice, from_credit, note=note, actor=actor)
        audit.record(
            actor,
            "payment.refunded",
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
            "invoice.payment_refunded",
            invoice,
            before=before,
            after=audit.snapshot(invoice, _INVOICE_FIELDS),
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


def refund_online_payment(
    *, property: Property, payment_id: int, actor: User, amount: Decimal | None = None, reason: str
) -> Payment:
    """Give back (part of) an online payment through Stripe: a refund record lowers what the invoice has
    received and reopens it if it was paid. The ``charge.refunded`` webhook then finds it recorded."""
    require(actor, Action.RECORD_PAYMENT, property)
    original = Payment.objects.filter(pk=payment_id, property=property).first()
    if original is None:
        raise NotFound(_("This payment does not exist."))
    if not refundable_online(original):
        raise InvalidTransition(_("Only a received online payment can be refunded through Stripe."))
    left = original.amount - _refunded_so_far(original)
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


# --- Webhook events -------------------------------------------------------------------------------


def _record_problem(message: str, *, property: Property | None, obj: models.Model | None) -> None:
    logger.warning("Stripe: %s", message)
    if obj is not None:
        audit.record(None, "payment.online_problem", obj, property=property, after={"detail": message})


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
