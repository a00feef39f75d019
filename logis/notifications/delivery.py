"""Delivery of the queued emails (``deliver_message``, run by the ``deliver_email`` task):

1. a short transaction locks the message row; a message already SENT or FAILED, or not due yet
   (``next_attempt_at`` in the future: another worker holds the lease, or a retry is scheduled),
   is left alone, and one that a registered check cancels (``outbox.register_cancel_check``: its
   invoice was voided meanwhile) is marked FAILED unsent. Otherwise the attempt is counted and
   ``next_attempt_at`` is pushed one lease ahead, so no second worker sends it while this one talks
   to the mail server;
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
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.notifications.outbox import RECOVERY_JOBS, attachments, cancel_reason
from logis.notifications.tasks import deliver_email

logger = logging.getLogger(__name__)

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
        cancelled = cancel_reason(message)
        if cancelled:
            # E.g. its invoice voided while the email waited (an outage): sending it now would mislead.
            message.status = DeliveryStatus.FAILED
            message.last_error_code = cancelled
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
        exception_class_path="logis.notifications.delivery.WorkerLost",
        traceback=f"The worker running this task stopped answering (RUNNING for more than {TASK_LEASE}).",
    )


def recover_deliveries(*, now: dt.datetime) -> int:
    """The scheduler's job (every minute): lost task rows recovered, then emails whose lease expired
    without a task, then what the apps' recovery jobs find (``outbox.register_recovery``: the publish
    emails never written), handed to the worker again."""
    recovered = recover_lost_tasks(now=now)
    stalled = requeue_stalled_emails(now=now)
    found = {name: job(now) for name, job in RECOVERY_JOBS.items()}
    missing = sum(len(ids) for ids in found.values())
    if recovered or stalled or missing:
        logger.warning(
            "Recovered %s lost task(s); re-queued %s email(s); %s",
            recovered,
            len(stalled),
            ", ".join(f"{name}: {len(ids)}" for name, ids in found.items()) or "no recovery job",
        )
    return recovered + len(stalled) + missing
