"""Delivery outside the happy path: the default `make run` backend, and two workers at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from logis.accounts.models import User
from logis.invoicing.models import Invoice
from logis.invoicing.services import publish_invoice
from logis.notifications.delivery import deliver_message
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.properties.models import Resident
from tests.notifications.conftest import run_worker
from tests.smtp import SMTPServer

ResidentMaker = Callable[..., Resident]
DraftMaker = Callable[..., Invoice]


def test_default_backend_writes_the_email_to_the_console_and_to_var_mail(
    manager: User,
    resident_of_unit: ResidentMaker,
    draft_for: DraftMaker,
    settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.EMAIL_BACKEND = "logis.notifications.backends.ConsoleAndFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "var" / "mail"  # missing: the backend creates it
    result = publish_invoice(actor=manager, invoice_id=draft_for(resident_of_unit()).pk)
    assert result.email is not None

    run_worker()

    files = list((tmp_path / "var" / "mail").iterdir())
    assert len(files) == 1
    assert "X-Logis-Key: invoice-published:" in files[0].read_text()
    assert "To: marie@example.com" in capsys.readouterr().out
    assert EmailMessage.objects.get().status == DeliveryStatus.SENT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_email_at_once_send_it_once(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are checked on PostgreSQL")
    result = publish_invoice(actor=manager, invoice_id=draft_for(resident_of_unit()).pk)
    assert result.email is not None
    message_id = result.email.pk
    smtp_server.data_delay = 0.5  # the first worker is still talking to the server when the second starts
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(deliver_message(message_id=message_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(smtp_server.messages) == 1
    message = EmailMessage.objects.get(pk=message_id)
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 1
