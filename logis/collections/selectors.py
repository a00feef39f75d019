"""Reads of the collections app: policies (with defaults) and what happened to one invoice."""

from __future__ import annotations

from dataclasses import dataclass

from logis.collections.models import LateFee, LateFeePolicy, ReminderPolicy, ReminderSent
from logis.invoicing.models import Invoice
from logis.properties.models import Property


def reminder_policy_for(property: Property) -> ReminderPolicy:
    """The property's reminder policy, or an unsaved disabled one."""
    return ReminderPolicy.objects.filter(property=property).first() or ReminderPolicy(property=property)


def late_fee_policy_for(property: Property) -> LateFeePolicy:
    """The property's late-fee policy, or an unsaved disabled one."""
    return LateFeePolicy.objects.filter(property=property).first() or LateFeePolicy(property=property)


@dataclass(frozen=True)
class InvoiceCollections:
    reminders: list[ReminderSent]
    late_fees: list[LateFee]  # fees billed for this invoice
    fee_of: LateFee | None  # when this invoice is itself a late fee


def invoice_collections(invoice: Invoice) -> InvoiceCollections:
    """Reminders (newest first, with their emails) and late fees of one invoice: three queries."""
    reminders = list(
        ReminderSent.objects.filter(invoice=invoice)
        .select_related("email", "sent_by")
        .order_by("-created_at", "-id")
    )
    late_fees = list(
        LateFee.objects.filter(original=invoice, fee_invoice__isnull=False)
        .select_related("fee_invoice")
        .order_by("period_index", "id")
    )
    fee_of = LateFee.objects.filter(fee_invoice=invoice).select_related("original").first()
    return InvoiceCollections(reminders=reminders, late_fees=late_fees, fee_of=fee_of)
