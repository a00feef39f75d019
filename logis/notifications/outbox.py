"""The outbox: an email, already written, queued with its delivery task in the caller's transaction.

``notifications`` is the bottom of the email path: the domain apps write their emails (invoicing: the
« new invoice » email, ``invoicing/emails.py``; payments: receipts, ``payments/receipts.py``; collections:
reminders; accounts: invitations and security notices) and hand them to ``queue_email``. What only they
know is registered here when Django starts, so the outbox imports none of them: the files an email of a
kind carries (``register_attachments``), why a queued email is no longer worth sending
(``register_cancel_check``), the kinds still sent after their invoice is voided (``keep_after_void``), and
the jobs that find work lost with a worker (``register_recovery``, run by ``delivery.recover_deliveries``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from logis.notifications.models import EmailMessage
from logis.notifications.tasks import deliver_email

if TYPE_CHECKING:
    from logis.invoicing.models import Invoice
    from logis.properties.models import Property

logger = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
# The code a cancelled email carries (``last_error_code``) when its invoice was voided while it waited.
INVOICE_VOIDED = "invoice_void"


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


# --- What the domain apps register when Django starts ------------------------------------------

# Who makes the files an email carries, by its kind (payments: the receipt's PDF).
AttachmentMaker = Callable[[EmailMessage], list[tuple[str, bytes, str]]]
ATTACHMENT_MAKERS: dict[str, AttachmentMaker] = {}
# Kinds of email still sent when their invoice is voided while they wait (registered by their app).
KEPT_AFTER_VOID: set[str] = set()
# Asked just before each send: a stable code (shown by ``delivery_state``) when the email is no longer
# worth sending (invoicing: its invoice was voided meanwhile), else None.
CancelCheck = Callable[[EmailMessage], str | None]
CANCEL_CHECKS: list[CancelCheck] = []
# Run by the scheduler's ``notifications.recover_deliveries`` and ``manage.py send_queued_emails``: each
# finds the emails an app meant to write but lost with a worker, hands them to the worker again, and
# returns the ids it handed (invoicing: the « new invoice » emails of a batch).
RecoveryJob = Callable[[dt.datetime | None], list[int]]
RECOVERY_JOBS: dict[str, RecoveryJob] = {}


def register_attachments(kind: str, maker: AttachmentMaker) -> None:
    """``maker(message)`` gives the files (name, content, MIME type) sent with each email of ``kind``."""
    ATTACHMENT_MAKERS[kind] = maker


def keep_after_void(kind: str) -> None:
    """Emails of ``kind`` are sent even if their invoice is voided while they wait."""
    KEPT_AFTER_VOID.add(kind)


def register_cancel_check(check: CancelCheck) -> None:
    """``check(message)`` says why a queued email must not be sent any more (a code), or None."""
    if check not in CANCEL_CHECKS:
        CANCEL_CHECKS.append(check)


def register_recovery(name: str, job: RecoveryJob) -> None:
    """``job(now)`` re-queues what its app lost with a dead worker; ``name`` says what, in the logs."""
    RECOVERY_JOBS[name] = job


def cancel_reason(message: EmailMessage) -> str | None:
    """The first registered reason not to send ``message`` any more, or None."""
    for check in CANCEL_CHECKS:
        code = check(message)
        if code:
            return code
    return None


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
