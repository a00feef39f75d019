"""How an audit event reads in the journal: a translated action and the fields that changed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logis.core.dates import table_date
from logis.core.models import AuditEvent
from logis.core.money import format_amount
from logis.core.permissions import Role

VERBS: dict[str, Promise] = {
    "unit.created": _("Unit added"),
    "unit.updated": _("Unit changed"),
    "unit.primary_resident_set": _("Primary resident changed"),
    "resident.created": _("Resident added"),
    "resident.updated": _("Resident changed"),
    "resident.linked": _("Resident linked to a unit"),
    "resident.emails_changed": _("Invoice and receipt emails of a resident changed"),
    "resident.unlinked": _("Resident unlinked from a unit"),
    "property.payment_settings_changed": _("Payment settings changed"),
    "member.added": _("Member added"),
    "member.role_changed": _("Role changed"),
    "member.removed": _("Member removed"),
    "member.invited": _("Member invited"),
    "member.invitation_resent": _("Member invitation sent again"),
    "member.invitation_revoked": _("Member invitation revoked"),
    "member.invitation_accepted": _("Member invitation accepted"),
    "organization.created": _("Organization created"),
    "organization.updated": _("Organization renamed"),
    "organization.admin_added": _("Organization administrator added"),
    "organization.admin_removed": _("Organization administrator removed"),
    "property.created": _("Property created"),
    "property.profile_changed": _("Property details changed"),
    "user.language_changed": _("Language changed"),
    "user.two_factor_enabled": _("Two-factor authentication turned on"),
    "user.two_factor_disabled": _("Two-factor authentication turned off"),
    "user.recovery_codes_regenerated": _("New recovery codes generated"),
    "user.recovery_code_used": _("Recovery code used to sign in"),
    "property.security_settings_changed": _("Security settings changed"),
    "invoice.created": _("Invoice created"),
    "invoice.updated": _("Invoice changed"),
    "invoice.published": _("Invoice published"),
    "invoice.voided": _("Invoice voided"),
    "invoice.payment_applied": _("Payment applied to the invoice"),
    "invoice.pay_links_revoked": _("Pay links of the invoice revoked"),
    "payment.balance_applied": _("Payment of the whole balance applied to invoices"),
    "invoice.payment_reversed": _("Payment reversed on the invoice"),
    "invoice.payment_refunded": _("Payment refunded on the invoice"),
    "payment.recorded": _("Payment recorded"),
    "payment.reversed": _("Payment reversed"),
    "payment.refunded": _("Payment refunded"),
    "remittance.recorded": _("Payment for several invoices recorded"),
    "remittance.reversed": _("Payment for several invoices reversed"),
    "payment.checkout_started": _("Online payment started"),
    "payment.online_succeeded": _("Online payment received"),
    "payment.online_pending": _("Online payment pending"),
    "payment.online_failed": _("Online payment failed"),
    "payment.online_problem": _("Online payment problem"),
    "unit.credit_added": _("Credit added to the unit's account"),
    "unit.credit_applied": _("Unit credit applied to an invoice"),
    "unit.credit_refunded": _("Unit credit refunded"),
    "resident.invited": _("Resident invited to the portal"),
    "resident.invitation_accepted": _("Portal invitation accepted"),
    "batch.created": _("Batch of invoices created"),
    "batch.published": _("Batch published"),
    "batch.drafts_voided": _("Batch drafts voided"),
    "schedule.created": _("Recurring dues added"),
    "schedule.updated": _("Recurring dues changed"),
    "schedule.paused": _("Recurring dues paused"),
    "schedule.resumed": _("Recurring dues resumed"),
    "schedule.period_skipped": _("Recurring dues: month skipped"),
    "schedule.period_restored": _("Recurring dues: skipped month restored"),
    "schedule.run": _("Recurring dues billed"),
    "budget.created": _("Budget entered"),
    "budget.updated": _("Budget changed"),
    "budget.adopted": _("Budget adopted: dues created"),
    "special_assessment.created": _("Special assessment billed"),
    "reminder.sent": _("Reminder sent"),
    "reminder.skipped": _("Reminder not sent"),
    "reminder_policy.updated": _("Reminder policy changed"),
    "late_fee_policy.updated": _("Late fee policy changed"),
    "late_fee.applied": _("Late fee billed"),
    "fund.created": _("Fund added"),
    "fund.updated": _("Fund changed"),
    "fund.deleted": _("Fund deleted"),
    "category.created": _("Charge category added"),
    "category.updated": _("Charge category changed"),
    "category.deleted": _("Charge category deleted"),
    "tax_registration.updated": _("GST and QST numbers changed"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
}


def verb_label(verb: str) -> str:
    """What an audit event's verb means, in the reader's language (the verb itself when unknown)."""
    return str(VERBS.get(verb, verb))


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
    if name == "status" and object_type == "invoicing.invoice":
        from logis.invoicing.models import InvoiceStatus

        return str(dict(InvoiceStatus.choices).get(value, value))
    if name == "status" and object_type == "payments.payment":
        from logis.payments.models import PaymentStatus

        return str(dict(PaymentStatus.choices).get(value, value))
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
    row = EventRow(event=event, action=str(VERBS.get(event.verb, event.verb)), when=when)
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
