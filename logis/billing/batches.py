"""Batches: charge many units at once, the same amount each or a total split by their shares.

Invoices are the invoicing app's: drafts are written here in bulk with the same rules as
``invoicing.services.create_invoice`` (payments enabled, title 1–200 characters, amount > 0 $ with two
decimals, due date today or later in the property's zone) and one audit event each; publishing and
voiding go through ``invoicing.services.publish_invoices`` / ``void_invoice`` themselves. Recurring dues
(``recurring``) write their monthly batch through the same functions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from logis.billing.models import AmountMode, Batch, BatchInvoice, UnitScope
from logis.billing.shares import split_by_shares
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.models import AuditEvent
from logis.core.money import MAX_AMOUNT, quantize
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.invoicing.lines import create_single_lines, single_line_category
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.rules import field_errors, require_payments_enabled
from logis.invoicing.services import AUDITED_FIELDS, PublishResult, publish_invoices, void_invoice
from logis.properties.models import Property, Unit

if TYPE_CHECKING:
    from logis.accounts.models import User


# --- Choosing units and amounts -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    unit_id: int
    number: str
    share: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class BatchPlan:
    """What a batch will create: one row per unit (natural order) and the total."""

    rows: list[PlanRow]
    total: Decimal

    @property
    def unit_ids(self) -> list[int]:
        return [r.unit_id for r in self.rows]


def select_units(*, property: Property, unit_scope: str, unit_ids: Iterable[int]) -> list[Unit]:
    """The units of ``property`` chosen as all, only the checked ones, or all but the checked ones."""
    checked = {int(i) for i in unit_ids}
    units = list(
        Unit.objects.filter(property=property).order_by("sort_key", "id").only("id", "number", "share")
    )
    known = {u.pk for u in units}
    if unit_scope not in UnitScope.values:
        raise ValidationError({"unit_scope": _("Choose which units to bill.")})
    if unit_scope != UnitScope.ALL and checked - known:
        raise ValidationError({"units": _("Choose units of this property.")})
    if unit_scope == UnitScope.ONLY:
        if not checked:
            raise ValidationError({"units": _("Check at least one unit.")})
        units = [u for u in units if u.pk in checked]
    elif unit_scope == UnitScope.EXCEPT:
        units = [u for u in units if u.pk not in checked]
    if not units:
        raise ValidationError({"units": _("No unit is selected: this property has no unit to bill.")})
    return units


def _numbers(units: Iterable[Unit]) -> str:
    return ", ".join(u.number for u in units)


def amounts_by_share(*, units: list[Unit], total: Decimal, field: str = "amount") -> dict[int, Decimal]:
    """``total`` split by the units' shares; a ValidationError names units without share or at 0 $."""
    missing = [u for u in units if u.share is None]
    if missing:
        raise ValidationError(
            {
                "amount_mode": _(
                    "These units have no share (quote-part): %(units)s. Give them a share on the Units "
                    "page, leave them out, or bill the same amount to each unit."
                )
                % {"units": _numbers(missing)}
            }
        )
    shares = {u.pk: Decimal(u.share or 0) for u in units}
    if sum(shares.values()) <= 0:
        raise ValidationError({"amount_mode": _("The shares of these units add up to 0 %.")})
    parts = split_by_shares(total, shares)
    zero = [u for u in units if parts[u.pk] <= 0]
    if zero:
        raise ValidationError(
            {
                field: _("With this total, these units would be billed 0 $: %(units)s.")
                % {"units": _numbers(zero)}
            }
        )
    return parts


def _check_amount(amount: Decimal | None, field: str = "amount") -> Decimal:
    if amount is None:
        raise ValidationError({field: _("Enter an amount.")})
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than $0.")})
    if amount != quantize(amount):
        raise ValidationError({field: _("The amount may have at most two decimals.")})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: _("The amount is too large.")})
    return amount


def plan_batch(
    *, property: Property, unit_scope: str, unit_ids: Iterable[int], amount_mode: str, amount: Decimal | None
) -> BatchPlan:
    """Which units a batch bills and how much each: the preview shows exactly what will be created."""
    amount = _check_amount(amount)
    units = select_units(property=property, unit_scope=unit_scope, unit_ids=unit_ids)
    if amount_mode == AmountMode.SPLIT:
        parts = amounts_by_share(units=units, total=amount)
    elif amount_mode == AmountMode.SAME:
        parts = {u.pk: amount for u in units}
    else:
        raise ValidationError({"amount_mode": _("Choose how the amount is charged.")})
    rows = [PlanRow(u.pk, u.number, u.share, parts[u.pk]) for u in units]
    return BatchPlan(rows=rows, total=sum((r.amount for r in rows), Decimal("0.00")))


def _check_invoice_fields(
    *,
    property: Property,
    title: str,
    due_date: dt.date | None,
    now: dt.datetime | None,
    description: str = "",
) -> tuple[str, dt.date]:
    """The rules of ``create_invoice`` for what all invoices of a batch share."""
    title, errors = field_errors(
        property=property, title=title, due_date=due_date, description=description, now=now
    )
    if errors:
        raise ValidationError(errors)
    assert due_date is not None
    return title, due_date


# --- Batches --------------------------------------------------------------------------------------


def _write_batch(
    *,
    actor: Actor,
    property: Property,
    plan: BatchPlan,
    amount_mode: str,
    amount: Decimal,
    title: str,
    due_date: dt.date,
    description: str,
    notify_resident: bool,
    creation_token: uuid.UUID | None,
) -> Batch:
    """Bulk-write the batch, its drafts, their links and one audit event per invoice (in the caller's
    transaction)."""
    user = user_or_none(actor)
    batch = Batch.objects.create(
        property=property,
        title=title,
        amount_mode=amount_mode,
        amount=amount,
        total=plan.total,
        due_date=due_date,
        description=description,
        notify_resident=notify_resident,
        unit_count=len(plan.rows),
        created_by=user,
        creation_token=creation_token,
    )
    invoices = [
        Invoice(
            property=property,
            unit_id=row.unit_id,
            title=title,
            amount=row.amount,
            due_date=due_date,
            description=description,
            notify_resident=notify_resident,
            status=InvoiceStatus.DRAFT,
            created_by=user,
        )
        for row in plan.rows
    ]
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    # One line each, in the property's default category (condo fees unless the syndicate chose another).
    create_single_lines(invoices, single_line_category(property))
    BatchInvoice.objects.bulk_create(
        [BatchInvoice(batch=batch, invoice_id=inv.pk) for inv in invoices], batch_size=1000
    )
    # The same event ``create_invoice`` records, written in bulk; the batch event tells where they came from.
    actor_user = user if user is not None and user.is_authenticated else None
    object_type = Invoice._meta.label_lower
    events = [
        AuditEvent(
            property=property,
            actor=actor_user,
            verb=Verb.INVOICE_CREATED,
            object_type=object_type,
            object_id=str(inv.pk),
            object_repr=str(inv)[:255],
            after={**audit._jsonable(audit.snapshot(inv, AUDITED_FIELDS)), "batch": batch.pk},
        )
        for inv in invoices
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    audit.record(
        actor,
        Verb.BATCH_CREATED,
        batch,
        after={
            "title": title,
            "amount_mode": amount_mode,
            "amount": amount,
            "total": plan.total,
            "due_date": due_date,
            "units": len(plan.rows),
            "notify_resident": notify_resident,
        },
    )
    return batch


def create_batch(
    *,
    actor: Actor,
    property: Property,
    unit_scope: str,
    unit_ids: Iterable[int] = (),
    title: str,
    amount_mode: str,
    amount: Decimal | None,
    due_date: dt.date | None,
    description: str = "",
    notify_resident: bool = False,
    creation_token: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Batch:
    """Create one draft per chosen unit, all in one transaction; the same form token twice returns the
    first batch."""
    require(actor, Action.CREATE_INVOICE, property)
    if creation_token is not None:
        existing = Batch.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            if existing.property_id != property.pk:
                raise ValidationError({"__all__": _("This form was already used. Reload the page.")})
            return existing
    with transaction.atomic():
        # Locked: a concurrent batch or publish on the same property waits (and payments may just have
        # been disabled: read them fresh).
        locked = Property.objects.select_for_update().get(pk=property.pk)
        require_payments_enabled(locked)
        title, due = _check_invoice_fields(
            property=locked, title=title, due_date=due_date, now=now, description=description
        )
        plan = plan_batch(
            property=locked, unit_scope=unit_scope, unit_ids=unit_ids, amount_mode=amount_mode, amount=amount
        )
        assert amount is not None
        try:
            with transaction.atomic():
                return _write_batch(
                    actor=actor,
                    property=locked,
                    plan=plan,
                    amount_mode=amount_mode,
                    amount=amount,
                    title=title,
                    due_date=due,
                    description=(description or "").strip(),
                    notify_resident=notify_resident,
                    creation_token=creation_token,
                )
        except IntegrityError:
            if creation_token is None:
                raise
            return Batch.objects.get(creation_token=creation_token, property=property)


def _locked_batch(batch_id: int, property: Property) -> Batch:
    batch = Batch.objects.select_for_update().filter(pk=batch_id, property=property).first()
    if batch is None:
        raise NotFound(_("This batch does not exist."))
    return batch


def _draft_ids(batch: Batch) -> list[int]:
    return list(
        Invoice.objects.filter(batch_item__batch=batch, status=InvoiceStatus.DRAFT)
        .order_by("id")
        .values_list("id", flat=True)
    )


def publish_batch(
    *, actor: Actor, property: Property, batch_id: int, now: dt.datetime | None = None
) -> list[PublishResult]:
    """Publish every draft of the batch, all or nothing (``publish_invoices``), emails queued as asked."""
    require(actor, Action.PUBLISH_INVOICE, property)
    with transaction.atomic():
        batch = _locked_batch(batch_id, property)
        ids = _draft_ids(batch)
        if not ids:
            raise InvalidTransition(_("This batch has no draft left to publish."))
        results = publish_invoices(actor=actor, property=property, invoice_ids=ids, now=now)
        audit.record(
            actor,
            Verb.BATCH_PUBLISHED,
            batch,
            after={
                "invoices": len(results),
                "emails_queued": sum(1 for r in results if r.email_to is not None),
            },
        )
        return results


def void_batch_drafts(*, actor: User, property: Property, batch_id: int, reason: str) -> int:
    """Void every draft of the batch with one reason, all or nothing; published invoices stay as they are."""
    require(actor, Action.VOID_INVOICE, property)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Enter the reason for voiding these invoices.")})
    with transaction.atomic():
        batch = _locked_batch(batch_id, property)
        ids = _draft_ids(batch)
        if not ids:
            raise InvalidTransition(_("This batch has no draft left to void."))
        for invoice_id in ids:
            void_invoice(actor=actor, invoice_id=invoice_id, reason=reason, property=property)
        audit.record(actor, Verb.BATCH_DRAFTS_VOIDED, batch, after={"invoices": len(ids), "reason": reason})
        return len(ids)
