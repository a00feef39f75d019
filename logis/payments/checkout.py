"""Online payments through Stripe Checkout: opening a session for an invoice's balance due, and closing
the sessions still open when that balance changes.

The other halves: ``stripe_events`` records what Stripe reports (webhooks, the payer's return),
``online_refunds`` gives money back through the API; ``availability`` says whether any of it is offered.
Without ``STRIPE_SECRET_KEY`` the very same code runs against the local fake of Stripe mounted in Logis
(demo mode, ``stripe_gateway.demo_mode()``); nothing here branches on it but a note on the payment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.money import format_amount
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import stripe_gateway
from logis.payments.availability import online_methods, online_payment_available
from logis.payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    PayLink,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from logis.properties.models import Occupancy, PaymentMethod, Property

logger = logging.getLogger(__name__)

CURRENCY = "cad"


class PaymentProviderUnavailable(InvalidTransition):
    """Stripe could not be reached, or refused the request: nothing was charged or recorded."""


class OnlinePaymentProblem(DomainError):
    """What Stripe reports does not match what Logis asked for (unknown invoice or session, another
    amount): recorded as a problem for a person to look at, never as a payment."""

    def __init__(self, message: str, *, property: Property | None = None) -> None:
        super().__init__(message)
        self.property = property


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(value: Any) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def pending_online_payment(invoice: Invoice) -> Payment | None:
    """A pre-authorized debit started and not cleared yet: the invoice must not be paid twice."""
    return (
        Payment.objects.filter(invoice=invoice, kind=PaymentKind.PAYMENT, status=PaymentStatus.PENDING)
        .order_by("-id")
        .first()
    )


def debit_clearing(invoice_ids: list[int]) -> bool:
    """A « Payer le solde » pre-authorized debit covering one of these invoices completed and not cleared
    yet (decision 0036): its remittance is recorded when it clears; paying them again meanwhile would
    pay twice."""
    return CheckoutSession.objects.filter(
        lines__invoice_id__in=invoice_ids,
        status=CheckoutSessionStatus.COMPLETE,
        payment_status="unpaid",
    ).exists()


# --- Opening a Checkout Session -------------------------------------------------------------------


MINIMUM_ONLINE = Decimal("1.00")


def start_checkout(
    *, invoice_id: int, user: User, success_url: str, cancel_url: str, amount: Decimal | None = None
) -> str:
    """Open a Stripe Checkout Session for the balance due (or ``amount``, part of it: at least 1 $) of a
    published invoice of the user's unit.

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
    return _open_checkout(
        invoice=invoice,
        user=user,
        email=user.email,
        amount=amount,
        success_url=success_url,
        cancel_url=cancel_url,
    )


def start_link_checkout(*, link: PayLink, amount: Decimal | None, success_url: str, cancel_url: str) -> str:
    """The same, for whoever holds a valid « Voir et payer » link of the invoice (no account: decision
    0025); the receipt goes to the unit's residents as for any payment."""
    invoice = (
        Invoice.objects.visible_to_residents()
        .select_related("property", "unit")
        .filter(pk=link.invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound(_("This invoice does not exist."))
    return _open_checkout(
        invoice=invoice,
        user=None,
        email=link.sent_to,
        amount=amount,
        success_url=success_url,
        cancel_url=cancel_url,
    )


def _open_checkout(
    *,
    invoice: Invoice,
    user: User | None,
    email: str,
    amount: Decimal | None,
    success_url: str,
    cancel_url: str,
) -> str:
    property = invoice.property
    if not online_payment_available(property):
        raise PermissionDenied(_("This property does not accept online payment."))
    balance = invoice.amount - invoice.amount_paid
    if invoice.status != InvoiceStatus.OPEN or balance <= 0:
        raise InvalidTransition(_("Only a published invoice with a balance due can be paid."))
    if pending_online_payment(invoice) is not None or debit_clearing([invoice.pk]):
        raise InvalidTransition(_("A payment of this invoice is being processed: wait until it clears."))
    # Part of the balance may be paid online (issue 13); no fee is ever added for the payer.
    to_pay = balance if amount is None else amount
    if to_pay < MINIMUM_ONLINE:
        raise ValidationError(
            {
                "amount": _("The least that can be paid online is %(minimum)s.")
                % {"minimum": format_amount(MINIMUM_ONLINE)}
            }
        )
    if to_pay > balance:
        raise ValidationError(
            {
                "amount": _("This is more than the balance due (%(balance)s).")
                % {"balance": format_amount(balance)}
            }
        )
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
                    "unit_amount": cents(to_pay),
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
    if email:
        params["customer_email"] = email
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
    fingerprint = json.dumps(
        [invoice.pk, user.pk if user else None, cents(balance), cents(to_pay), attempts, closed, params],
        sort_keys=True,
    )
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
            to_pay
        )
        if not overpays:
            _record_session(session, invoice=invoice, user=user, balance=to_pay, methods=methods)
    if overpays:
        # Closed at once, outside the transaction (no call to Stripe while the invoice is locked).
        _expire_sessions([str(session["id"])])
        raise InvalidTransition(
            _("The balance due of this invoice has just changed: reload the page to pay what is left.")
        )
    return str(session["url"])


def _record_session(
    session: Mapping[str, Any], *, invoice: Invoice, user: User | None, balance: Decimal, methods: list[str]
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
            Verb.PAYMENT_CHECKOUT_STARTED,
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
    # A « Payer le solde » session names its invoices in its lines (decision 0036): it asks for their
    # balances too, so it closes when any of them changes.
    ids = list(
        CheckoutSession.objects.filter(
            Q(invoice_id__in=invoice_ids) | Q(lines__invoice_id__in=invoice_ids),
            status=CheckoutSessionStatus.OPEN,
            created_at__gte=since,
        )
        .exclude(session_id=keep)
        .values_list("session_id", flat=True)
        .distinct()
    )
    _expire_sessions(ids)


def balance_changed(invoice_id: int, *, keep: str = "") -> None:
    """Called in the transaction that changes an invoice's balance (a payment, a reversal, a refund, a
    void): once it commits, its open Checkout Sessions are expired. After the commit, so that no call
    to Stripe holds the invoice's lock; a session paid in between is the webhook's excess case."""
    transaction.on_commit(lambda: expire_open_checkouts(invoice_ids=[invoice_id], keep=keep))
