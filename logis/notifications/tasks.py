"""Background tasks of the notifications app (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_email(message_id: int) -> str:
    """Send one queued EmailMessage; on failure it schedules its own retry (see services.deliver_message)."""
    # Imported here: services enqueues this task, so a module-level import would be circular.
    from logis.notifications.services import deliver_message

    return deliver_message(message_id=message_id)


@task()
def prepare_invoice_emails(invoice_ids: list[int]) -> int:
    """Write and queue the 'new invoice' emails of invoices published together (a large batch)."""
    from logis.notifications.services import prepare_published_emails

    return prepare_published_emails(invoice_ids=invoice_ids)
