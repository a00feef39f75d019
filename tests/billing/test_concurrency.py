"""The recurring job run by two schedulers at once, on PostgreSQL: each month is created exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from logis.billing import recurring
from logis.billing.models import (
    Batch,
    RecurringSchedule,
    RunStatus,
    ScheduleAmountMode,
    ScheduleRun,
    UnitScope,
)
from logis.invoicing.models import Invoice
from tests.billing.conftest import building
from tests.factories import PropertyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


def _in_thread(fn: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        try:
            return fn()
        finally:
            connections.close_all()

    return run


@pytest.mark.parametrize("workers", [2, 4])
@pytest.mark.parametrize("round_", range(3))  # a race shows up only sometimes: try it several times
def test_concurrent_runs_create_each_month_once(workers: int, round_: int) -> None:
    prop = PropertyFactory.create(timezone="America/Toronto")
    building(prop)
    for pattern in ("Cotisations — {mois}", "Stationnement — {mois}"):
        RecurringSchedule.objects.create(
            property=prop,
            title_pattern=pattern,
            amount_mode=ScheduleAmountMode.FIXED,
            amount=Decimal("100.00"),
            day_of_month=1,
            start_month=dt.date(2027, 1, 1),
            lead_days=10,
            unit_scope=UnitScope.ALL,
            auto_publish=True,
            notify_resident=True,
        )
    now = dt.datetime(2026, 12, 25, 9, 0, tzinfo=ZoneInfo("America/Toronto"))
    start = threading.Barrier(workers)

    @_in_thread
    def run() -> int:
        start.wait()
        return recurring.run_recurring_dues(now=now)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        created = [f.result() for f in [pool.submit(run) for _ in range(workers)]]

    assert sum(created) == 8  # two schedules x four units, whoever did it
    assert Batch.objects.count() == 2
    assert ScheduleRun.objects.filter(status=RunStatus.CREATED).count() == 2
    assert Invoice.objects.count() == 8
    # Published once each: numbers 1..8 without gap or duplicate.
    assert sorted(n or 0 for n in Invoice.objects.values_list("number", flat=True)) == list(range(1, 9))
