"""A pre-authorized debit paid through Checkout was refused days later (NSF, closed account, mandate
revoked): the payer and every member who records payments are told by email, once each, in their
language, as autopay's failed debits are (docs/decisions/0031, 0036, 0038). One invoice (« Payer ») or
several (« Payer le solde »): the same two emails, listing the invoices that are still due."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from logis.accounts.models import Membership
from logis.core.money import format_amount
from logis.core.permissions import ROLE_ACTIONS, Action
from logis.invoicing.emails import invoice_link
from logis.invoicing.models import Invoice
from logis.notifications.outbox import LANGUAGES, queue_email
from logis.payments.models import CheckoutSession
from logis.properties.models import Resident
from logis.properties.selectors import primary_resident

RESIDENT_SUBJECT = gettext_lazy("Pre-authorized debit refused — %(amount)s, unit %(unit)s")
RESIDENT_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nThe pre-authorized debit of %(amount)s you made online for unit %(unit)s was "
    "refused by your bank. Nothing was paid: these invoices are still due.\n\n%(invoices)s\n\n"
    "Please pay them from the portal.\n\n%(property)s"
)
STAFF_SUBJECT = gettext_lazy("Pre-authorized debit refused — unit %(unit)s, %(amount)s")
STAFF_TEXT = gettext_lazy(
    "A pre-authorized debit of %(amount)s made online for unit %(unit)s was refused by the bank. "
    "These invoices are open with their balance due; the resident has been told.\n\n%(invoices)s"
    "\n\n%(property)s"
)
INVOICE_LINE = gettext_lazy("Invoice %(number)s (%(title)s): %(balance)s still due")


def _values(row: CheckoutSession, invoices: Sequence[Invoice], language: str) -> dict[str, str]:
    lines = [
        str(INVOICE_LINE)
        % {
            "number": f"#{i.number}" if i.number else str(i.pk),
            "title": " ".join(i.title.split()),
            "balance": format_amount(max(i.amount - i.amount_paid, Decimal("0.00")), language),
        }
        for i in invoices
    ]
    return {
        "amount": format_amount(row.amount, language),
        "unit": invoices[0].unit.number,
        "property": row.property.name,
        "invoices": "\n".join(f"- {line}" for line in lines),
    }


def queue_checkout_debit_failed_emails(*, row: CheckoutSession, invoices: Sequence[Invoice]) -> None:
    """The debit of Checkout Session ``row`` (one invoice, or several for « Payer le solde ») failed: email
    whoever paid (else the unit's primary resident) and the members who record payments. Idempotent by
    the session: a redelivered failure event queues nothing more."""
    if not invoices:
        return
    prop = row.property
    unit = invoices[0].unit
    resident = (
        Resident.objects.filter(user_id=row.user_id, occupancies__unit_id=unit.pk).first()
        if row.user_id
        else None
    ) or primary_resident(unit)
    to = (resident.email if resident else "") or (row.user.email if row.user_id and row.user else "")
    if to:
        candidates = (resident.language if resident else "", prop.language)
        language = next((c for c in candidates if c in LANGUAGES), "fr")
        with translation.override(language):
            values = {
                **_values(row, invoices, language),
                "name": resident.name if resident else to,
            }
            subject = str(RESIDENT_SUBJECT) % values
            text = str(RESIDENT_TEXT) % values
        link = (
            invoice_link(invoices[0])
            if len(invoices) == 1
            else f"{settings.SITE_URL}{reverse('portal:home')}"
        )
        queue_email(
            key=f"checkout-debit-failed:{row.session_id}:resident",
            kind="checkout_debit_failed",
            to=to,
            subject=subject,
            text=f"{text}\n{link}\n",
            language=language,
            property=prop,
            invoice=invoices[0] if len(invoices) == 1 else None,
        )
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.RECORD_PAYMENT in actions]
    link = f"{settings.SITE_URL}{reverse('invoicing:detail', args=[prop.pk, invoices[0].pk])}"
    staff = Membership.objects.filter(property=prop, role__in=roles).select_related("user")
    for membership in staff.order_by("user_id"):
        user = membership.user
        if not user.email or not user.is_active:
            continue
        language = user.language if user.language in LANGUAGES else "fr"
        with translation.override(language):
            values = _values(row, invoices, language)
            subject = str(STAFF_SUBJECT) % values
            text = str(STAFF_TEXT) % values
        queue_email(
            key=f"checkout-debit-failed:{row.session_id}:staff:{user.pk}",
            kind="checkout_debit_failed_staff",
            to=user.email,
            subject=subject,
            text=f"{text}\n{link}\n",
            language=language,
            property=prop,
            invoice=invoices[0] if len(invoices) == 1 else None,
        )
