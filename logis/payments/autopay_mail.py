"""What autopay says to people (docs/decisions/0031): the resident's emails (enrolled, notice of a debit,
failed, revoked), the managers' email when a debit fails, and the PAD agreement's text."""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logis.accounts.models import Membership, User
from logis.core.dates import long_date
from logis.core.links import absolute_url, manager_invoice_url
from logis.core.money import format_amount
from logis.core.permissions import ROLE_ACTIONS, Action
from logis.invoicing.emails import invoice_link
from logis.invoicing.models import Invoice
from logis.notifications.outbox import LANGUAGES, queue_email
from logis.payments.models import (
    AutopayDebit,
    AutopayEnrolment,
)
from logis.properties.models import Occupancy, Property, Resident

logger = logging.getLogger(__name__)


def resident_of(user: User, unit_id: int) -> Resident | None:
    occupancy = (
        Occupancy.objects.select_related("resident")
        .filter(unit_id=unit_id, resident__user=user)
        .order_by("-is_primary", "pk")
        .first()
    )
    return occupancy.resident if occupancy else None


# --- Emails ---------------------------------------------------------------------------------------


def invoice_number(invoice: Invoice) -> str:
    return f"#{invoice.number}" if invoice.number else str(invoice.pk)


def _values(debit: AutopayDebit, language: str) -> dict[str, str]:
    invoice = debit.invoice
    return {
        "amount": format_amount(debit.amount, language),
        "date": long_date(debit.debit_on, language),
        "number": invoice_number(invoice),
        "title": " ".join(invoice.title.split()),
        "unit": invoice.unit.number,
        "property": invoice.property.name,
        "fee": format_amount(debit.property.nsf_fee, language),
        "reason": debit.failure_reason(),
    }


# The emails' texts (gettext_lazy: rendered in the reader's language when queued).
ENROLLED_SUBJECT = gettext_lazy("Automatic payment is active — unit %(unit)s")
ENROLLED_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nAutomatic payment is now active for unit %(unit)s. Each invoice published from "
    "now on will be debited on its due date; you will receive the amount and the date at least 10 days "
    "before each debit. You can stop it at any time from the portal.\n\n%(property)s"
)
ENROLLED_OPEN_TEXT = gettext_lazy(
    "The invoices already open are included: each will be announced at least 10 days before its debit."
)
ENROLLED_NOT_OPEN_TEXT = gettext_lazy("The invoices already open are not debited: pay them as usual.")
NOTICE_SUBJECT = gettext_lazy("Upcoming automatic debit: %(amount)s on %(date)s")
NOTICE_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nAs agreed, %(amount)s will be debited on %(date)s for invoice %(number)s "
    "(%(title)s), unit %(unit)s. Nothing to do: you may still pay it otherwise before that date, or stop "
    "automatic payment from the portal.\n\n%(property)s"
)
FAILED_SUBJECT = gettext_lazy("Automatic debit refused — invoice %(number)s")
FAILED_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nThe automatic debit of %(amount)s for invoice %(number)s (%(title)s), unit "
    "%(unit)s, was refused (%(reason)s). The invoice is still due: please pay it from the portal."
)
FEE_TEXT = gettext_lazy("A fee for a refused payment of %(fee)s was billed.")
REVOKED_SUBJECT = gettext_lazy("Automatic payment stopped — unit %(unit)s")
REVOKED_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nYour bank cancelled the pre-authorized debit agreement of unit %(unit)s: "
    "automatic payment is stopped and nothing more will be debited. Your invoices are still due; you can "
    "pay them from the portal or enrol again.\n\n%(property)s"
)
STOPPED_BY_MANAGER_TEXT = gettext_lazy(
    "Hello %(name)s,\n\nThe management of %(property)s stopped the automatic payment of unit %(unit)s: "
    "nothing more will be debited, not even a debit already announced. The reason given: %(reason)s\n\n"
    "Your invoices are still due; you can pay them from the portal or enrol again.\n\n%(property)s"
)
STAFF_FAILED_SUBJECT = gettext_lazy("Automatic debit refused — unit %(unit)s, invoice %(number)s")
STAFF_FAILED_TEXT = gettext_lazy(
    "The automatic debit of %(amount)s for invoice %(number)s (%(title)s), unit %(unit)s, was refused "
    "(%(reason)s). The invoice is open with its balance due; the resident has been told."
)
RESIDENT_EMAILS = {
    "enrolled": (ENROLLED_SUBJECT, ENROLLED_TEXT),
    "notice": (NOTICE_SUBJECT, NOTICE_TEXT),
    "failed": (FAILED_SUBJECT, FAILED_TEXT),
    "revoked": (REVOKED_SUBJECT, REVOKED_TEXT),
    "stopped_by_manager": (REVOKED_SUBJECT, STOPPED_BY_MANAGER_TEXT),
}


def queue_resident_email(
    enrolment: AutopayEnrolment,
    what: str,
    *,
    key: str,
    debit: AutopayDebit | None = None,
    reason: str = "",
) -> None:
    resident = resident_of(enrolment.user, enrolment.unit_id)
    to = (resident.email if resident and resident.email else "") or enrolment.user.email
    if not to:
        return
    candidates = (resident.language if resident else "", enrolment.user.language, enrolment.property.language)
    language = next((c for c in candidates if c in LANGUAGES), "fr")
    with translation.override(language):
        values = {
            "name": resident.name if resident else enrolment.user.email,
            "unit": enrolment.unit.number,
            "property": enrolment.property.name,
            "reason": reason,
        }
        if debit is not None:
            values.update(_values(debit, language))
        subject_text, body_text = RESIDENT_EMAILS[what]
        subject = str(subject_text) % values
        text = str(body_text) % values
        if what == "failed":
            if debit is not None and debit.nsf_invoice_id:
                text += " " + str(FEE_TEXT) % values
            text += "\n\n" + values["property"]
        if what == "enrolled":
            # Which invoices (decision 0038), before the signature; then the agreement itself.
            scope = ENROLLED_OPEN_TEXT if enrolment.include_open else ENROLLED_NOT_OPEN_TEXT
            head, _sep, signature = text.rpartition("\n\n")
            text = f"{head} {scope}\n\n{signature}"
            text += "\n\n" + pad_agreement_text(enrolment.property)
    link = invoice_link(debit.invoice) if debit is not None else absolute_url(reverse("portal:autopay"))
    queue_email(
        key=key,
        kind=f"autopay_{what}",
        to=to,
        subject=subject,
        text=f"{text}\n{link}\n",
        language=language,
        property=enrolment.property,
        invoice=debit.invoice if debit is not None else None,
    )


def queue_staff_failure_emails(debit: AutopayDebit, invoice: Invoice) -> None:
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.RECORD_PAYMENT in actions]
    link = manager_invoice_url(invoice.property_id, invoice.pk)
    staff = Membership.objects.filter(property_id=invoice.property_id, role__in=roles).select_related("user")
    for membership in staff.order_by("user_id"):
        user = membership.user
        if not user.email or not user.is_active:
            continue
        language = user.language if user.language in LANGUAGES else "fr"
        with translation.override(language):
            values = _values(debit, language)
            subject = str(STAFF_FAILED_SUBJECT) % values
            text = str(STAFF_FAILED_TEXT) % values
            if debit.nsf_invoice_id:
                text += " " + str(FEE_TEXT) % values
            text += "\n\n" + values["property"]
        queue_email(
            key=f"autopay-failed:{debit.pk}:staff:{user.pk}",
            kind="autopay_failed_staff",
            to=user.email,
            subject=subject,
            text=f"{text}\n{link}\n",
            language=language,
            property=invoice.property,
            invoice=invoice,
        )


def pad_agreement_text(prop: Property) -> str:
    """The PAD agreement the resident accepts before enrolling (Payments Canada Rule H1), in the active
    language: shown on the page, and sent with the enrolment's confirmation."""
    return _(
        "Pre-authorized debit agreement. I authorize %(payee)s, and the financial institution it "
        "designates, to debit my account for the invoices of my unit published on the Logis portal, "
        "each on its due date, for the amount of the invoice. This is a personal, sporadic PAD. I will "
        "receive written notice of the amount and date of each debit at least 10 calendar days before it. "
        "I may cancel this agreement at any time from the portal or by notifying %(payee)s; cancelling "
        "does not cancel what I owe. I have certain recourse rights if a debit does not comply with this "
        "agreement: for example, the right to receive reimbursement for any debit that is not authorized "
        "or is not consistent with this agreement. To obtain more information on my recourse rights, I "
        "may contact my financial institution or visit www.payments.ca."
    ) % {"payee": prop.legal_name or prop.name}
