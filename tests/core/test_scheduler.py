"""The scheduler runs every registered job, keeps going when one fails, and Logis itself may act."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from logis.core import scheduler
from logis.core.models import AuditEvent
from logis.core.permissions import SYSTEM, Action, can
from logis.invoicing.services import create_invoice
from tests.factories import UnitFactory


@pytest.fixture
def isolated_jobs(monkeypatch: pytest.MonkeyPatch) -> dict[str, scheduler.Job]:
    jobs: dict[str, scheduler.Job] = {}
    monkeypatch.setattr(scheduler, "_JOBS", jobs)
    return jobs


def test_a_failing_job_does_not_stop_the_others(isolated_jobs) -> None:
    seen: list[dt.datetime] = []

    def broken(*, now: dt.datetime) -> int:
        raise RuntimeError("boom")

    def counting(*, now: dt.datetime) -> int:
        seen.append(now)
        return 3

    scheduler.register("a.broken", broken)
    scheduler.register("b.counting", counting)
    now = timezone.now()
    assert scheduler.run_due_jobs(now=now) == {"a.broken": None, "b.counting": 3}
    assert seen == [now]


def test_run_scheduler_once_runs_each_job_and_exits(db, isolated_jobs, capsys) -> None:
    calls: list[str] = []

    def job(*, now: dt.datetime) -> int:
        calls.append("x")
        return 1

    scheduler.register("x.job", job)
    call_command("run_scheduler", "--once")
    assert calls == ["x"]
    assert "x.job" in capsys.readouterr().out


def test_the_system_actor_may_create_an_invoice_audited_without_a_user(db) -> None:
    unit = UnitFactory()
    assert can(SYSTEM, Action.CREATE_INVOICE, unit.property)
    invoice = create_invoice(
        actor=SYSTEM,
        property=unit.property,
        unit_id=unit.pk,
        title="Cotisations mensuelles",
        amount=Decimal("100.00"),
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )
    assert invoice.created_by is None
    event = AuditEvent.objects.get(verb="invoice.created", object_id=str(invoice.pk))
    assert event.actor is None
