"""Background tasks of the notifications app (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_email(message_id: int) -> str:
    """Send one queued EmailMessage; on failure it schedules its own retry (see delivery.deliver_message)."""
    # Imported here: the outbox enqueues this task, so a module-level import would be circular.
    from logis.notifications.delivery import deliver_message

    return deliver_message(message_id=message_id)
