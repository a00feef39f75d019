"""A remittance: money received once for several invoices of one unit (decision 0032).

One cheque (or transfer, or the resident's « Payer le solde ») is spread over the unit's open invoices by
the rules of imputation of the Civil Code of Québec (art. 1569–1572, ``logis.payments.imputation``): the
invoices the payer designates first, else late fees and interest, then the oldest amounts due. Each share
is an ordinary ``Payment`` recorded through ``services.record_payment_once`` (so settlement, its hooks and
every page, report and statement see it as any payment); what no invoice needed becomes the unit's credit.
One receipt lists every share. Reversing the remittance reverses all its shares together (never deleted).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action, require
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import EntryKind
from logis.payments import services
from logis.payments.credits import add_credit, credit_balance
from logis.payments.imputation import Debt, Imputation, Rule, impute
from logis.payments.models import (
    MANUAL_METHODS,
    NOTE_MAX,
    CreditKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    Remittance,
    UnitCredit,
)
from logis.payments.receipts import queue_remittance_receipt_email
from logis.properties.models import Property, Unit

PAYER_MAX = 200
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ProposedShare:
    invoice: Invoice
    amount: Decimal
    rule: Rule

    @property
    def balance_after(self) -> Decimal:
        return self.invoice.amount - self.invoice.amount_paid - self.amount


@dataclass(frozen=True)
class Proposal:
    """What a remittance of ``amount`` would pay now: one share per invoice, and the credit left."""

    amount: Decimal
    shares: list[ProposedShare]
    excess: Decimal
    designated: bool


def _open_invoices(unit: Unit, *, lock: bool = False) -> list[Invoice]:
    """The unit's open invoices with a balance, each marked ``is_fee`` (a late-fee or interest invoice,
    art. 1570), in the default order of imputation. Locked (by id, one order for every caller) when asked."""
    queryset = Invoice.objects.filter(unit=unit, status=InvoiceStatus.OPEN)
    if lock:
        # Locked first, alone: a FOR UPDATE with the subquery below is not portable.
        list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))
    # The reverse of collections.LateFee.fee_invoice, read by its name (payments sits below collections).
    fee = Invoice.objects.filter(pk=OuterRef("pk"), late_fee_of__isnull=False)
    invoices = [i for i in queryset.annotate(is_fee=Exists(fee)) if i.amount > i.amount_paid]
    return sorted(invoices, key=lambda i: (not i.is_fee, i.due_date, i.number or 0, i.pk))  # type: ignore[attr-defined]


def open_invoices(*, unit: Unit) -> list[Invoice]:
    """The unit's open invoices, in the order the default rule pays them (fees first, then oldest due)."""
    return _open_invoices(unit)


def _impute(amount: Decimal, invoices: Sequence[Invoice], designated: Sequence[int]) -> Imputation:
    debts = [
        Debt(
            key=i.pk,
            balance=i.amount - i.amount_paid,
            due_date=i.due_date,
            is_fee=bool(getattr(i, "is_fee", False)),
            number=i.number,
        )
        for i in invoices
    ]
    return impute(amount, debts, designated=designated)


def _proposal(amount: Decimal, invoices: Sequence[Invoice], designated: Sequence[int]) -> Proposal:
    imputation = _impute(amount, invoices, designated)
    by_id = {i.pk: i for i in invoices}
    return Proposal(
        amount=amount,
        shares=[ProposedShare(by_id[a.key], a.amount, a.rule) for a in imputation.allocations],
        excess=imputation.excess,
        designated=any(a.rule == Rule.DESIGNATED for a in imputation.allocations),
    )


def propose(*, unit: Unit, amount: Decimal, designated: Sequence[int] = ()) -> Proposal:
    """The imputation Logis proposes for ``amount`` on the unit's open invoices (nothing is written)."""
    return _proposal(amount, _open_invoices(unit), designated)


def _errors(
    property: Property,
    *,
    amount: Decimal,
    paid_on: dt.date | None,
    method: str,
    reference: str,
    note: str,
    payer: str,
    designated: Sequence[int],
    open_ids: set[int],
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if amount <= 0:
        errors["amount"] = _("The amount must be greater than 0 $.")
    if method not in MANUAL_METHODS:
        errors["method"] = _("Choose how the payment was made.")
    paid_on_error = services.payment_date_error(property, paid_on)
    if paid_on_error:
        errors["paid_on"] = paid_on_error
    if len(reference) > services.REFERENCE_MAX:
        errors["reference"] = _("At most 120 characters.")
    if len(payer) > PAYER_MAX:
        errors["payer"] = _("At most 200 characters.")
    if len(note.strip()) > NOTE_MAX:
        errors["note"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
    if not open_ids:
        errors["invoices"] = _("This unit has no open invoice to pay.")
    elif any(pk not in open_ids for pk in designated):
        errors["invoices"] = _("An invoice you chose is no longer open. Review the list and try again.")
    return errors


def record_remittance(
    *,
    property: Property,
    unit_id: int,
    actor: User,
    amount: Decimal,
    paid_on: dt.date,
    method: str,
    reference: str = "",
    note: str = "",
    payer: str = "",
    designated: Sequence[int] = (),
    request_token: uuid.UUID | None = None,
) -> Remittance:
    """One payment received for several invoices of a unit, applied by imputation (art. 1569–1572): one
    payment per invoice paid, the excess to the unit's credit, one receipt. The same ``request_token``
    twice records one remittance."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        unit = Unit.objects.filter(pk=unit_id, property=property).first()
        if unit is None:
            raise NotFound(_("This unit does not exist."))
        # Lock order everywhere: invoices, then the unit (credits, void_invoice, reverse_payment).
        invoices = _open_invoices(unit, lock=True)
        if request_token is not None:
            existing = Remittance.objects.filter(request_token=request_token).first()
            if existing is not None:
                if existing.unit_id != unit.pk:
                    raise InvalidTransition(
                        _("This payment form was already used for another unit. Reload the page.")
                    )
                return existing
        designated = list(dict.fromkeys(designated))
        errors = _errors(
            property,
            amount=amount,
            paid_on=paid_on,
            method=method,
            reference=reference,
            note=note,
            payer=payer,
            designated=designated,
            open_ids={i.pk for i in invoices},
        )
        if errors:
            raise ValidationError(errors)
        proposal = _proposal(amount, invoices, designated)
        remittance = Remittance.objects.create(
            property=property,
            unit=unit,
            amount=amount,
            paid_on=paid_on,
            method=method,
            reference=reference.strip(),
            note=note.strip(),
            payer=payer.strip(),
            rule=Remittance.Rule.DESIGNATED if proposal.designated else Remittance.Rule.DEFAULT,
            designated=designated,
            excess=proposal.excess,
            recorded_by=actor,
            request_token=request_token,
        )
        for share in proposal.shares:
            services.record_payment_once(
                property=property,
                invoice_id=share.invoice.pk,
                actor=actor,
                amount=share.amount,
                paid_on=paid_on,
                method=method,
                reference=reference,
                note=note,
                remittance=remittance,
                imputation=share.rule.value,
            )
        if proposal.excess > 0:
            # Dr bank / Cr the unit's credit: the excess, one entry of its own (decision 0029).
            with ledger.event(
                property_id=property.pk,
                date=paid_on,
                kind=EntryKind.PAYMENT,
                source=("remittance", remittance.pk),
                memo=reference.strip(),
            ) as ev:
                ledger.money(ev, method=method, amount=proposal.excess)
                add_credit(
                    unit=unit,
                    amount=proposal.excess,
                    reason=_("Excess of a payment for several invoices (%(amount)s)")
                    % {"amount": format_amount(amount)},
                    actor=actor,
                    kind=CreditKind.OVERPAYMENT,
                )
        audit.record(
            actor,
            Verb.REMITTANCE_RECORDED,
            remittance,
            after={
                **audit.snapshot(remittance, ["unit", "amount", "paid_on", "method", "reference", "rule"]),
                "shares": {str(s.invoice.pk): str(s.amount) for s in proposal.shares},
                "excess": str(proposal.excess),
            },
        )
        queue_remittance_receipt_email(remittance=remittance)
        return remittance


def shares(remittance: Remittance) -> list[Payment]:
    """The payments of a remittance (money received), in the order they were applied."""
    return list(remittance.payments.filter(kind=PaymentKind.PAYMENT).select_related("invoice").order_by("pk"))


def reverse_remittance(*, property: Property, remittance_id: int, actor: User, reason: str) -> Remittance:
    """A remittance recorded by mistake: every payment of it is reversed (its invoices reopen) and the
    credit its excess gave the unit is taken back, together or not at all."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        remittance = (
            Remittance.objects.select_for_update().filter(pk=remittance_id, property=property).first()
        )
        if remittance is None:
            raise NotFound(_("This payment does not exist."))
        if remittance.reversed_at is not None:
            raise InvalidTransition(_("This payment has already been reversed."))
        if remittance.method not in MANUAL_METHODS:
            raise InvalidTransition(_("An online payment is refunded, not reversed."))
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": _("Give the reason for the reversal.")})
        if len(reason) > 500:
            raise ValidationError({"reason": _("At most 500 characters.")})
        for payment in shares(remittance):
            if payment.status == PaymentStatus.SUCCEEDED:
                services.reverse_payment(
                    property=property,
                    payment_id=payment.pk,
                    actor=actor,
                    reason=reason,
                    whole_remittance=True,
                )
        if remittance.excess > 0:
            unit = Unit.objects.select_for_update().get(pk=remittance.unit_id)
            available = credit_balance(unit=unit)
            if available < remittance.excess:
                raise InvalidTransition(
                    _(
                        "The credit this payment left on the unit's account (%(excess)s) has been used "
                        "since: reverse or refund what used it first."
                    )
                    % {"excess": format_amount(remittance.excess)}
                )
            # Dr the unit's credit / Cr bank: the excess taken back with the money (decision 0029).
            with ledger.event(
                property_id=property.pk,
                date=today_in(property.timezone),
                kind=EntryKind.PAYMENT_REVERSED,
                source=("remittance", remittance.pk),
                memo=reason[:500],
            ) as ev:
                UnitCredit.objects.create(
                    property=property,
                    unit=unit,
                    kind=CreditKind.REMITTANCE_REVERSED,
                    amount=-remittance.excess,
                    reason=reason[:500],
                    created_by=actor,
                )
                ledger.credit_moved(unit_id=unit.pk, amount=-remittance.excess)
                ledger.money(ev, method=remittance.method, amount=-remittance.excess)
        remittance.reversed_at = timezone.now()
        remittance.reversed_by = actor
        remittance.reversal_reason = reason
        remittance.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
        audit.record(actor, Verb.REMITTANCE_REVERSED, remittance, after={"reason": reason})
        return remittance
