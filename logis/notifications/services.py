"""Queue emails in the caller's transaction; the worker (``tasks.deliver_email``) sends them.

What others call: ``queue_email``/``queue_resident_email`` (one message per key, in the recipient's
language, queued in the caller's transaction), ``invoice_email_blocker`` (why an invoice's email cannot
be sent, or None), ``queue_invoice_published_email`` (from ``publish_invoice``). Receipt emails live in
``logis.payments.receipts``; payments registers their PDF attachment (``register_attachments``) and keeps
them after a void (``keep_after_void``), so this module calls no app above it for them.

Delivery (``deliver_message``, run by the ``deliver_email`` task):
1. a short transaction locks the message row; a message already SENT or FAILED, or not due yet
   (``next_attempt_at`` in the future: another worker holds the lease, or a retry is scheduled),
   is left alone. Otherwise the attempt is counted and ``next_attempt_at`` is pushed one lease
   ahead, so no second worker sends it while this one talks to the mail server;
2. the email is sent with no transaction open (a slow mail server never holds database locks);
3. a second short transaction records the outcome: SENT with ``sent_at``; or, on failure, the
   reason, and either a retry (``next_attempt_at`` with exponential backoff and a new task with
   the same ``run_after``, both in one transaction) or FAILED after ``MAX_ATTEMPTS``.

The one window for a duplicate: the process dies after the mail server accepted the message and
before step 3 commits (SMTP has no two-phase commit: the server's "250" and our commit cannot be one
step). Step 3 is one UPDATE, retried on a fresh connection if the database dropped ours, so the window
is a few milliseconds. A message left QUEUED that way (or by a worker killed mid-send) is sent again
once its lease has passed: the scheduler's ``notifications.recover_deliveries`` job (every minute)
re-queues it and marks the dead worker's task row failed, as ``manage.py send_queued_emails`` does by
hand. The resend carries the same Message-ID, so most mail clients show such a duplicate once
(docs/decisions/0003-email-delivery.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from logis.core import charter
from logis.core.dates import long_date
from logis.core.money import format_amount
from logis.invoicing.lines import lines_for_documents
from logis.invoicing.models import InvoiceStatus
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.notifications.tasks import deliver_email
from logis.properties.setup import logo_url

if TYPE_CHECKING:
    from logis.invoicing.models import Invoice
    from logis.properties.models import Property, Resident

logger = logging.getLogger(__name__)
StrOrPromise = str | Promise

INVOICE_PUBLISHED = "invoice_published"
INVOICE_VOIDED = "invoice_void"
LANGUAGES = ("fr", "en")
MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = dt.timedelta(seconds=30)
MAX_RETRY_DELAY = dt.timedelta(hours=6)
# How long a worker may take to hand a message to the mail server before another may try again.
SEND_LEASE = dt.timedelta(minutes=5)
# A QUEUED message without a schedule and without a task this long after it was queued is stalled.
STALL_GRACE = dt.timedelta(minutes=1)
# A task row RUNNING this long belongs to a worker that died (killed, out of memory, machine lost): every
# task of Logis ends well within it (a send is bounded by its lease, a batch's emails take seconds).
TASK_LEASE = 2 * SEND_LEASE
MARK_SENT_TRIES = 3
MAX_ERROR_LENGTH = 500


# --- Queuing ---------------------------------------------------------------------------------


class Lookup:
    """Marks an argument left out: look the primary resident up (``None`` means: known to have none)."""


LOOKUP = Lookup()
# Publishing more emails than this at once renders and queues them in the worker, not in the request:
# a 2,000-unit batch publishes in seconds instead of minutes (see ``prepare_invoice_emails``).
INLINE_EMAIL_LIMIT = 20


def primary_resident(invoice: Invoice) -> Resident | None:
    occupancy = invoice.unit.occupancies.select_related("resident").filter(is_primary=True).first()
    return occupancy.resident if occupancy else None


def primary_residents(unit_ids: Iterable[int]) -> dict[int, Resident]:
    """The primary resident of each of these units that has one, in one query."""
    from logis.properties.models import Occupancy

    occupancies = Occupancy.objects.select_related("resident").filter(
        unit_id__in=set(unit_ids), is_primary=True
    )
    return {o.unit_id: o.resident for o in occupancies}


def invoice_email_blocker(invoice: Invoice, *, resident: Resident | Lookup | None = LOOKUP) -> str | None:
    if isinstance(resident, Lookup):
        resident = primary_resident(invoice)
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
    """The absolute address where the resident views this invoice (the portal's page once it exists)."""
    try:
        path = reverse("portal:invoice", args=[invoice.pk])
    except NoReverseMatch:
        path = reverse("portal:home")
    return f"{settings.SITE_URL}{path}"


def _pay_link(invoice: Invoice, resident: Resident) -> str:
    """A new « Voir et payer » link for this email (docs/decisions/0025), or "" when nothing is to pay."""
    from logis.payments.paylinks import email_pay_link

    return email_pay_link(invoice=invoice, sent_to=resident.email or "")


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
            "lines": lines_for_documents(invoice, language),
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
    from logis.notifications.tasks import prepare_invoice_emails

    if invoice_ids:
        prepare_invoice_emails.enqueue(sorted(invoice_ids))


PREPARE_CHUNK = 200


def prepare_published_emails(*, invoice_ids: list[int]) -> int:
    """Queue the 'new invoice' email of each invoice still open and asking for it; returns how many.

    Run by the worker. Each chunk commits on its own, so a crash keeps what was done and a rerun
    (the task retried, or ``requeue_missing_published_emails``) adds only what is missing.
    """
    from logis.invoicing.models import Invoice

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
    from logis.invoicing.models import Invoice

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
        resident = primary_resident(invoice)
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
    from logis.properties.models import Resident

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


def queue_email(
    *,
    key: str,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    language: str = "fr",
    property: Property | None = None,
    invoice: Invoice | None = None,
) -> EmailMessage:
    """Queue one already-written email and its delivery task in the caller's transaction.

    Idempotent by ``key``: a second call with the same key returns the message queued first.
    """
    existing = EmailMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = EmailMessage.objects.create(
                key=key,
                property=property,
                invoice=invoice,
                kind=kind,
                to_email=to,
                language=language if language in LANGUAGES else "fr",
                subject=" ".join(subject.split())[:255],
                body_text=text,
                body_html=html,
            )
            deliver_email.enqueue(message.pk)
    except IntegrityError:
        # Queued meanwhile by a concurrent call: that one stands.
        return EmailMessage.objects.get(key=key)
    return message


# --- Delivery --------------------------------------------------------------------------------


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then 6 h."""
    return min(FIRST_RETRY_DELAY * 4 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def _message_id_header(message: EmailMessage) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "logis.localhost"
    local = message.key.replace(":", ".").replace(" ", "")
    # The queue time keeps it unique across databases (a demo reset reuses keys and ids).
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f") if message.created_at else "0"
    return f"<{local}.{message.pk}.{stamp}@{domain}>"


def _send(message: EmailMessage) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={
            # Stable across retries: a duplicate after a crash reads as the same message.
            "Message-ID": _message_id_header(message),
            "Auto-Submitted": "auto-generated",
            "X-Logis-Key": message.key,
        },
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for filename, content, mimetype in attachments(message):
        email.attach(filename, content, mimetype)
    email.send(fail_silently=False)


# Who makes the files an email carries, by its kind: the domain apps register theirs (payments: the
# receipt's PDF) when Django starts, so the outbox imports none of them.
AttachmentMaker = Callable[[EmailMessage], list[tuple[str, bytes, str]]]
ATTACHMENT_MAKERS: dict[str, AttachmentMaker] = {}
# Kinds of email still sent when their invoice is voided while they wait (registered by their app).
KEPT_AFTER_VOID: set[str] = set()


def register_attachments(kind: str, maker: AttachmentMaker) -> None:
    """``maker(message)`` gives the files (name, content, MIME type) sent with each email of ``kind``."""
    ATTACHMENT_MAKERS[kind] = maker


def keep_after_void(kind: str) -> None:
    """Emails of ``kind`` are sent even if their invoice is voided while they wait."""
    KEPT_AFTER_VOID.add(kind)


def attachments(message: EmailMessage) -> list[tuple[str, bytes, str]]:
    """Files sent with ``message``, made when it is sent (never stored), by the maker registered for
    its kind.

    Made before the mail server is contacted and on every attempt, so retries send the same file. A
    document that cannot be made is logged and the email goes without it: the email's text says what
    matters, and a rendering bug must not hold back every email of its kind.
    """
    maker = ATTACHMENT_MAKERS.get(message.kind)
    if maker is None:
        return []
    try:
        return maker(message)
    except Exception:
        logger.exception("The attachment of email %s could not be made; sending it without", message.pk)
        return []


@dataclass(frozen=True)
class Failure:
    code: str
    detail: str
    permanent: bool


def _response_text(code: int, response: bytes | str) -> str:
    text = response.decode("utf-8", "replace") if isinstance(response, bytes) else str(response)
    return f"{code} {' '.join(text.split())}"


def describe_failure(exc: BaseException) -> Failure:
    """A stable code (shown translated), the server's words, and whether retrying can help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = list(exc.recipients.values())
        detail = "; ".join(_response_text(code, text) for code, text in refusals)
        permanent = bool(refusals) and all(500 <= code < 600 for code, _text in refusals)
        return Failure("recipient_refused", detail, permanent)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a server that stops answering as a disconnection caused by a timeout.
        if isinstance(exc.__context__, TimeoutError):
            return Failure("timeout", str(exc), False)
        return Failure("disconnected", str(exc), False)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Failure("auth", _response_text(exc.smtp_code, exc.smtp_error), False)
    if isinstance(exc, smtplib.SMTPResponseException):
        return Failure("smtp_error", _response_text(exc.smtp_code, exc.smtp_error), False)
    if isinstance(exc, smtplib.SMTPException):
        return Failure("smtp_error", str(exc), False)
    if isinstance(exc, ConnectionRefusedError):
        return Failure("connection_refused", str(exc), False)
    if isinstance(exc, TimeoutError):
        return Failure("timeout", str(exc) or "timed out", False)
    if isinstance(exc, OSError):
        return Failure("network", str(exc), False)
    return Failure("unexpected", f"{type(exc).__name__}: {exc}", False)


def deliver_message(*, message_id: int) -> str:
    """Send one queued email; a failure schedules a retry with backoff, or gives up after MAX_ATTEMPTS.

    Returns what happened: ``sent``, ``retry``, ``failed``, ``cancelled`` (the invoice was voided
    meanwhile: nothing is sent), or ``skipped`` (already sent or failed, not due yet, or gone) —
    running it twice never sends twice.
    """
    with transaction.atomic():
        message = (
            EmailMessage.objects.select_for_update(of=("self",))
            .select_related("invoice")
            .filter(pk=message_id)
            .first()
        )
        now = timezone.now()
        if message is None or message.status != DeliveryStatus.QUEUED:
            return "skipped"
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return "skipped"
        if (
            message.invoice is not None
            and message.invoice.status == InvoiceStatus.VOID
            # Some stay true after a void (a receipt: the money was received, it became unit credit).
            and message.kind not in KEPT_AFTER_VOID
        ):
            # Voided while the email waited (e.g. during an outage): announcing it now would mislead.
            message.status = DeliveryStatus.FAILED
            message.last_error_code = INVOICE_VOIDED
            message.last_error = ""
            message.next_attempt_at = None
            message.save(update_fields=["status", "last_error_code", "last_error", "next_attempt_at"])
            return "cancelled"
        message.attempts += 1
        message.next_attempt_at = now + SEND_LEASE
        message.save(update_fields=["attempts", "next_attempt_at"])

    try:
        _send(message)
    except Exception as exc:
        failure = describe_failure(exc)
        if failure.code == "unexpected":
            logger.exception("Email %s could not be sent", message_id)
        else:
            logger.warning("Email %s not sent (attempt %s): %s", message_id, message.attempts, failure.detail)
        return _record_failure(message_id=message_id, failure=failure)

    _mark_sent(message_id)
    return "sent"


def _mark_sent(message_id: int) -> None:
    """Record SENT right after the server's "250"; a connection the database dropped meanwhile is
    replaced and the update tried again, since a message left QUEUED would be sent a second time."""
    for attempt in range(1, MARK_SENT_TRIES + 1):
        try:
            with transaction.atomic():
                EmailMessage.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED).update(
                    status=DeliveryStatus.SENT,
                    sent_at=timezone.now(),
                    next_attempt_at=None,
                    last_error_code="",
                    last_error="",
                )
            return
        except (InterfaceError, OperationalError):
            if attempt == MARK_SENT_TRIES or db_connection.in_atomic_block:
                raise
            logger.warning("Email %s sent but not yet recorded: reconnecting to the database", message_id)
            db_connection.close()
            time.sleep(0.2 * attempt)


def _record_failure(*, message_id: int, failure: Failure) -> str:
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().get(pk=message_id)
        if message.status != DeliveryStatus.QUEUED:
            return "skipped"
        message.last_error_code = failure.code
        message.last_error = failure.detail[:MAX_ERROR_LENGTH]
        if failure.permanent or message.attempts >= MAX_ATTEMPTS:
            message.status = DeliveryStatus.FAILED
            message.next_attempt_at = None
            outcome = "failed"
        else:
            message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
            deliver_email.using(run_after=message.next_attempt_at).enqueue(message.pk)
            outcome = "retry"
        message.save(update_fields=["status", "last_error_code", "last_error", "next_attempt_at"])
    return outcome


def pending_delivery_ids() -> set[int]:
    """Ids of the messages that have a delivery task waiting to run."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    ids: set[int] = set()
    waiting = DBTaskResult.objects.filter(
        task_path=deliver_email.module_path, status=TaskResultStatus.READY
    ).values_list("args_kwargs", flat=True)
    for args_kwargs in waiting:
        args = args_kwargs.get("args") or []
        value = args[0] if args else (args_kwargs.get("kwargs") or {}).get("message_id")
        if value is not None:
            ids.add(int(value))
    return ids


def requeue_stalled_emails(*, now: dt.datetime | None = None) -> list[int]:
    """Give a new delivery task to every QUEUED message that is due and has none waiting.

    That happens only after a worker died mid-delivery or a task row was lost; the safety net of
    ``manage.py send_queued_emails``. Returns the ids re-enqueued.
    """
    now = now or timezone.now()
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - STALL_GRACE)
    pending = pending_delivery_ids()
    stalled = [
        pk
        for pk in EmailMessage.objects.filter(due, status=DeliveryStatus.QUEUED).values_list("pk", flat=True)
        if pk not in pending
    ]
    for pk in stalled:
        deliver_email.enqueue(pk)
    return stalled


class WorkerLost(Exception):
    """What a task row recovered by ``recover_lost_tasks`` failed of: its worker died while running it."""


def recover_lost_tasks(*, now: dt.datetime | None = None) -> int:
    """Task rows left RUNNING by a worker that died (older than ``TASK_LEASE``) are marked failed, so
    they no longer look in progress; the work itself is re-queued by ``requeue_stalled_emails`` and
    ``requeue_missing_published_emails``. Returns how many rows were recovered."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - TASK_LEASE
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="logis.notifications.services.WorkerLost",
        traceback=f"The worker running this task stopped answering (RUNNING for more than {TASK_LEASE}).",
    )


def recover_deliveries(*, now: dt.datetime) -> int:
    """The scheduler's job (every minute): lost task rows recovered, then emails whose lease expired
    without a task, and publish emails never written, handed to the worker again."""
    recovered = recover_lost_tasks(now=now)
    stalled = requeue_stalled_emails(now=now)
    missing = requeue_missing_published_emails(now=now)
    if recovered or stalled or missing:
        logger.warning(
            "Recovered %s lost task(s); re-queued %s email(s) and %s invoice email preparation(s)",
            recovered,
            len(stalled),
            len(missing),
        )
    return recovered + len(stalled) + len(missing)


# --- Delivery state, as people read it ---------------------------------------------------------

ERROR_REASONS: dict[str, StrOrPromise] = {
    "connection_refused": gettext_lazy("The mail server refused the connection."),
    "timeout": gettext_lazy("The mail server did not answer in time."),
    "network": gettext_lazy("The mail server could not be reached."),
    "disconnected": gettext_lazy("The mail server closed the connection."),
    "auth": gettext_lazy("The mail server refused our credentials."),
    "recipient_refused": gettext_lazy("The mail server refused the recipient's address."),
    "smtp_error": gettext_lazy("The mail server returned an error."),
    "unexpected": gettext_lazy("Unexpected error while sending."),
    INVOICE_VOIDED: gettext_lazy("The invoice was voided before the email could be sent."),
}


@dataclass(frozen=True)
class DeliveryState:
    status: str
    label: str
    badge_class: str
    retrying: bool
    reason: str
    detail: str
    summary: str
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


def _when(value: dt.datetime, tz_name: str | None) -> str:
    local = timezone.localtime(value, ZoneInfo(tz_name)) if tz_name else timezone.localtime(value)
    return formats.date_format(local, "DATETIME_FORMAT")


def delivery_state(message: EmailMessage, *, tz_name: str | None = None) -> DeliveryState:
    """Queued / Sent / Failed with the reason and the next try, in the active language.

    While retrying, a message is still Queued: ``retrying`` is true and the summary says which
    attempt failed, why, and when the next one is due. Times are in ``tz_name`` (default: the
    message's property's zone — select_related("property") when listing).
    """
    if tz_name is None and message.property_id is not None:
        tz_name = message.property.timezone if message.property else None
    known = ERROR_REASONS.get(message.last_error_code)
    reason = str(known) if known is not None else message.last_error
    detail = message.last_error if known is not None else ""
    status = message.status
    if status == DeliveryStatus.SENT:
        label = pgettext("email delivery", "Sent")
        summary = (
            _("Sent on %(when)s.") % {"when": _when(message.sent_at, tz_name)} if message.sent_at else ""
        )
        return DeliveryState(
            status, label, "text-bg-success", False, "", "", summary, message.attempts, None, message.sent_at
        )
    if status == DeliveryStatus.FAILED:
        label = pgettext("email delivery", "Failed")
        summary = (
            reason
            if message.last_error_code == INVOICE_VOIDED
            else ngettext(
                "Not sent after %(count)s attempt: %(reason)s",
                "Not sent after %(count)s attempts: %(reason)s",
                message.attempts,
            )
            % {"count": message.attempts, "reason": reason}
        )
        return DeliveryState(
            status, label, "text-bg-danger", False, reason, detail, summary, message.attempts, None, None
        )
    label = pgettext("email delivery", "Queued")
    retrying = bool(message.last_error_code or message.last_error) and message.next_attempt_at is not None
    if retrying:
        assert message.next_attempt_at is not None
        summary = _("Attempt %(attempt)s of %(max)s failed: %(reason)s Next try: %(when)s.") % {
            "attempt": message.attempts,
            "max": MAX_ATTEMPTS,
            "reason": reason,
            "when": _when(message.next_attempt_at, tz_name),
        }
        badge = "text-bg-warning"
    else:
        summary = _("Waiting to be sent.")
        badge = "text-bg-secondary"
    return DeliveryState(
        status,
        label,
        badge,
        retrying,
        reason if retrying else "",
        detail if retrying else "",
        summary,
        message.attempts,
        message.next_attempt_at if retrying else None,
        None,
    )
