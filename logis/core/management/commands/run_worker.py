"""``manage.py run_worker``: django-tasks-db's ``db_worker`` that survives a dropped database connection.

``db_worker`` re-raises the error of a connection the database dropped (a PostgreSQL restart or failover,
``pg_terminate_backend``: psycopg's ``AdminShutdown``) and exits for good, so without a supervisor no email
goes out after a database restart. This worker closes the broken connection, waits (1 s, 2 s, 4 s… at most
30 s while the database stays away) and goes on with a new one. Same options as ``db_worker``.

A task interrupted by the drop keeps its row RUNNING until the scheduler's
``notifications.recover_deliveries`` job marks it failed, and its email is sent again once its lease has
passed (logis/notifications/delivery.py).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("logis.worker")

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
# A failure this long after the previous one starts the backoff again from FIRST_DELAY_S.
CALM_S = 120.0


def _close_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:
            logger.debug("Closing a broken connection failed", exc_info=True)


class ReconnectingWorker(Worker):
    """``Worker.run`` again, on a new connection, after a database error that ended it."""

    def run(self) -> None:
        delay = FIRST_DELAY_S
        last_failure = 0.0
        while True:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if not self.running:
                    raise
                now = time.monotonic()
                if now - last_failure > CALM_S:
                    delay = FIRST_DELAY_S
                last_failure = now
                logger.warning("Database connection lost (%s); reconnecting in %.0f s", exc, delay)
                _close_broken_connections()
                self.running_task = False
                time.sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)


class Command(DbWorkerCommand):
    help = "Run the background worker (db_worker) and reconnect when the database drops its connection."

    def handle(  # type: ignore[override]
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        # As db_worker's handle(), with our worker.
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ReconnectingWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
