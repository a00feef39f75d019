"""A worker killed mid-send: the scheduler (every minute) gives the email back to a worker once its lease
has passed, and marks the dead worker's task row failed, without anyone running send_queued_emails; the
resend carries the same Message-ID."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from logis.accounts.models import User
from logis.core import scheduler
from logis.invoicing.models import Invoice
from logis.invoicing.services import publish_invoice
from logis.notifications.delivery import SEND_LEASE, TASK_LEASE, deliver_email
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.properties.models import Resident
from tests.notifications.conftest import run_worker
from tests.smtp import SMTPServer

ResidentMaker = Callable[..., Resident]
DraftMaker = Callable[..., Invoice]


def killed_mid_send(message: EmailMessage, *, started: dt.datetime) -> DBTaskResult:
    """What `kill -9` of the worker leaves: the attempt counted, the lease taken, the task row RUNNING."""
    EmailMessage.objects.filter(pk=message.pk).update(attempts=1, next_attempt_at=started + SEND_LEASE)
    row = DBTaskResult.objects.get(task_path=deliver_email.module_path, status=TaskResultStatus.READY)
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=["killed"]
    )
    return row


def scheduler_tick(now: dt.datetime) -> None:
    scheduler.run_due_jobs(now=now, only=lambda name: name.startswith("notifications."))


def test_an_email_whose_worker_was_killed_is_sent_by_the_scheduler_after_its_lease(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    result = publish_invoice(actor=manager, invoice_id=draft_for(resident_of_unit()).pk)
    assert result.email is not None
    started = timezone.now() - TASK_LEASE - dt.timedelta(minutes=1)
    row = killed_mid_send(result.email, started=started)

    # Within the lease nothing happens: the worker may still be talking to the mail server.
    scheduler_tick(started + dt.timedelta(minutes=1))
    run_worker()
    assert smtp_server.messages == []

    scheduler_tick(timezone.now())
    run_worker()

    assert len(smtp_server.wait_for_messages(1)) == 1
    message = EmailMessage.objects.get(pk=result.email.pk)
    assert message.status == DeliveryStatus.SENT and message.attempts == 2
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path.endswith("WorkerLost")
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def test_a_resend_after_a_lost_commit_carries_the_same_message_id(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    result = publish_invoice(actor=manager, invoice_id=draft_for(resident_of_unit()).pk)
    assert result.email is not None
    run_worker()
    # The server said "250" but the worker died before recording it: the message is still QUEUED.
    EmailMessage.objects.filter(pk=result.email.pk).update(
        status=DeliveryStatus.QUEUED, sent_at=None, next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    scheduler_tick(timezone.now())
    run_worker()

    first, second = smtp_server.wait_for_messages(2)
    assert first["Message-ID"] == second["Message-ID"]
    assert EmailMessage.objects.get(pk=result.email.pk).status == DeliveryStatus.SENT


def test_a_running_task_of_a_live_worker_is_left_alone(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    result = publish_invoice(actor=manager, invoice_id=draft_for(resident_of_unit()).pk)
    assert result.email is not None
    row = killed_mid_send(result.email, started=timezone.now())
    scheduler_tick(timezone.now())
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
