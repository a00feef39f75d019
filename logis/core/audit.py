"""Audit events: every state change records who, when, what, before and after.

``Verb`` names every kind of event Logis writes. Its values are the strings stored in ``AuditEvent.verb``
since the start, so stored rows read the same and a caller passing a plain string still works (a
``StrEnum`` member equals its string). The journal's label of each verb is registered by the app that
writes it (``label_verbs``, from its ``AppConfig.ready``) and read with ``verb_label``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.functional import Promise

from logis.core.models import AuditEvent

if TYPE_CHECKING:
    from logis.core.permissions import Actor
    from logis.properties.models import Property


class Verb(StrEnum):
    """Every kind of audit event, by the app that writes it (the value is what is stored)."""

    UNIT_CREATED = "unit.created"
    UNIT_UPDATED = "unit.updated"
    UNIT_PRIMARY_RESIDENT_SET = "unit.primary_resident_set"
    RESIDENT_CREATED = "resident.created"
    RESIDENT_UPDATED = "resident.updated"
    RESIDENT_LINKED = "resident.linked"
    RESIDENT_EMAILS_CHANGED = "resident.emails_changed"
    RESIDENT_UNLINKED = "resident.unlinked"
    PROPERTY_PAYMENT_SETTINGS_CHANGED = "property.payment_settings_changed"
    MEMBER_ADDED = "member.added"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    MEMBER_INVITED = "member.invited"
    MEMBER_INVITATION_RESENT = "member.invitation_resent"
    MEMBER_INVITATION_REVOKED = "member.invitation_revoked"
    MEMBER_INVITATION_ACCEPTED = "member.invitation_accepted"
    ORGANIZATION_CREATED = "organization.created"
    ORGANIZATION_UPDATED = "organization.updated"
    ORGANIZATION_ADMIN_ADDED = "organization.admin_added"
    ORGANIZATION_ADMIN_REMOVED = "organization.admin_removed"
    PROPERTY_CREATED = "property.created"
    PROPERTY_PROFILE_CHANGED = "property.profile_changed"
    USER_LANGUAGE_CHANGED = "user.language_changed"
    USER_TWO_FACTOR_ENABLED = "user.two_factor_enabled"
    USER_TWO_FACTOR_DISABLED = "user.two_factor_disabled"
    USER_RECOVERY_CODES_REGENERATED = "user.recovery_codes_regenerated"
    USER_RECOVERY_CODE_USED = "user.recovery_code_used"
    PROPERTY_SECURITY_SETTINGS_CHANGED = "property.security_settings_changed"
    INVOICE_CREATED = "invoice.created"
    INVOICE_UPDATED = "invoice.updated"
    INVOICE_PUBLISHED = "invoice.published"
    INVOICE_VOIDED = "invoice.voided"
    INVOICE_PAYMENT_APPLIED = "invoice.payment_applied"
    INVOICE_PAY_LINKS_REVOKED = "invoice.pay_links_revoked"
    PAYMENT_BALANCE_APPLIED = "payment.balance_applied"
    REMITTANCE_RECORDED = "remittance.recorded"
    REMITTANCE_REVERSED = "remittance.reversed"
    AUTOPAY_ENROLLED = "autopay.enrolled"
    AUTOPAY_STOPPED = "autopay.stopped"
    AUTOPAY_REVOKED = "autopay.revoked"
    AUTOPAY_DEBIT_ANNOUNCED = "autopay.debit_announced"
    AUTOPAY_DEBIT_CANCELLED = "autopay.debit_cancelled"
    AUTOPAY_DEBIT_SUBMITTED = "autopay.debit_submitted"
    AUTOPAY_DEBIT_FAILED = "autopay.debit_failed"
    PAYMENT_AUTOPAY_PENDING = "payment.autopay_pending"
    PAYMENT_AUTOPAY_SUCCEEDED = "payment.autopay_succeeded"
    PAYMENT_AUTOPAY_FAILED = "payment.autopay_failed"
    INVOICE_PAYMENT_REVERSED = "invoice.payment_reversed"
    INVOICE_PAYMENT_REFUNDED = "invoice.payment_refunded"
    PAYMENT_RECORDED = "payment.recorded"
    PAYMENT_REVERSED = "payment.reversed"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_CHECKOUT_STARTED = "payment.checkout_started"
    PAYMENT_ONLINE_SUCCEEDED = "payment.online_succeeded"
    PAYMENT_ONLINE_PENDING = "payment.online_pending"
    PAYMENT_ONLINE_FAILED = "payment.online_failed"
    PAYMENT_ONLINE_PROBLEM = "payment.online_problem"
    UNIT_CREDIT_ADDED = "unit.credit_added"
    UNIT_CREDIT_APPLIED = "unit.credit_applied"
    UNIT_CREDIT_REFUNDED = "unit.credit_refunded"
    RESIDENT_INVITED = "resident.invited"
    RESIDENT_INVITATION_ACCEPTED = "resident.invitation_accepted"
    BATCH_CREATED = "batch.created"
    BATCH_PUBLISHED = "batch.published"
    BATCH_DRAFTS_VOIDED = "batch.drafts_voided"
    SCHEDULE_CREATED = "schedule.created"
    SCHEDULE_UPDATED = "schedule.updated"
    SCHEDULE_PAUSED = "schedule.paused"
    SCHEDULE_RESUMED = "schedule.resumed"
    SCHEDULE_PERIOD_SKIPPED = "schedule.period_skipped"
    SCHEDULE_PERIOD_RESTORED = "schedule.period_restored"
    SCHEDULE_RUN = "schedule.run"
    BUDGET_CREATED = "budget.created"
    BUDGET_UPDATED = "budget.updated"
    BUDGET_ADOPTED = "budget.adopted"
    SPECIAL_ASSESSMENT_CREATED = "special_assessment.created"
    REMINDER_SENT = "reminder.sent"
    REMINDER_SKIPPED = "reminder.skipped"
    REMINDER_POLICY_UPDATED = "reminder_policy.updated"
    LATE_FEE_POLICY_UPDATED = "late_fee_policy.updated"
    LATE_FEE_APPLIED = "late_fee.applied"
    FUND_CREATED = "fund.created"
    FUND_UPDATED = "fund.updated"
    FUND_DELETED = "fund.deleted"
    CATEGORY_CREATED = "category.created"
    CATEGORY_UPDATED = "category.updated"
    CATEGORY_DELETED = "category.deleted"
    TAX_REGISTRATION_UPDATED = "tax_registration.updated"
    LEDGER_ACCOUNT_UPDATED = "ledger_account.updated"
    API_TOKEN_CREATED = "api_token.created"  # noqa: S105 - an event name, not a secret
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 - an event name, not a secret
    IMPORT_APPLIED = "import.applied"
    IMPORT_UNDONE = "import.undone"
    BANK_STATEMENT_IMPORTED = "bank_statement.imported"
    BANK_LINE_MATCHED = "bank_line.matched"
    DEPOSIT_BATCH_RECORDED = "deposit_batch.recorded"


# What each verb means in the journal, registered by the app that writes it (``label_verbs``).
VERB_LABELS: dict[str, Promise | str] = {}


def label_verbs(labels: Mapping[Verb, Promise | str]) -> None:
    """Give the journal's label (lazily translated) of each of these verbs; called from ``ready()``."""
    VERB_LABELS.update({str(verb): label for verb, label in labels.items()})


def verb_label(verb: str) -> str:
    """What an audit event's verb means, in the reader's language (the verb itself when unknown)."""
    return str(VERB_LABELS.get(str(verb), verb))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as JSON-ready values (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname) if isinstance(field, models.ForeignKey) else getattr(obj, name)
        data[name] = _jsonable(value)
    return data


def record(
    actor: Actor | None,
    verb: Verb | str,
    obj: models.Model,
    *,
    property: Property | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event; call it inside the service's transaction."""
    if property is None:
        property = getattr(obj, "property", None)
    return AuditEvent.objects.create(
        property=property,
        actor=actor if actor is not None and actor.is_authenticated else None,  # type: ignore[misc]
        verb=str(verb),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
