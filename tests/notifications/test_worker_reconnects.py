"""The background worker (``manage.py run_worker``, a real process) survives a database that drops its
connections and refuses new ones for a while, as during a restart: emails queued afterwards still go out.
``db_worker`` alone exits for good there (psycopg's AdminShutdown, then "connection refused")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from logis.accounts.models import User
from logis.invoicing.models import Invoice
from logis.invoicing.services import publish_invoice
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.properties.models import Resident
from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(smtp_server: SMTPServer) -> Iterator[subprocess.Popen[bytes]]:
    if connection.vendor != "postgresql":
        pytest.skip("dropped connections are a PostgreSQL test")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": smtp_server.url,
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=env,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def as_admin(sql: str) -> None:
    """Run ``sql`` from the server's maintenance database (a database cannot refuse its own session)."""
    s = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=s["USER"] or "postgres",
        password=s["PASSWORD"] or None,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        admin.execute(sql)


def drop_other_connections(*, refuse_new: bool) -> int:
    name = connection.settings_dict["NAME"]
    if refuse_new:
        as_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def allow_connections() -> None:
    as_admin(f'ALTER DATABASE "{connection.settings_dict["NAME"]}" ALLOW_CONNECTIONS true')


def publish(manager: User, draft: Invoice) -> EmailMessage:
    result = publish_invoice(actor=manager, invoice_id=draft.pk)
    assert result.email is not None
    return result.email


@pytest.mark.slow
def test_the_worker_reconnects_after_the_database_drops_its_connection(
    manager: User,
    resident_of_unit: Callable[..., Resident],
    draft_for: Callable[..., Invoice],
    smtp_server: SMTPServer,
    worker: subprocess.Popen[bytes],
) -> None:
    resident = resident_of_unit()
    first = publish(manager, draft_for(resident))
    smtp_server.wait_for_messages(1, timeout=30)

    try:
        assert drop_other_connections(refuse_new=True) >= 1  # the worker's connection is gone…
        time.sleep(3)  # …and for 3 s the database refuses new ones, as while it restarts
    finally:
        allow_connections()
    second = publish(manager, draft_for(resident, title="Cotisation de janvier"))

    smtp_server.wait_for_messages(2, timeout=60)
    assert worker.poll() is None, "the worker exited"
    # The mail server has both; the worker records "sent" just after (its own UPDATE, on a connection it
    # may be opening again right now): wait for it, as a person reloading the page would.
    deadline = time.monotonic() + 30
    while True:
        statuses = set(
            EmailMessage.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
        )
        if statuses == {DeliveryStatus.SENT} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert statuses == {DeliveryStatus.SENT}

    # And once more while it is idle (a plain drop, no refusal): still delivering.
    drop_other_connections(refuse_new=False)
    publish(manager, draft_for(resident, title="Cotisation de février"))
    smtp_server.wait_for_messages(3, timeout=60)
    assert worker.poll() is None
