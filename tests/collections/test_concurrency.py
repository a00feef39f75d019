"""Two scheduler runs at the same instant, on PostgreSQL: each reminder is sent once, each late fee
billed once (row locks, then the unique constraints as a backstop)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from logis.collections.late_fees import apply_late_fees
from logis.collections.models import LateFee, LateFeeMode, LateFeePolicy, ReminderPolicy, ReminderSent
from logis.collections.reminders import send_due_reminders
from logis.invoicing.models import Invoice
from logis.notifications.models import EmailMessage
from tests.collections.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DUE = dt.date(2027, 6, 15)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


def _at_once(workers: int, job: Callable[..., int], now: dt.datetime) -> list[int]:
    start = threading.Barrier(workers)

    def run(_: Any) -> int:
        try:
            start.wait()
            return job(now=now)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))


@pytest.mark.parametrize("round_", range(3))  # a race shows up only sometimes: try it several times
def test_concurrent_reminder_runs_send_each_reminder_once(
    round_: int, invoice_due: Callable[..., Invoice], reminder_policy: Callable[..., ReminderPolicy]
) -> None:
    reminder_policy(after=[1, 5])
    invoices = [invoice_due(DUE) for _ in range(8)]

    results = _at_once(3, send_due_reminders, at(DUE + dt.timedelta(days=5)))

    assert sum(results) == 8
    assert ReminderSent.objects.filter(email__isnull=False).count() == 8
    assert EmailMessage.objects.filter(invoice__in=invoices).count() == 8


@pytest.mark.parametrize("mode", [LateFeeMode.FIXED, LateFeeMode.INTEREST])
def test_concurrent_late_fee_runs_bill_each_fee_once(
    mode: str, invoice_due: Callable[..., Invoice], fee_policy: Callable[..., LateFeePolicy]
) -> None:
    fee_policy(mode=mode, fixed_amount=Decimal("25.00"), yearly_rate=Decimal("18"))
    invoices = [invoice_due(DUE) for _ in range(6)]

    results = _at_once(3, apply_late_fees, at(DUE + dt.timedelta(days=2)))

    assert sum(results) == 6
    assert LateFee.objects.count() == 6
    assert sorted(LateFee.objects.values_list("original_id", flat=True)) == sorted(i.pk for i in invoices)
    numbers = list(Invoice.objects.exclude(pk__in=[i.pk for i in invoices]).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 6  # six fee invoices, numbered without duplicates
