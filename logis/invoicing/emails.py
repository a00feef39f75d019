"""The emails about an invoice: the « new invoice » email (rendering, its lines and pay link), and the
way every email about an invoice reaches its unit (``queue_resident_email``: the primary resident, and
the other residents who asked, each in their language), which receipts (``payments/receipts.py``) and
reminders (``collections/reminders.py``) use too. Written here, handed to the outbox
(``logis.notifications.outbox.queue_email``), which sends them.

Registered with the outbox when Django starts (``InvoicingConfig.ready`` → ``register``): the emails of
an invoice voided while they wait are cancelled unsent (``cancel_if_voided``), and the publish emails
of a batch lost with a worker are prepared again (``requeue_missing_published_emails``). The « Voir et
payer » link is made by payments, above invoicing, which registers its maker here (``register_pay_link``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logis.core import charter
from logis.core.dates import long_date
from logis.core.links import portal_invoice_url
from logis.core.money import format_amount
from logis.finances.selectors import tax_registration
from logis.invoicing.lines import lines_for_documents
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.delivery import SEND_LEASE
from logis.notifications.models import EmailMessage
from logis.notifications.outbox import (
    INVOICE_VOIDED,
    KEPT_AFTER_VOID,
    LANGUAGES,
    queue_email,
    register_cancel_check,
    register_recovery,
)
from logis.properties.models import Resident
from logis.properties.selectors import primary_resident, primary_residents
from logis.properties.setup import logo_url

INVOICE_PUBLISHED = "invoice_published"


class Lookup:
    """Marks an argument left out: look the primary resident up (``None`` means: known to have none)."""


LOOKUP = Lookup()
# Publishing more emails than this at once renders and queues them in the worker, not in the request:
# a 2,000-unit batch publishes in seconds instead of minutes (see ``prepare_invoice_emails``).
INLINE_EMAIL_LIMIT = 20


# The « Voir et payer » link of an email: ``maker(invoice, sent_to)`` gives a new link, or "" when nothing
# is to pay (payments registers ``paylinks.email_pay_link`` when Django starts, docs/decisions/0025).
PayLinkMaker = Callable[[Invoice, str], str]
_pay_link_makers: list[PayLinkMaker] = []


def register_pay_link(maker: PayLinkMaker) -> None:
    _pay_link_makers[:] = [maker]


def invoice_email_blocker(invoice: Invoice, *, resident: Resident | Lookup | None = LOOKUP) -> str | None:
    if isinstance(resident, Lookup):
        resident = primary_resident(invoice.unit)
    if resident is None:
        message = _("Unit %(unit)s has no primary resident: no email can be sent.")
        return message % {"unit": invoice.unit.number}
    if not resident.email:
        return _("%(name)s, the primary resident of unit %(unit)s, has no email address.") % {
            "name": resident.name,
            "unit": invoice.unit.number,
        }
    try:
        validate_email(resident.email)
    except DjangoValidationError:
        return _("The email address of %(name)s is not valid.") % {"name": resident.name}
    return None


def invoice_link(invoice: Invoice) -> str:
    """The absolute address where the resident views this invoice: the portal's invoice page."""
    return portal_invoice_url(invoice.pk)


def _pay_link(invoice: Invoice, resident: Resident) -> str:
    """A new « Voir et payer » link for this email (docs/decisions/0025), or "" when nothing is to pay."""
    return "".join(maker(invoice, resident.email or "") for maker in _pay_link_makers)


def _email_language(resident: Resident, invoice: Invoice) -> str:
    for candidate in (resident.language, invoice.property.language):
        if candidate in LANGUAGES:
            return candidate
    return "fr"


def render_invoice_published(*, invoice: Invoice, resident: Resident, language: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the 'new invoice' email, written in ``language``; for a Quebec
    property and a reader of another language, in French with that language after it (s. 57, core/charter)."""
    main, companion = charter.document_languages(invoice.property, language)
    pay_link = _pay_link(invoice, resident)  # one link for the email, whatever its languages
    first = _render_invoice_published(invoice=invoice, resident=resident, language=main, pay_link=pay_link)
    if companion is None:
        return first
    second = _render_invoice_published(
        invoice=invoice, resident=resident, language=companion, pay_link=pay_link
    )
    subject, text, html = charter.bilingual_email(first, second, companion)
    return subject[:255], text, html


def _render_invoice_published(
    *, invoice: Invoice, resident: Resident, language: str, pay_link: str
) -> tuple[str, str, str]:
    lines = lines_for_documents(invoice, language)
    # Taxes are shown with the syndicate's registration numbers, as on the PDF (issue 11).
    taxed = any(line["taxes"] for line in lines)
    with translation.override(language):
        # One line, whatever the title holds: a header never carries a line break.
        subject = _("New invoice — %(title)s") % {"title": " ".join(invoice.title.split())}
        context = {
            "subject": subject,
            "language": language,
            "resident_name": resident.name,
            "property_name": invoice.property.name,
            "logo_url": logo_url(invoice.property),
            "unit": invoice.unit.number,
            "number": invoice.number,
            "title": invoice.title,
            "amount": format_amount(invoice.amount, language),
            "due_date": long_date(invoice.due_date, language),
            "description": invoice.description.strip(),
            "link": invoice_link(invoice),
            "lines": lines,
            "tax_registration": tax_registration(invoice.property) if taxed else None,
            "pay_link": pay_link,
            "pay_link_days": settings.PAY_LINK_DAYS,
        }
        text = render_to_string("notifications/email/invoice_published.txt", context).strip() + "\n"
        html = render_to_string("notifications/email/invoice_published.html", context)
    return subject[:255], text, html


def queue_invoice_published_email(
    *, invoice: Invoice, resident: Resident | Lookup | None = LOOKUP
) -> EmailMessage | None:
    """Queue the 'new invoice' email to the unit's primary resident, once per invoice.

    Runs in the caller's transaction (``publish_invoice``): the message and its delivery task are
    written together, so a publish that rolls back queues nothing. ``resident``: the unit's primary
    resident when the caller already has it (bulk publishing), else looked up.
    """
    return queue_resident_email(
        invoice=invoice,
        resident=resident,
        key=f"invoice-published:{invoice.pk}",
        kind=INVOICE_PUBLISHED,
        render=lambda person, language: render_invoice_published(
            invoice=invoice, resident=person, language=language
        ),
    )


def queue_invoice_published_emails_later(*, invoice_ids: list[int]) -> None:
    """Hand the 'new invoice' emails of many just-published invoices to the worker, in the caller's
    transaction: one task row instead of rendering and queuing each email in the request. The worker
    (``prepare_invoice_emails``) writes each message once (by key), so running it twice is harmless."""
    from logis.invoicing.tasks import prepare_invoice_emails

    if invoice_ids:
        prepare_invoice_emails.enqueue(sorted(invoice_ids))


PREPARE_CHUNK = 200


def prepare_published_emails(*, invoice_ids: list[int]) -> int:
    """Queue the 'new invoice' email of each invoice still open and asking for it; returns how many.

    Run by the worker. Each chunk commits on its own, so a crash keeps what was done and a rerun
    (the task retried, or ``requeue_missing_published_emails``) adds only what is missing.
    """
    queued = 0
    ids = sorted(set(invoice_ids))
    for start in range(0, len(ids), PREPARE_CHUNK):
        chunk = ids[start : start + PREPARE_CHUNK]
        with transaction.atomic():
            invoices = list(
                Invoice.objects.select_related("unit", "property")
                .filter(pk__in=chunk, status=InvoiceStatus.OPEN, notify_resident=True)
                .exclude(emails__kind=INVOICE_PUBLISHED)
                .order_by("pk")
            )
            residents = primary_residents(i.unit_id for i in invoices)
            for invoice in invoices:
                if queue_invoice_published_email(invoice=invoice, resident=residents.get(invoice.unit_id)):
                    queued += 1
    return queued


def requeue_missing_published_emails(*, now: dt.datetime | None = None) -> list[int]:
    """Safety net for ``prepare_invoice_emails`` lost with a worker: invoices published, asking for
    the email, with a resident to write to, and still without their 'new invoice' email well after
    publishing get a new preparation task. Looks back two days."""
    now = now or timezone.now()
    invoices = list(
        Invoice.objects.select_related("unit")
        .filter(
            status=InvoiceStatus.OPEN,
            notify_resident=True,
            published_at__lte=now - SEND_LEASE,
            published_at__gte=now - dt.timedelta(days=2),
        )
        .exclude(emails__kind=INVOICE_PUBLISHED)
    )
    residents = primary_residents(i.unit_id for i in invoices)
    ids = [i.pk for i in invoices if invoice_email_blocker(i, resident=residents.get(i.unit_id)) is None]
    with transaction.atomic():
        queue_invoice_published_emails_later(invoice_ids=ids)
    return ids


def queue_resident_email(
    *,
    invoice: Invoice,
    key: str,
    kind: str,
    render: Callable[[Resident, str], tuple[str, str, str]],
    resident: Resident | Lookup | None = LOOKUP,
) -> EmailMessage | None:
    """Queue an email about ``invoice`` to its unit's primary resident, once per ``key``, written by
    ``render(resident, language)`` (subject, text, HTML) in the resident's language; None when the
    primary resident cannot receive it (``invoice_email_blocker``). The unit's other residents who
    asked for these emails (``Occupancy.receives_emails``) get their own copy, in their language,
    once each (key ``<key>:r<resident id>``). Runs in the caller's transaction."""
    if isinstance(resident, Lookup):
        resident = primary_resident(invoice.unit)
    primary_message: EmailMessage | None = None
    if invoice_email_blocker(invoice, resident=resident) is None:
        assert resident is not None
        primary_message = _queue_to(invoice, resident, key=key, kind=kind, render=render)
    for other in co_recipients(invoice, primary=resident):
        _queue_to(invoice, other, key=f"{key}:r{other.pk}", kind=kind, render=render)
    return primary_message


def co_recipients(invoice: Invoice, *, primary: Resident | None) -> list[Resident]:
    """The unit's residents, other than its primary one, who asked for its invoice and receipt emails
    and have an address that can receive them (one query)."""
    found = []
    others = Resident.objects.filter(
        occupancies__unit_id=invoice.unit_id,
        occupancies__receives_emails=True,
        occupancies__is_primary=False,
    ).exclude(email="")
    for other in others.order_by("pk"):
        if primary is not None and other.pk == primary.pk:
            continue
        try:
            validate_email(other.email)
        except DjangoValidationError:
            continue
        found.append(other)
    return found


def _queue_to(
    invoice: Invoice,
    resident: Resident,
    *,
    key: str,
    kind: str,
    render: Callable[[Resident, str], tuple[str, str, str]],
) -> EmailMessage:
    existing = EmailMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing  # written before: not rendered again
    language = _email_language(resident, invoice)
    subject, text, html = render(resident, language)
    return queue_email(
        key=key,
        kind=kind,
        to=resident.email,
        subject=subject,
        text=text,
        html=html,
        language=language,
        property=invoice.property,
        invoice=invoice,
    )


def cancel_if_voided(message: EmailMessage) -> str | None:
    """An email about an invoice voided while it waited (e.g. during an outage) is not sent: announcing
    it now would mislead. Some stay true after a void (a receipt: the money was received, it became unit
    credit): their app registers their kind with ``keep_after_void``."""
    if (
        message.invoice is not None
        and message.invoice.status == InvoiceStatus.VOID
        and message.kind not in KEPT_AFTER_VOID
    ):
        return INVOICE_VOIDED
    return None


def register() -> None:
    """Called by ``InvoicingConfig.ready``."""
    register_cancel_check(cancel_if_voided)
    register_recovery("invoice publish emails", lambda now: requeue_missing_published_emails(now=now))
