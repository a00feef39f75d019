"""Background tasks of the invoicing app (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def prepare_invoice_emails(invoice_ids: list[int]) -> int:
    """Write and queue the 'new invoice' emails of invoices published together (a large batch)."""
    # Imported here: emails enqueues this task, so a module-level import would be circular.
    from logis.invoicing.emails import prepare_published_emails

    return prepare_published_emails(invoice_ids=invoice_ids)
