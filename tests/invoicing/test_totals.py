"""The summary rows the pages read (invoices by status and due date, payments by kind, status, method) are
kept by the database with every write of an invoice or a payment, whatever path wrote it, and
``manage.py verify_summaries`` proves it (docs/decisions/0033)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from io import StringIO
from typing import cast

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus, InvoiceTotal
from logis.invoicing.selectors import invoice_summary
from logis.invoicing.totals import invoice_total_mismatches
from logis.payments.models import Payment, PaymentTotal
from logis.payments.services import record_payment, reverse_payment
from logis.payments.totals import payment_total_mismatches
from logis.properties.models import Property
from logis.reports.selectors import aging_totals
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member

D = Decimal


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_summaries", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_every_kind_of_write_moves_the_summaries_even_bulk_ones() -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    today = today_in(prop.timezone)
    unit = UnitFactory(property=prop)
    a = InvoiceFactory(property=prop, unit=unit, status=InvoiceStatus.OPEN, number=1, amount=D("100.00"))
    b = InvoiceFactory(property=prop, unit=unit, status=InvoiceStatus.OPEN, number=2, amount=D("40.00"))
    draft = InvoiceFactory(property=prop, unit=unit, amount=D("7.00"))
    assert invoice_summary(prop, today).open == invoice_summary(prop, today).open.__class__(D("140.00"), 2)
    record_payment(
        property=prop, invoice_id=a.pk, actor=manager, amount=D("100.00"), paid_on=today, method="cheque"
    )
    # A bulk update, as a data fix or a migration would write it: no Python code runs, the rows still move.
    Invoice.objects.filter(pk=b.pk).update(due_date=today - dt.timedelta(days=45))
    Invoice.objects.filter(pk=draft.pk).delete()  # a draft deleted
    summary = invoice_summary(prop, today)
    assert (summary.paid.amount, summary.paid.count) == (D("100.00"), 1)
    assert (summary.overdue.amount, summary.overdue.count) == (D("40.00"), 1)
    assert (summary.open.count, summary.drafts.count) == (0, 0)
    assert [(b.key, b.amount) for b in aging_totals(property=prop, today=today).buckets if b.amount] == [
        ("d31_60", D("40.00"))
    ]
    assert invoice_total_mismatches() == [] and payment_total_mismatches() == []
    assert "agree" in _verify()


@pytest.mark.django_db
def test_overdue_is_exact_the_day_after_the_due_date_with_no_job() -> None:
    prop = PropertyFactory()
    today = today_in(prop.timezone)
    InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=1, amount=D("25.00"), due_date=today)
    assert invoice_summary(prop, today).overdue.count == 0
    tomorrow = invoice_summary(prop, today + dt.timedelta(days=1))
    assert (tomorrow.overdue.amount, tomorrow.overdue.count, tomorrow.open.count) == (D("25.00"), 1, 0)


@pytest.mark.django_db
def test_verify_summaries_prints_each_difference_and_fails() -> None:
    prop = PropertyFactory()
    other = PropertyFactory()
    InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=1, amount=D("60.00"))
    InvoiceFactory(property=other, status=InvoiceStatus.OPEN, number=1, amount=D("60.00"))
    InvoiceTotal.objects.filter(property_id=prop.pk).update(amount=D("61.00"))  # a summary gone wrong
    out = StringIO()
    with pytest.raises(CommandError, match="1 places"):
        call_command("verify_summaries", stdout=out)
    assert f"property {prop.pk} invoices open" in out.getvalue()
    assert "amount=61.00" in out.getvalue() and "amount=60.00" in out.getvalue()
    assert "agree" in _verify("--property", str(other.pk))
    PaymentTotal.objects.create(
        property_id=other.pk, kind="payment", status="succeeded", method="cash", amount=1
    )
    with pytest.raises(CommandError):
        _verify("--property", str(other.pk))


@pytest.mark.django_db
def test_the_migration_fills_the_summaries_of_existing_invoices() -> None:
    from importlib import import_module

    by_month = import_module("logis.invoicing.migrations.0010_invoice_totals_by_month")
    key = by_month.PG_KEY if connection.vendor == "postgresql" else by_month.SQLITE_KEY
    fill = by_month.FILL.format(key=key)
    prop = PropertyFactory()
    InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=1, amount=D("60.00"))
    InvoiceFactory(
        property=prop, status=InvoiceStatus.PAID, number=2, amount=D("5.00"), amount_paid=D("5.00")
    )
    InvoiceTotal.objects.all().delete()  # as before the migration: invoices and no summary
    assert invoice_total_mismatches() != []
    with connection.cursor() as cursor:
        cursor.execute(fill)
    assert invoice_total_mismatches() == []


@pytest.mark.django_db
def test_paid_void_and_draft_rows_are_one_per_month_and_open_rows_one_per_due_date() -> None:
    """Decision 0040: only open rows need their day (« En retard » starts the day after it)."""
    prop = cast(Property, PropertyFactory())
    days = [dt.date(2026, 3, d) for d in (2, 9, 16, 23, 30)]
    invoices = [
        InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=n, amount=D("10.00"), due_date=day)
        for n, day in enumerate(days, 1)
    ]
    assert InvoiceTotal.objects.filter(property=prop).count() == 5
    for invoice in invoices[:4]:
        Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID, amount_paid=D("10.00"))
    rows = {(t.status, t.due_date, t.invoice_count) for t in InvoiceTotal.objects.filter(property=prop)}
    assert rows >= {(InvoiceStatus.PAID, dt.date(2026, 3, 1), 4), (InvoiceStatus.OPEN, days[4], 1)}
    assert InvoiceTotal.objects.filter(property=prop, invoice_count__gt=0).count() == 2
    # A reversal puts an invoice back on its own day, and the month's paid row loses it.
    Invoice.objects.filter(pk=invoices[1].pk).update(status=InvoiceStatus.OPEN, amount_paid=D("0.00"))
    assert (
        InvoiceTotal.objects.get(property=prop, status=InvoiceStatus.OPEN, due_date=days[1]).invoice_count
        == 1
    )
    assert InvoiceTotal.objects.get(property=prop, status=InvoiceStatus.PAID).invoice_count == 3
    # A paid invoice moved to another day of the month stays in its row; to another month, it moves.
    Invoice.objects.filter(pk=invoices[0].pk).update(due_date=dt.date(2026, 3, 31))
    Invoice.objects.filter(pk=invoices[2].pk).update(due_date=dt.date(2026, 4, 1))
    paid = {t.due_date: t.invoice_count for t in InvoiceTotal.objects.filter(property=prop, status="paid")}
    assert paid == {dt.date(2026, 3, 1): 2, dt.date(2026, 4, 1): 1}
    assert invoice_total_mismatches() == []


@pytest.mark.django_db
def test_the_factures_cards_no_longer_read_the_invoices(client) -> None:  # type: ignore[no-untyped-def]
    prop = PropertyFactory()
    client.force_login(member(prop, Role.MANAGER))
    InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=1)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/p/{prop.pk}/invoices/").status_code == 200
    aggregates = [q["sql"] for q in ctx.captured_queries if "SUM(" in q["sql"].upper()]
    assert aggregates and all('"invoicing_invoicetotal"' in sql for sql in aggregates), aggregates


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_concurrent_payments_and_reversals_on_one_due_date_neither_deadlock_nor_lose_updates(
    round_: int,
) -> None:
    """Payments (open -> paid) and reversals (paid -> open) at the same instant on invoices of the same due
    date move the same two summary rows in opposite directions: the trigger takes them in key order."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    today = today_in(prop.timezone)
    due = today + dt.timedelta(days=10)
    invoices = [
        InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=n, amount=D("50.00"), due_date=due)
        for n in range(1, 9)
    ]
    paid = [
        record_payment(
            property=prop, invoice_id=i.pk, actor=manager, amount=D("50.00"), paid_on=today, method="cash"
        )
        for i in invoices[:4]
    ]
    start = threading.Barrier(8, timeout=30)

    def work(n: int) -> None:
        try:
            start.wait()
            if n < 4:
                reverse_payment(property=prop, payment_id=paid[n].pk, actor=manager, reason="erreur")
            else:
                record_payment(
                    property=prop,
                    invoice_id=invoices[n].pk,
                    actor=manager,
                    amount=D("50.00"),
                    paid_on=today,
                    method="cash",
                )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))  # a deadlock would raise here
    assert Payment.objects.filter(property_id=prop.pk).count() == 12
    assert invoice_total_mismatches(prop.pk) == [] and payment_total_mismatches(prop.pk) == []
    summary = invoice_summary(prop, today)
    assert (summary.open.count, summary.paid.count) == (4, 4)
