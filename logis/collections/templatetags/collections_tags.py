"""``{% invoice_collections invoice as col %}``: reminders and late fees of an invoice, for its page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from logis.collections import reminders, selectors
from logis.collections.models import LateFee, ReminderKind, ReminderSent
from logis.invoicing.models import Invoice, InvoiceStatus

register = template.Library()


@dataclass(frozen=True)
class ReminderRow:
    reminder: ReminderSent
    label: str
    skipped: str


@dataclass(frozen=True)
class InvoiceCollectionsView:
    rows: list[ReminderRow]
    late_fees: list[LateFee]
    fee_of: LateFee | None
    show_button: bool
    blocker: str | None
    collectible: bool


def reminder_label(reminder: ReminderSent) -> str:
    """« 3 jours avant l'échéance », « 5 jours après l'échéance », « Envoyé par … »."""
    n = reminder.offset_days
    if reminder.kind == ReminderKind.BEFORE:
        return ngettext("%(n)d day before the due date", "%(n)d days before the due date", n) % {"n": n}
    if reminder.kind == ReminderKind.AFTER:
        return ngettext("%(n)d day after the due date", "%(n)d days after the due date", n) % {"n": n}
    if reminder.sent_by is not None:
        return _("Sent by hand by %(user)s") % {"user": reminder.sent_by}
    return _("Sent by hand")


@register.simple_tag(takes_context=True)
def invoice_collections(context: Any, invoice: Invoice) -> InvoiceCollectionsView:
    data = selectors.invoice_collections(invoice)
    allowed = context.get("allowed") or set()
    collectible = invoice.status == InvoiceStatus.OPEN and invoice.amount_paid < invoice.amount
    blocker = reminders.reminder_blocker(invoice) if collectible else None
    rows = [
        ReminderRow(
            r, reminder_label(r), str(reminders.SKIPPED_REASONS.get(r.skipped_reason, r.skipped_reason))
        )
        for r in data.reminders
    ]
    return InvoiceCollectionsView(
        rows=rows,
        late_fees=data.late_fees,
        fee_of=data.fee_of,
        show_button=collectible and "publish_invoice" in allowed,
        blocker=blocker,
        collectible=collectible,
    )
