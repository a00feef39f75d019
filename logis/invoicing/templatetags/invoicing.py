"""Template helpers of the Factures pages: status labels and sortable column headers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

from logis.core.audit import verb_label as audit_verb_label

register = template.Library()

STATUS_LABELS = {
    "draft": pgettext_lazy("invoice status", "Draft"),
    "open": pgettext_lazy("invoice status", "Open"),
    "paid": pgettext_lazy("invoice status", "Paid"),
    "overdue": pgettext_lazy("invoice status", "Overdue"),
    "void": pgettext_lazy("invoice status", "Void"),
}

EMAIL_STATUS_LABELS = {
    "queued": pgettext_lazy("email delivery", "Queued"),
    "sent": pgettext_lazy("email delivery", "Sent"),
    "failed": pgettext_lazy("email delivery", "Failed"),
}


@register.filter
def status_label(status: str) -> str:
    """Brouillon, Ouverte, Payée, En retard, Annulée (Draft, Open, Paid, Overdue, Void)."""
    return str(STATUS_LABELS.get(status, status))


@register.filter
def email_status_label(status: str) -> str:
    return str(EMAIL_STATUS_LABELS.get(status, status))


@register.simple_tag(takes_context=True)
def sort_query(context: Any, key: str) -> str:
    """The query string that sorts by ``key`` (ascending first, descending on a second click)."""
    current = context.get("sort", "")
    new = f"-{key}" if current == key else key
    query = context["request"].GET.copy()
    query["sort"] = new
    for stale in ("page", "after", "before"):  # a new order starts at its first page
        query.pop(stale, None)
    return str(query.urlencode())


@register.simple_tag(takes_context=True)
def aria_sort(context: Any, key: str) -> str:
    current = context.get("sort", "")
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.filter
def verb_label(verb: str) -> str:
    """An audit event's verb as the reader says it ("Payment applied to the invoice")."""
    return audit_verb_label(verb)
