"""Periodic jobs (recurring dues, reminders, late fees…), run by ``manage.py run_scheduler``.

An app registers a job in its ``AppConfig.ready()``::

    from logis.core import scheduler
    scheduler.register("billing.recurring_dues", run_recurring_dues)

A job is a function ``job(*, now: datetime) -> int`` (aware UTC datetime; returns how many things it
did). Jobs MUST be idempotent: the scheduler may run them every minute, twice at once (two scheduler
processes) or again after a crash; each job decides what is due from ``now`` and the database alone,
and guards what it creates with unique constraints and row locks. One failing job never stops the
others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class Job(Protocol):
    def __call__(self, *, now: dt.datetime) -> int: ...


_JOBS: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    _JOBS[name] = job


def jobs() -> dict[str, Job]:
    return dict(_JOBS)


def run_due_jobs(*, now: dt.datetime, only: Callable[[str], bool] | None = None) -> dict[str, int | None]:
    """Run every registered job once; a job that raises is logged and reported as None."""
    results: dict[str, int | None] = {}
    for name, job in sorted(_JOBS.items()):
        if only is not None and not only(name):
            continue
        try:
            results[name] = job(now=now)
        except Exception:
            logger.exception("Scheduled job %s failed", name)
            results[name] = None
    return results
