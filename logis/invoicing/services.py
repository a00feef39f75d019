"""Invoice services: every change of an invoice goes through one of these functions.

Each checks the actor's role on the property, the invoice's state and the input, locks the rows it
changes, writes an audit event, and does all of it or none (one transaction).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.finances.models import CategoryCode
from logis.invoicing.emails import (
    INLINE_EMAIL_LIMIT,
    LOOKUP,
    Lookup,
    invoice_email_blocker,
    queue_invoice_published_email,
    queue_invoice_published_emails_later,
)
from logis.invoicing.lines import (
    LineInput,
    lines_total,
    write_lines,
)
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.rules import REASON_MAX, clean_fields, require_payments_enabled
from logis.ledger import posting as ledger
from logis.properties.models import Property, Resident
from logis.properties.selectors import primary_resident, primary_residents

if TYPE_CHECKING:
    from logis.accounts.models import User
    from logis.notifications.models import EmailMessage

AUDITED_FIELDS = [
    "unit",
    "title",
    "amount",
    "due_date",
    "description",
    "notify_resident",
    "status",
    "number",
    "void_reason",
]


@dataclass(frozen=True)
class PublishResult:
    """A published invoice and what happened to its email: queued (``email``), handed to the worker to
    write (``email_deferred_to``, when many are published at once), or why not (``email_blocker``)."""

    invoice: Invoice
    email: EmailMessage | None
    email_blocker: str | None
    email_deferred_to: str | None = None

    @property
    def email_to(self) -> str | None:
        """Where the 'new invoice' email goes (queued now or being written by the worker), or None."""
        return self.email.to_email if self.email is not None else self.email_deferred_to

    @property
    def email_requested(self) -> bool:
        return self.invoice.notify_resident


def lines_snapshot(invoice: Invoice) -> list[dict[str, str]]:
    """The lines as the audit log keeps them."""
    return [
        {
            "description": line.description,
            "category": line.category.display_name,
            "amount": str(line.amount),
            "gst": str(line.gst_amount),
            "qst": str(line.qst_amount),
        }
        for line in invoice.lines.select_related("category").order_by("position")
    ]


def _snapshot(invoice: Invoice) -> dict[str, Any]:
    return {**audit.snapshot(invoice, AUDITED_FIELDS), "lines": lines_snapshot(invoice)}


def create_invoice(
    *,
    actor: Actor,
    property: Property,
    unit_id: int | None,
    title: str,
    amount: Decimal | None,
    due_date: dt.date | None,
    description: str = "",
    notify_resident: bool = False,
    creation_token: uuid.UUID | None = None,
    lines: list[LineInput] | None = None,
    category_code: CategoryCode | None = None,
) -> Invoice:
    """Create a draft invoice; the same ``creation_token`` twice returns the first invoice, not a copy.

    Its amount is the total of its ``lines``; without lines it has one line of ``amount``."""
    invoice, _created = create_invoice_once(
        actor=actor,
        property=property,
        unit_id=unit_id,
        title=title,
        amount=amount,
        due_date=due_date,
        description=description,
        notify_resident=notify_resident,
        creation_token=creation_token,
        lines=lines,
        category_code=category_code,
    )
    return invoice


def create_invoice_once(
    *,
    actor: Actor,
    property: Property,
    unit_id: int | None,
    title: str,
    amount: Decimal | None,
    due_date: dt.date | None,
    description: str = "",
    notify_resident: bool = False,
    creation_token: uuid.UUID | None = None,
    lines: list[LineInput] | None = None,
    category_code: CategoryCode | None = None,
) -> tuple[Invoice, bool]:
    """``create_invoice``, also saying whether this call created the invoice (False: the
    ``creation_token`` was already used, and the invoice it created is returned unchanged)."""
    require(actor, Action.CREATE_INVOICE, property)
    if creation_token is not None:
        existing = Invoice.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            if existing.property_id != property.pk:
                raise ValidationError({"__all__": _("This form was already used. Reload the page.")})
            return existing, False
    with transaction.atomic():
        locked = Property.objects.get(pk=property.pk)  # fresh: payments may have just been disabled
        require_payments_enabled(locked)
        unit, title, clean, due_date, description = clean_fields(
            property=locked,
            unit_id=unit_id,
            title=title,
            amount=amount,
            due_date=due_date,
            description=description,
            lines=lines,
            category_code=category_code,
        )
        invoice = Invoice(
            property=locked,
            unit=unit,
            title=title,
            amount=lines_total(clean),
            due_date=due_date,
            description=description,
            notify_resident=notify_resident,
            status=InvoiceStatus.DRAFT,
            created_by=user_or_none(actor),
            creation_token=creation_token,
        )
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            # The same form posted twice at the same instant: the other request created it.
            if creation_token is None:
                raise
            return Invoice.objects.get(creation_token=creation_token, property=property), False
        write_lines(invoice, clean)
        audit.record(actor, Verb.INVOICE_CREATED, invoice, after=_snapshot(invoice))
        return invoice, True


def _locked_invoice(invoice_id: int, property: Property | None) -> Invoice:
    qs = Invoice.objects.select_for_update(of=("self",)).select_related("property", "unit")
    if property is not None:
        qs = qs.filter(property=property)
    invoice = qs.filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("This invoice does not exist."))
    return invoice


def _has_payments(invoice: Invoice) -> bool:
    return invoice.amount_paid > 0 or invoice.payments.exists()


def update_invoice(
    *,
    actor: User,
    invoice_id: int,
    unit_id: int | None,
    title: str,
    amount: Decimal | None,
    due_date: dt.date | None,
    description: str = "",
    notify_resident: bool = False,
    property: Property | None = None,
    lines: list[LineInput] | None = None,
) -> Invoice:
    """Change a draft and its lines; published invoices and invoices with payments are never edited.

    Without ``lines``, a one-line draft keeps its line's category and takes ``amount`` and the title;
    a draft of several lines needs ``lines``."""
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, property)
        require(actor, Action.EDIT_INVOICE, invoice.property)
        if _has_payments(invoice):
            raise InvalidTransition(_("An invoice with payments can never be edited."))
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvalidTransition(_("Only draft invoices can be edited."))
        current = list(invoice.lines.order_by("position"))
        if lines is None:
            if len(current) > 1:
                raise ValidationError(
                    {"amount": _("This invoice has several lines: change the amounts of its lines.")}
                )
            category_id = current[0].category_id if current else None
            lines = [LineInput(description=(title or "").strip(), category_id=category_id, amount=amount)]
            amount = None
        unit, title, clean, due_date, description = clean_fields(
            property=invoice.property,
            unit_id=unit_id,
            title=title,
            amount=amount,
            due_date=due_date,
            description=description,
            lines=lines,
            keep_category_ids=tuple(line.category_id for line in current),
        )
        before = _snapshot(invoice)
        invoice.unit = unit
        invoice.title = title
        invoice.amount = lines_total(clean)
        invoice.due_date = due_date
        invoice.description = description
        invoice.notify_resident = notify_resident
        invoice.save()
        write_lines(invoice, clean)
        audit.record(actor, Verb.INVOICE_UPDATED, invoice, before=before, after=_snapshot(invoice))
        return invoice


def _publish_locked(
    invoice: Invoice,
    property: Property,
    actor: Actor,
    now: dt.datetime,
    *,
    resident: Resident | Lookup | None = LOOKUP,
    defer_email: bool = False,
) -> PublishResult:
    """Number and open one locked draft; ``property`` is the locked Property row. ``resident``: the
    unit's primary resident when already known; ``defer_email``: the caller hands the email to the
    worker (``queue_invoice_published_emails_later``) instead of writing it now."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidTransition(_("Only draft invoices can be published."))
    if invoice.due_date < today_in(property.timezone, now=now):
        raise InvalidTransition(
            _("The due date has passed: edit the invoice and choose today or a later date before publishing.")
        )
    before = audit.snapshot(invoice, AUDITED_FIELDS)
    invoice.number = property.next_invoice_number
    property.next_invoice_number += 1
    invoice.status = InvoiceStatus.OPEN
    invoice.published_by = user_or_none(actor)
    invoice.published_at = now
    invoice.save(update_fields=["number", "status", "published_by", "published_at", "updated_at"])
    ledger.post_invoice_published(invoice, date=today_in(property.timezone, now=now))
    email: EmailMessage | None = None
    blocker: str | None = None
    deferred_to: str | None = None
    if invoice.notify_resident:
        known = primary_resident(invoice.unit) if isinstance(resident, Lookup) else resident
        blocker = invoice_email_blocker(invoice, resident=known)
        if blocker is None and defer_email:
            assert known is not None
            deferred_to = known.email
        elif blocker is None:
            email = queue_invoice_published_email(invoice=invoice, resident=known)
            if email is None:
                blocker = _("No email could be queued.")
    result = PublishResult(invoice=invoice, email=email, email_blocker=blocker, email_deferred_to=deferred_to)
    after: dict[str, Any] = audit.snapshot(invoice, AUDITED_FIELDS)
    after["email_queued_to"] = result.email_to
    after["email_not_sent_because"] = blocker
    audit.record(actor, Verb.INVOICE_PUBLISHED, invoice, before=before, after=after)
    return result


def publish_invoice(
    *, actor: Actor, invoice_id: int, property: Property | None = None, now: dt.datetime | None = None
) -> PublishResult:
    """Draft -> Open: takes the property's next number (no gap, no duplicate) and queues the email."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, property)
        require(actor, Action.PUBLISH_INVOICE, invoice.property)
        # Locking the property row serializes numbering: a concurrent publisher waits here and then
        # reads the number this transaction leaves behind.
        locked_property = Property.objects.select_for_update().get(pk=invoice.property_id)
        invoice.property = locked_property
        result = _publish_locked(invoice, locked_property, actor, now)
        Property.objects.filter(pk=locked_property.pk).update(
            next_invoice_number=locked_property.next_invoice_number
        )
        return result


def publish_invoices(
    *, actor: Actor, property: Property, invoice_ids: list[int], now: dt.datetime | None = None
) -> list[PublishResult]:
    """Publish several drafts at once, all or nothing.

    If any selected invoice cannot be published, none is, and ``InvalidTransition`` names each one
    and why; otherwise they are numbered consecutively in the order of their creation.
    """
    now = now or timezone.now()
    ids = sorted({int(i) for i in invoice_ids})
    if not ids:
        raise ValidationError({"__all__": _("Select at least one draft invoice to publish.")})
    with transaction.atomic():
        require(actor, Action.PUBLISH_INVOICE, property)
        invoices = list(
            Invoice.objects.select_for_update(of=("self",))
            .select_related("unit")
            .prefetch_related("lines__category")  # the ledger's legs, read once for all
            .filter(property=property, pk__in=ids)
            .order_by("created_at", "id")
        )
        if len(invoices) != len(ids):
            raise NotFound(_("This invoice does not exist."))
        locked_property = Property.objects.select_for_update().get(pk=property.pk)
        today = today_in(locked_property.timezone, now=now)
        problems: list[str] = []
        for invoice in invoices:
            label = invoice.title
            if invoice.status != InvoiceStatus.DRAFT:
                problems.append(_("“%(title)s” is not a draft.") % {"title": label})
            elif invoice.due_date < today:
                problems.append(_("“%(title)s”: the due date has passed.") % {"title": label})
        if problems:
            raise InvalidTransition(
                ngettext(
                    "No invoice was published. %(count)d selected invoice cannot be published: %(problems)s",
                    "No invoice was published. %(count)d selected invoices cannot be published: %(problems)s",
                    len(problems),
                )
                % {"count": len(problems), "problems": " ".join(problems)}
            )
        residents = primary_residents(i.unit_id for i in invoices)
        defer = sum(1 for i in invoices if i.notify_resident) > INLINE_EMAIL_LIMIT
        results = []
        with ledger.batch():  # the entries are written together, the accounts looked up once
            for invoice in invoices:
                invoice.property = locked_property
                results.append(
                    _publish_locked(
                        invoice,
                        locked_property,
                        actor,
                        now,
                        resident=residents.get(invoice.unit_id),
                        defer_email=defer,
                    )
                )
        queue_invoice_published_emails_later(
            invoice_ids=[r.invoice.pk for r in results if r.email_deferred_to is not None]
        )
        Property.objects.filter(pk=locked_property.pk).update(
            next_invoice_number=locked_property.next_invoice_number
        )
        return results


def void_invoice(*, actor: User, invoice_id: int, reason: str, property: Property | None = None) -> Invoice:
    """Draft or Open -> Void, with a reason; what an open invoice received becomes the unit's credit.

    Paid invoices are refunded, not voided."""
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id, property)
        require(actor, Action.VOID_INVOICE, invoice.property)
        reason = (reason or "").strip()
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidTransition(_("This invoice is already void."))
        if invoice.status == InvoiceStatus.PAID:
            raise InvalidTransition(_("A paid invoice cannot be voided: refund its payments instead."))
        if not reason:
            raise ValidationError({"reason": _("Enter the reason for voiding this invoice.")})
        if len(reason) > REASON_MAX:
            raise ValidationError(
                {"reason": _("The reason may have at most %(max)d characters.") % {"max": REASON_MAX}}
            )
        before = audit.snapshot(invoice, AUDITED_FIELDS)
        if invoice.status == InvoiceStatus.OPEN:  # a draft never had a payment page
            from logis.payments.online import balance_changed

            balance_changed(invoice.pk)  # its payment pages close: nothing is due any more
        now = timezone.now()
        # One entry: the publishing entry reversed, and what the invoice received moved to the unit's
        # credit (decision 0029).
        with ledger.invoice_voided(invoice, date=today_in(invoice.property.timezone, now=now)):
            invoice.status = InvoiceStatus.VOID
            invoice.void_reason = reason
            invoice.voided_by = actor
            invoice.voided_at = now
            invoice.save(update_fields=["status", "void_reason", "voided_by", "voided_at", "updated_at"])
            audit.record(
                actor,
                Verb.INVOICE_VOIDED,
                invoice,
                before=before,
                after=audit.snapshot(invoice, AUDITED_FIELDS),
            )
            if invoice.amount_paid > 0:
                # What was received stays the resident's: it becomes credit on the unit's account.
                # (amount_paid is kept as the history of what this invoice received.)
                from logis.payments.credits import add_credit
                from logis.payments.models import CreditKind

                add_credit(
                    unit=invoice.unit,
                    amount=invoice.amount_paid,
                    reason=reason,
                    actor=actor,
                    kind=CreditKind.VOIDED_INVOICE,
                    invoice=invoice,
                )
        return invoice
