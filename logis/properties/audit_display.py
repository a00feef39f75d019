"""How an audit event reads in the journal: a translated action and the fields that changed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logis.core.audit import VERB_LABELS, Verb, label_verbs, verb_label
from logis.core.dates import table_date
from logis.core.models import AuditEvent
from logis.core.money import format_amount
from logis.core.permissions import Role

# The journal's labels of the events written below the apps that register their own (imports, banking);
# the one table they all land in is ``audit.VERB_LABELS``, read here as ``VERBS``.
VERBS = VERB_LABELS
label_verbs(
    {
        Verb.UNIT_CREATED: _("Unit added"),
        Verb.UNIT_UPDATED: _("Unit changed"),
        Verb.UNIT_PRIMARY_RESIDENT_SET: _("Primary resident changed"),
        Verb.RESIDENT_CREATED: _("Resident added"),
        Verb.RESIDENT_UPDATED: _("Resident changed"),
        Verb.RESIDENT_LINKED: _("Resident linked to a unit"),
        Verb.RESIDENT_EMAILS_CHANGED: _("Invoice and receipt emails of a resident changed"),
        Verb.RESIDENT_UNLINKED: _("Resident unlinked from a unit"),
        Verb.PROPERTY_PAYMENT_SETTINGS_CHANGED: _("Payment settings changed"),
        Verb.MEMBER_ADDED: _("Member added"),
        Verb.MEMBER_ROLE_CHANGED: _("Role changed"),
        Verb.MEMBER_REMOVED: _("Member removed"),
        Verb.MEMBER_INVITED: _("Member invited"),
        Verb.MEMBER_INVITATION_RESENT: _("Member invitation sent again"),
        Verb.MEMBER_INVITATION_REVOKED: _("Member invitation revoked"),
        Verb.MEMBER_INVITATION_ACCEPTED: _("Member invitation accepted"),
        Verb.ORGANIZATION_CREATED: _("Organization created"),
        Verb.ORGANIZATION_UPDATED: _("Organization renamed"),
        Verb.ORGANIZATION_ADMIN_ADDED: _("Organization administrator added"),
        Verb.ORGANIZATION_ADMIN_REMOVED: _("Organization administrator removed"),
        Verb.PROPERTY_CREATED: _("Property created"),
        Verb.PROPERTY_PROFILE_CHANGED: _("Property details changed"),
        Verb.USER_LANGUAGE_CHANGED: _("Language changed"),
        Verb.USER_TWO_FACTOR_ENABLED: _("Two-factor authentication turned on"),
        Verb.USER_TWO_FACTOR_DISABLED: _("Two-factor authentication turned off"),
        Verb.USER_RECOVERY_CODES_REGENERATED: _("New recovery codes generated"),
        Verb.USER_RECOVERY_CODE_USED: _("Recovery code used to sign in"),
        Verb.PROPERTY_SECURITY_SETTINGS_CHANGED: _("Security settings changed"),
        Verb.INVOICE_CREATED: _("Invoice created"),
        Verb.INVOICE_UPDATED: _("Invoice changed"),
        Verb.INVOICE_PUBLISHED: _("Invoice published"),
        Verb.INVOICE_VOIDED: _("Invoice voided"),
        Verb.INVOICE_PAYMENT_APPLIED: _("Payment applied to the invoice"),
        Verb.INVOICE_PAY_LINKS_REVOKED: _("Pay links of the invoice revoked"),
        Verb.PAYMENT_BALANCE_APPLIED: _("Payment of the whole balance applied to invoices"),
        Verb.INVOICE_PAYMENT_REVERSED: _("Payment reversed on the invoice"),
        Verb.INVOICE_PAYMENT_REFUNDED: _("Payment refunded on the invoice"),
        Verb.PAYMENT_RECORDED: _("Payment recorded"),
        Verb.PAYMENT_REVERSED: _("Payment reversed"),
        Verb.PAYMENT_REFUNDED: _("Payment refunded"),
        Verb.REMITTANCE_RECORDED: _("Payment for several invoices recorded"),
        Verb.REMITTANCE_REVERSED: _("Payment for several invoices reversed"),
        Verb.AUTOPAY_ENROLLED: _("Automatic payment set up"),
        Verb.AUTOPAY_STOPPED: _("Automatic payment stopped"),
        Verb.AUTOPAY_REVOKED: _("Automatic payment cancelled by the bank"),
        Verb.AUTOPAY_DEBIT_ANNOUNCED: _("Automatic debit announced"),
        Verb.AUTOPAY_DEBIT_CANCELLED: _("Automatic debit cancelled"),
        Verb.AUTOPAY_DEBIT_SUBMITTED: _("Automatic debit sent"),
        Verb.AUTOPAY_DEBIT_FAILED: _("Automatic debit refused"),
        Verb.PAYMENT_AUTOPAY_PENDING: _("Automatic debit pending"),
        Verb.PAYMENT_AUTOPAY_SUCCEEDED: _("Automatic debit received"),
        Verb.PAYMENT_AUTOPAY_FAILED: _("Automatic debit failed"),
        Verb.PAYMENT_CHECKOUT_STARTED: _("Online payment started"),
        Verb.PAYMENT_ONLINE_SUCCEEDED: _("Online payment received"),
        Verb.PAYMENT_ONLINE_PENDING: _("Online payment pending"),
        Verb.PAYMENT_ONLINE_FAILED: _("Online payment failed"),
        Verb.PAYMENT_ONLINE_PROBLEM: _("Online payment problem"),
        Verb.UNIT_CREDIT_ADDED: _("Credit added to the unit's account"),
        Verb.UNIT_CREDIT_APPLIED: _("Unit credit applied to an invoice"),
        Verb.UNIT_CREDIT_REFUNDED: _("Unit credit refunded"),
        Verb.RESIDENT_INVITED: _("Resident invited to the portal"),
        Verb.RESIDENT_INVITATION_ACCEPTED: _("Portal invitation accepted"),
        Verb.BATCH_CREATED: _("Batch of invoices created"),
        Verb.BATCH_PUBLISHED: _("Batch published"),
        Verb.BATCH_DRAFTS_VOIDED: _("Batch drafts voided"),
        Verb.SCHEDULE_CREATED: _("Recurring dues added"),
        Verb.SCHEDULE_UPDATED: _("Recurring dues changed"),
        Verb.SCHEDULE_PAUSED: _("Recurring dues paused"),
        Verb.SCHEDULE_RESUMED: _("Recurring dues resumed"),
        Verb.SCHEDULE_PERIOD_SKIPPED: _("Recurring dues: month skipped"),
        Verb.SCHEDULE_PERIOD_RESTORED: _("Recurring dues: skipped month restored"),
        Verb.SCHEDULE_RUN: _("Recurring dues billed"),
        Verb.BUDGET_CREATED: _("Budget entered"),
        Verb.BUDGET_UPDATED: _("Budget changed"),
        Verb.BUDGET_ADOPTED: _("Budget adopted: dues created"),
        Verb.SPECIAL_ASSESSMENT_CREATED: _("Special assessment billed"),
        Verb.REMINDER_SENT: _("Reminder sent"),
        Verb.REMINDER_SKIPPED: _("Reminder not sent"),
        Verb.REMINDER_POLICY_UPDATED: _("Reminder policy changed"),
        Verb.LATE_FEE_POLICY_UPDATED: _("Late fee policy changed"),
        Verb.LATE_FEE_APPLIED: _("Late fee billed"),
        Verb.FUND_CREATED: _("Fund added"),
        Verb.FUND_UPDATED: _("Fund changed"),
        Verb.FUND_DELETED: _("Fund deleted"),
        Verb.CATEGORY_CREATED: _("Charge category added"),
        Verb.CATEGORY_UPDATED: _("Charge category changed"),
        Verb.CATEGORY_DELETED: _("Charge category deleted"),
        Verb.TAX_REGISTRATION_UPDATED: _("GST and QST numbers changed"),
        Verb.LEDGER_ACCOUNT_UPDATED: _("Ledger account code or export name changed"),
        Verb.API_TOKEN_CREATED: _("API token created"),
        Verb.API_TOKEN_REVOKED: _("API token revoked"),
    }
)


# Fields whose name means something else on invoices and payments than on units.
FIELDS_BY_TYPE: dict[str, dict[str, Promise]] = {
    "invoicing.invoice": {
        "number": _("Invoice number"),
        "title": _("Title"),
        "amount": _("Amount"),
        "amount_paid": _("Amount paid"),
        "paid_at": _("Paid on"),
        "due_date": _("Due date"),
        "description": _("Description"),
        "notify_resident": _("Send an email notification to the resident"),
        "status": _("Status"),
        "void_reason": _("Reason"),
    },
    "accounts.user": {
        "method": _("Method"),
        "recovery_codes_left": _("Recovery codes left"),
    },
    "payments.payment": {
        "invoice": _("Invoice"),
        "amount": _("Amount"),
        "paid_on": _("Date"),
        "method": _("Method"),
        "reference": _("Reference"),
        "reversal": _("Reversal"),
        "reason": _("Reason"),
        "status": _("Status"),
        "provider_payment_id": _("Stripe reference"),
        "session": _("Payment session"),
        "event": _("Stripe event"),
    },
    "payments.checkoutsession": {
        "invoice": _("Invoice"),
        "amount": _("Amount"),
        "methods": _("Accepted payment methods"),
        "demo": _("Demo mode"),
    },
}
MONEY_FIELDS = {"amount", "amount_paid"}
# The labels of a field's stored values, by (object type, field): registered by the app that owns the
# model (``register_value_labels`` from its ``ready()``: invoicing's and payments' statuses), so the
# journal imports no model of an app above properties.
VALUE_LABELS: dict[tuple[str, str], dict[Any, Any]] = {}


def register_value_labels(object_type: str, field_name: str, choices: list[tuple[Any, Any]]) -> None:
    VALUE_LABELS[(object_type, field_name)] = dict(choices)


DATE_FIELDS = {"due_date", "paid_on"}

FIELDS: dict[str, Promise] = {
    "number": _("Unit number"),
    "share": _("Share (%)"),
    "name": _("Name"),
    "email": _("Email"),
    "phone": _("Phone"),
    "language": _("Preferred language"),
    "unit": _("Unit"),
    "resident": _("Resident"),
    "kind": _("Link"),
    "is_primary": _("Primary resident"),
    "primary_resident_name": _("Primary resident"),
    "payments_enabled": _("Enable payments"),
    "accepted_methods": _("Accepted payment methods"),
    "nsf_fee": _("Fee for a refused payment (NSF)"),
    "require_staff_mfa": _("Require two-factor authentication for staff"),
    "user": _("User"),
    "role": _("Role"),
}

# Ids kept in the event for machines; people read the name next to them.
HIDDEN = {"primary_resident", "unit", "resident"}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class EventRow:
    event: AuditEvent
    action: str
    changes: list[Change] = field(default_factory=list)
    # When it happened, in the property's time zone (events are stored in UTC).
    when: dt.datetime | None = None


def _show(name: str, value: Any, object_type: str = "") -> str:
    from logis.properties.models import OccupancyKind, PaymentMethod

    if value is None or value == "":
        return "—"
    if name in MONEY_FIELDS and object_type in FIELDS_BY_TYPE:
        try:
            return format_amount(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    if name in DATE_FIELDS and isinstance(value, str):
        try:
            return table_date(dt.date.fromisoformat(value[:10]))
        except ValueError:
            return value
    choices = VALUE_LABELS.get((object_type, name))
    if choices is not None:
        return str(choices.get(value, value))
    if name == "methods" and isinstance(value, list):
        labels = dict(PaymentMethod.choices)
        return ", ".join(str(labels.get(v, v)) for v in value) or "—"
    if name == "method" and object_type == "accounts.user":
        return str(_("Authenticator app")) if value == "totp" else str(value)
    if name == "method":
        return str(dict(PaymentMethod.choices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if name == "accepted_methods" and isinstance(value, list):
        labels = dict(PaymentMethod.choices)
        return ", ".join(str(labels.get(v, v)) for v in value) or "—"
    if name == "role":
        return str(dict(Role.choices).get(value, value))
    if name == "kind":
        return str(dict(OccupancyKind.choices).get(value, value))
    if name == "language":
        return {"fr": "Français", "en": "English"}.get(value, str(value))
    return str(value)


def describe_event(event: AuditEvent, *, timezone: str = "") -> EventRow:
    """The event as the journal shows it; ``timezone`` is the property's (its events' local time)."""
    before: dict[str, Any] = event.before if isinstance(event.before, dict) else {}
    after: dict[str, Any] = event.after if isinstance(event.after, dict) else {}
    when = event.created_at
    if timezone and when is not None:
        when = when.astimezone(zoneinfo.ZoneInfo(timezone))
    row = EventRow(event=event, action=verb_label(event.verb), when=when)
    labels = {**FIELDS, **FIELDS_BY_TYPE.get(event.object_type, {})}
    for name in dict.fromkeys([*before.keys(), *after.keys()]):
        if name in HIDDEN:
            continue
        old, new = before.get(name), after.get(name)
        if event.before is not None and event.after is not None and old == new:
            continue
        if event.before is None and new in (None, ""):
            continue  # a creation lists what was given, not every empty field
        row.changes.append(
            Change(
                label=str(labels.get(name, name)),
                before=_show(name, old, event.object_type) if event.before is not None else "",
                after=_show(name, new, event.object_type) if event.after is not None else "",
            )
        )
    return row
