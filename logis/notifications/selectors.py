"""Reads of the notifications app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from logis.notifications.models import EmailMessage

if TYPE_CHECKING:
    from logis.invoicing.models import Invoice


def emails_for_invoice(invoice: Invoice) -> QuerySet[EmailMessage]:
    """The emails sent about an invoice, newest first, ready for ``notifications/_invoice_emails.html``."""
    return (
        EmailMessage.objects.filter(invoice=invoice).select_related("property").order_by("-created_at", "-id")
    )
