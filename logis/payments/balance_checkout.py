"""« Payer le solde »: one Stripe Checkout for several open invoices of a unit, recorded as one remittance
(docs/decisions/0036, after 0032).

- ``start_balance_checkout`` opens one Checkout Session for the invoices the resident chose (all of the
  unit's open invoices by default), one line per invoice at its balance; the session row names no invoice,
  its ``CheckoutSessionInvoice`` lines do (so ``checkout.expire_open_checkouts`` closes it when any of
  their balances changes).
- ``record_balance_payment`` is what ``stripe_events.record_online_payment`` hands such a session to (the
  webhook, its redeliveries and the payer's return all end here): once Stripe says the money is paid, ONE
  ``Remittance`` (unique by PaymentIntent) whose shares are applied by imputation (art. 1569–1572) over
  the chosen invoices as they are now; what they no longer need (paid meanwhile, voided) is unit credit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.money import format_amount
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import EntryKind
from logis.payments import stripe_gateway
from logis.payments.availability import online_methods, online_payment_available
from logis.payments.checkout import (
    CURRENCY,
    MINIMUM_ONLINE,
    OnlinePaymentProblem,
    PaymentProviderUnavailable,
    _expire_sessions,
    cents,
    debit_clearing,
    from_cents,
    pending_online_payment,
)
from logis.payments.credits import add_credit
from logis.payments.debit_failed_mail import queue_checkout_debit_failed_emails
from logis.payments.imputation import Debt, impute
from logis.payments.models import (
    CheckoutSession,
    CheckoutSessionInvoice,
    CheckoutSessionStatus,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    Remittance,
)
from logis.payments.receipts import queue_remittance_receipt_email
from logis.payments.remittances import open_invoices
from logis.payments.settlement import SETTLED_FIELDS, settle
from logis.properties.models import PaymentMethod, Unit

logger = logging.getLogger(__name__)

COMPLETED = "checkout.session.completed"
ASYNC_FAILED = "checkout.session.async_payment_failed"
FAILED = "failed"  # our mark on a session whose debit failed (Stripe leaves it "unpaid")


def resident_unit(*, user: User, unit_id: int) -> Unit | None:
    """The unit if the user is one of its residents; None otherwise (another unit does not exist)."""
    if not user.is_authenticated:
        return None
    return (
        Unit.objects.filter(pk=unit_id, occupancies__resident__user=user)
        .select_related("property")
        .distinct()
        .first()
    )


def balance_pending(invoice_ids: list[int]) -> bool:
    """A payment of some of these invoices is clearing (a pre-authorized debit): pay nothing twice."""
    ids = invoice_ids
    return (
        debit_clearing(ids)
        or Payment.objects.filter(
            invoice_id__in=ids, kind=PaymentKind.PAYMENT, status=PaymentStatus.PENDING
        ).exists()
    )


def start_balance_checkout(
    *, unit_id: int, user: User, invoice_ids: Sequence[int], success_url: str, cancel_url: str
) -> str:
    """Open one Checkout Session for the balances of the chosen open invoices of the user's unit (all of
    them when none was unticked: the default rule of imputation; a subset is the payer's designation,
    art. 1569). No fee is added. Returns the URL of the hosted payment page; the same choice twice gives
    back the same session (idempotency key)."""
    unit = resident_unit(user=user, unit_id=unit_id)
    if unit is None:
        raise NotFound(_("This unit does not exist."))
    property = unit.property
    if not online_payment_available(property):
        raise PermissionDenied(_("This property does not accept online payment."))
    invoices = open_invoices(unit=unit)
    wanted = list(dict.fromkeys(int(i) for i in invoice_ids))
    if not wanted:
        raise ValidationError({"invoices": _("Choose at least one invoice to pay.")})
    open_ids = {i.pk for i in invoices}
    if any(pk not in open_ids for pk in wanted):
        raise ValidationError(
            {"invoices": _("An invoice you chose is no longer open. Review the list and try again.")}
        )
    # In the order of the rule (fees first, then oldest due): the lines of the payment page too.
    chosen = [i for i in invoices if i.pk in set(wanted)]
    designated = len(chosen) < len(invoices)
    if debit_clearing(wanted) or any(pending_online_payment(i) is not None for i in chosen):
        raise InvalidTransition(_("A payment of these invoices is being processed: wait until it clears."))
    total = sum((i.amount - i.amount_paid for i in chosen), start=Decimal("0.00"))
    if total < MINIMUM_ONLINE:
        raise ValidationError(
            {
                "invoices": _("The least that can be paid online is %(minimum)s.")
                % {"minimum": format_amount(MINIMUM_ONLINE)}
            }
        )
    methods = online_methods(property)
    metadata = {
        "balance": "1",
        "unit_id": str(unit.pk),
        "property_id": str(property.pk),
        "unit": unit.number,
        "invoices": ",".join(str(i.pk) for i in chosen)[:500],
    }
    params: dict[str, Any] = {
        "mode": "payment",
        "payment_method_types": methods,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": cents(i.amount - i.amount_paid),
                    "product_data": {"name": f"#{i.number} {i.title}"[:250]},
                },
            }
            for i in chosen
        ],
        "client_reference_id": f"unit-{unit.pk}",
        "metadata": metadata,
        "payment_intent_data": {
            "metadata": metadata,
            "description": f"{property.name} — {unit.number} — {len(chosen)} invoice(s)"[:500],
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
    # Same invoices, balances, payer and history: same key (a double click opens one session); a payment
    # or a session closed since (expired, or paid by a debit that then failed) changes it.
    attempts = Payment.objects.filter(invoice_id__in=wanted).count()
    closed = CheckoutSession.objects.filter(unit=unit).exclude(status=CheckoutSessionStatus.OPEN).count()
    fingerprint = json.dumps([unit.pk, user.pk, designated, attempts, closed, params], sort_keys=True)
    key = "logis-balance-" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
    try:
        session = stripe_gateway.create_checkout_session(params=params, idempotency_key=key)
    except stripe_gateway.GatewayError as exc:
        logger.warning("Checkout Session for the balance of unit %s refused: %s", unit.pk, exc)
        raise PaymentProviderUnavailable(
            _("Online payment is unavailable right now; nothing was charged. Try again in a few minutes.")
        ) from exc
    with transaction.atomic():
        # Under the invoices' locks (by id, the order every payment takes): a payment recorded while
        # Stripe was opening the session changed a balance, and paying the session would overpay.
        locked = {
            i.pk: i
            for i in Invoice.objects.select_for_update().filter(pk__in=[c.pk for c in chosen]).order_by("pk")
        }
        changed = any(
            locked[c.pk].status != InvoiceStatus.OPEN
            or locked[c.pk].amount - locked[c.pk].amount_paid != c.amount - c.amount_paid
            for c in chosen
        )
        if not changed:
            _record_session(
                session, unit=unit, user=user, chosen=chosen, designated=designated, methods=methods
            )
    if changed:
        _expire_sessions([str(session["id"])])
        raise InvalidTransition(
            _("The balance due of an invoice has just changed: reload the page to pay what is left.")
        )
    return str(session["url"])


def _record_session(
    session: Mapping[str, Any],
    *,
    unit: Unit,
    user: User,
    chosen: list[Invoice],
    designated: bool,
    methods: list[str],
) -> None:
    total = sum((i.amount - i.amount_paid for i in chosen), start=Decimal("0.00"))
    row, created = CheckoutSession.objects.get_or_create(
        session_id=session["id"],
        defaults={
            "property": unit.property,
            "invoice": None,
            "unit": unit,
            "designated": designated,
            "user": user,
            "amount": total,
            "currency": CURRENCY,
            "payment_method_types": methods,
            "url": str(session.get("url") or "")[:2000],
            "demo": stripe_gateway.demo_mode(),
        },
    )
    if created:
        CheckoutSessionInvoice.objects.bulk_create(
            CheckoutSessionInvoice(session=row, invoice=i, amount=i.amount - i.amount_paid, position=n)
            for n, i in enumerate(chosen)
        )
        audit.record(
            user,
            Verb.PAYMENT_CHECKOUT_STARTED,
            row,
            property=unit.property,
            after={
                "unit": unit.pk,
                "invoices": {str(i.pk): str(i.amount - i.amount_paid) for i in chosen},
                "amount": total,
                "designated": designated,
                "methods": methods,
                "demo": row.demo,
            },
        )


# --- Recording what Stripe reports ------------------------------------------------------------------


def _method(row: CheckoutSession, *, paid_at_once: bool) -> str:
    if len(row.payment_method_types) == 1:
        return str(row.payment_method_types[0])
    return PaymentMethod.CARD.value if paid_at_once else PaymentMethod.PAD.value


def _chosen_invoices(row: CheckoutSession) -> list[Invoice]:
    """The session's invoices, locked (by id: one lock order for every payment path) and marked
    ``is_fee`` (a late-fee invoice, art. 1570; read by its reverse name, collections sits above)."""
    ids = list(row.lines.order_by("position", "pk").values_list("invoice_id", flat=True))
    list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    fee = Invoice.objects.filter(pk=OuterRef("pk"), late_fee_of__isnull=False)
    found = {
        i.pk: i
        for i in Invoice.objects.filter(pk__in=ids)
        .annotate(is_fee=Exists(fee))
        .select_related("property", "unit")
    }
    return [found[pk] for pk in ids]


def record_balance_payment(
    *, row: CheckoutSession, session: Mapping[str, Any], event_type: str
) -> Remittance | None:
    """Record a completed « Payer le solde » session as one remittance once Stripe says it is paid.

    Runs in the caller's transaction (``record_online_payment``'s). Raises OnlinePaymentProblem when
    what Stripe reports is not what Logis asked for (another unit, another amount or currency). Returns
    None while there is nothing to record (a debit clearing, or failed)."""
    session_id = row.session_id
    property = row.property
    metadata = session.get("metadata") or {}
    if str(metadata.get("unit_id")) != str(row.unit_id):
        raise OnlinePaymentProblem(
            f"Checkout Session {session_id}: unit {metadata.get('unit_id')!r} in Stripe, {row.unit_id} in "
            "Logis: no payment recorded.",
            property=property,
        )
    amount_total = session.get("amount_total")
    currency = str(session.get("currency") or "").lower()
    if amount_total is None or from_cents(amount_total) != row.amount or currency != row.currency:
        raise OnlinePaymentProblem(
            f"Checkout Session {session_id}: {amount_total} {currency} in Stripe, "
            f"{cents(row.amount)} {row.currency} asked by Logis: no payment recorded.",
            property=property,
        )
    intent = str(session.get("payment_intent") or "")
    if isinstance(session.get("payment_intent"), Mapping):
        intent = str(session["payment_intent"].get("id") or "")
    if not intent:
        raise OnlinePaymentProblem(
            f"Checkout Session {session_id} is complete without a PaymentIntent.", property=property
        )
    invoices = _chosen_invoices(row)  # locks, before anything is read or written
    row = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("property", "unit")
        .get(pk=row.pk)
    )
    existing = Remittance.objects.filter(provider_payment_id=intent).first()
    if existing is not None:
        return existing  # a redelivery, another event of the session, or the payer's return: recorded once
    paid = session.get("payment_status") in ("paid", "no_payment_required") and event_type != ASYNC_FAILED
    failed = event_type == ASYNC_FAILED
    if row.payment_status == FAILED:
        return None  # the debit failed: a late ``completed`` event does not make it pending again
    row.status = CheckoutSessionStatus.COMPLETE
    row.payment_status = FAILED if failed else str(session.get("payment_status") or "")[:24]
    row.save(update_fields=["status", "payment_status", "updated_at"])
    if failed or not paid:
        # A debit failed, or completed and still clearing: nothing to record but the session's state.
        verb = Verb.PAYMENT_ONLINE_FAILED if failed else Verb.PAYMENT_ONLINE_PENDING
        audit.record(None, verb, row, after={"session": session_id, "event": event_type})
        if failed:
            # The invoices are still due (a clearing debit moved no money): both sides are told.
            queue_checkout_debit_failed_emails(row=row, invoices=invoices)
        return None
    return _record_remittance(row, invoices=invoices, intent=intent, event_type=event_type)


def _record_remittance(
    row: CheckoutSession, *, invoices: list[Invoice], intent: str, event_type: str
) -> Remittance | None:
    property = row.property
    unit = row.unit
    assert unit is not None
    paid_on = today_in(property.timezone)
    method = _method(row, paid_at_once=event_type == COMPLETED)
    # What each chosen invoice still needs now (one paid or voided meanwhile needs nothing): applied by
    # the payer's designation (art. 1569) when some were unticked, else fees first (art. 1570), then the
    # oldest due (art. 1572). What none needs is the unit's credit.
    debts = [
        Debt(
            key=i.pk,
            balance=(i.amount - i.amount_paid) if i.status == InvoiceStatus.OPEN else Decimal("0.00"),
            due_date=i.due_date,
            is_fee=bool(getattr(i, "is_fee", False)),
            number=i.number,
        )
        for i in invoices
    ]
    designated = [i.pk for i in invoices] if row.designated else []
    imputation = impute(row.amount, debts, designated=designated)
    with translation.override(property.language):  # stored text: the property's language
        note = _("Stripe Checkout — balance of unit %(unit)s") % {"unit": unit.number}
        if row.demo:
            note = f"{note} — {_('Demo mode — no real payment')}"
        credit_reason = _("Online payment of the balance above what the invoices needed (%(amount)s)") % {
            "amount": format_amount(row.amount, property.language)
        }
    try:
        with transaction.atomic():
            remittance = Remittance.objects.create(
                property=property,
                unit=unit,
                amount=row.amount,
                paid_on=paid_on,
                method=method,
                reference=intent[:120],
                note=note[:500],
                rule=Remittance.Rule.DESIGNATED if row.designated else Remittance.Rule.DEFAULT,
                designated=designated,
                excess=imputation.excess,
                provider_payment_id=intent,
                provider_session_id=row.session_id,
                recorded_by=None,
            )
    except IntegrityError:
        # Recorded meanwhile by a concurrent delivery (the unique constraint is the backstop).
        return Remittance.objects.get(provider_payment_id=intent)
    by_id = {i.pk: i for i in invoices}
    for allocation in imputation.allocations:
        invoice = by_id[allocation.key]
        before = audit.snapshot(invoice, SETTLED_FIELDS)
        # Dr Stripe clearing / Cr the unit's receivable (settle): one entry per share (decision 0029).
        with ledger.event(
            property_id=property.pk,
            date=paid_on,
            kind=EntryKind.PAYMENT,
            source=("payment", None),
            memo=intent[:200],
        ) as ev:
            # The shares carry no provider id: Payment allows one row per id, the remittance holds it.
            payment = Payment.objects.create(
                property=property,
                unit=unit,
                invoice=invoice,
                kind=PaymentKind.PAYMENT,
                status=PaymentStatus.SUCCEEDED,
                amount=allocation.amount,
                paid_on=paid_on,
                method=method,
                reference=intent[:120],
                note=note[:500],
                provider_session_id=row.session_id,
                recorded_by=None,
                remittance=remittance,
                imputation=allocation.rule.value,
            )
            ev.source_id = payment.pk
            ledger.money(ev, method=method, amount=allocation.amount)
            settle(invoice, allocation.amount, keep_session=row.session_id)
        audit.record(
            None,
            Verb.PAYMENT_ONLINE_SUCCEEDED,
            payment,
            after={
                **audit.snapshot(payment, ["invoice", "amount", "method", "status"]),
                "remittance": remittance.pk,
                "imputation": allocation.rule.value,
                "session": row.session_id,
            },
        )
        audit.record(
            None,
            Verb.INVOICE_PAYMENT_APPLIED,
            invoice,
            before=before,
            after={**audit.snapshot(invoice, SETTLED_FIELDS), "payment": payment.pk},
        )
    if imputation.excess > 0:
        # Dr Stripe clearing / Cr the unit's credit: the excess, one entry of its own (decision 0029).
        with ledger.event(
            property_id=property.pk,
            date=paid_on,
            kind=EntryKind.PAYMENT,
            source=("remittance", remittance.pk),
            memo=intent[:200],
        ) as ev:
            ledger.money(ev, method=method, amount=imputation.excess)
            add_credit(
                unit=unit,
                amount=imputation.excess,
                reason=credit_reason,
                actor=None,
                kind=CreditKind.OVERPAYMENT,
            )
    audit.record(
        None,
        Verb.REMITTANCE_RECORDED,
        remittance,
        after={
            **audit.snapshot(remittance, ["unit", "amount", "paid_on", "method", "reference", "rule"]),
            "shares": {str(a.key): str(a.amount) for a in imputation.allocations},
            "excess": str(imputation.excess),
            "session": row.session_id,
        },
    )
    queue_remittance_receipt_email(remittance=remittance)
    return remittance
