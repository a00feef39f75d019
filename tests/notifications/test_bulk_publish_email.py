"""Publishing many invoices at once hands their emails to the worker: the request stays fast, and
every resident still gets exactly one 'new invoice' email."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from logis.invoicing.emails import (
    INLINE_EMAIL_LIMIT,
    INVOICE_PUBLISHED,
    prepare_published_emails,
    requeue_missing_published_emails,
)
from logis.invoicing.models import Invoice
from logis.invoicing.services import publish_invoices, void_invoice
from logis.notifications.models import EmailMessage
from logis.properties.models import Property
from tests.factories import InvoiceFactory, OccupancyFactory, ResidentFactory, UnitFactory
from tests.notifications.conftest import DUE, run_worker
from tests.smtp import SMTPServer

MANY = INLINE_EMAIL_LIMIT + 5


def _drafts(prop: Property, count: int, *, with_email: bool = True, first: int = 0) -> list[Invoice]:
    drafts = []
    for n in range(first, first + count):
        unit = UnitFactory(property=prop, number=str(100 + n))
        resident = ResidentFactory(
            property=prop, name=f"Résident {n}", email=f"r{n}@example.com" if with_email else ""
        )
        OccupancyFactory(unit=unit, resident=resident, is_primary=True)
        drafts.append(
            InvoiceFactory(
                property=prop, unit=unit, amount=Decimal("100.00"), due_date=DUE, notify_resident=True
            )
        )
    return drafts


def _published_emails() -> list[EmailMessage]:
    return list(EmailMessage.objects.filter(kind=INVOICE_PUBLISHED).order_by("invoice_id"))


def test_publishing_many_at_once_says_where_each_email_goes_and_the_worker_writes_them(prop, manager) -> None:
    drafts = _drafts(prop, MANY)
    results = publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    assert [r.email_to for r in results] == [f"r{n}@example.com" for n in range(MANY)]
    assert _published_emails() == []  # written by the worker, not in the request

    run_worker()

    emails = _published_emails()
    assert [e.invoice_id for e in emails] == [d.pk for d in drafts]
    assert [e.to_email for e in emails] == [f"r{n}@example.com" for n in range(MANY)]


def test_a_few_at_once_are_still_written_in_the_request(prop, manager) -> None:
    drafts = _drafts(prop, 3)
    results = publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    assert all(r.email is not None for r in results)
    assert len(_published_emails()) == 3


def test_preparing_twice_writes_each_email_once(prop, manager) -> None:
    drafts = _drafts(prop, MANY)
    publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    ids = [d.pk for d in drafts]
    assert prepare_published_emails(invoice_ids=ids) == MANY
    assert prepare_published_emails(invoice_ids=ids) == 0
    run_worker()  # the original task runs too: nothing more
    assert len(_published_emails()) == MANY


def test_an_invoice_voided_before_its_email_is_written_gets_none(prop, manager) -> None:
    drafts = _drafts(prop, MANY)
    publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    void_invoice(actor=manager, invoice_id=drafts[0].pk, reason="Erreur de montant", property=prop)
    run_worker()
    assert drafts[0].pk not in {e.invoice_id for e in _published_emails()}
    assert len(_published_emails()) == MANY - 1


def test_units_without_email_are_reported_and_not_deferred(prop, manager) -> None:
    drafts = _drafts(prop, MANY, with_email=False)
    results = publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    assert all(r.email_to is None and r.email_blocker for r in results)
    run_worker()
    assert _published_emails() == []


def test_a_lost_preparation_task_is_given_again_by_the_safety_net(prop, manager) -> None:
    drafts = _drafts(prop, MANY)
    publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    DBTaskResult.objects.all().delete()  # the worker holding it died with it
    assert requeue_missing_published_emails() == []  # too soon: the worker may still be on it
    later = timezone.now() + dt.timedelta(minutes=10)
    assert sorted(requeue_missing_published_emails(now=later)) == [d.pk for d in drafts]
    run_worker()
    assert len(_published_emails()) == MANY
    assert requeue_missing_published_emails(now=later) == []


def test_bulk_publishing_costs_a_fixed_number_of_queries_per_invoice(prop, manager) -> None:
    def queries(count: int, first: int) -> int:
        drafts = _drafts(prop, count, first=first)
        with CaptureQueriesContext(connection) as ctx:
            publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
        return len(ctx)

    small, large = queries(MANY, 0), queries(2 * MANY, MANY)
    # Per invoice: its UPDATE and its audit event; the residents and the task are fetched or written once.
    assert large - small <= 2 * MANY


@pytest.mark.django_db(transaction=True)
def test_send_queued_emails_prepares_the_missing_ones_and_they_arrive(smtp_server: SMTPServer) -> None:
    from logis.core.permissions import Role
    from tests.factories import PropertyFactory, member

    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    drafts = _drafts(prop, MANY)
    publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    DBTaskResult.objects.all().delete()
    Invoice.objects.update(published_at=timezone.now() - dt.timedelta(minutes=10))
    call_command("send_queued_emails", verbosity=0)
    run_worker()  # prepares, then the delivery tasks it queued
    run_worker()
    received = smtp_server.wait_for_messages(MANY)
    assert sorted(m["To"] for m in received) == sorted(f"r{n}@example.com" for n in range(MANY))


def test_the_invoice_page_says_the_email_is_being_prepared_until_the_worker_writes_it(
    prop, manager, manager_client
) -> None:
    from django.urls import reverse

    drafts = _drafts(prop, MANY)
    publish_invoices(actor=manager, property=prop, invoice_ids=[d.pk for d in drafts])
    url = reverse("invoicing:detail", args=[prop.pk, drafts[0].pk])
    page = manager_client.get(url).content.decode()
    assert "Le courriel à r0@example.com est en préparation" in page
    run_worker()
    page = manager_client.get(url).content.decode()
    assert "en préparation" not in page
    assert "r0@example.com" in page
