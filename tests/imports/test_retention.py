"""Uploaded files are not kept forever: an unconfirmed preview expires after a day, the file of an
applied import is emptied after 30 days; the history and « Annuler » keep working."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import User
from logis.core import scheduler
from logis.core.errors import InvalidTransition
from logis.imports.models import ImportBatch, ImportStatus
from logis.imports.services import apply_import, import_history, preview_import, undo_import
from logis.properties.models import Property, Unit
from tests.imports.helpers import csv_bytes

ROWS = [["101", "100", "Propriétaire", "Marie", "Tremblay", "marie@example.com", "oui", "", ""]]


def _run(now: dt.datetime) -> int | None:
    return scheduler.run_due_jobs(now=now, only=lambda name: name == "imports.purge_files")[
        "imports.purge_files"
    ]


def test_unconfirmed_preview_expires_and_asks_for_the_file_again(manager: User, prop: Property) -> None:
    batch, _plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(ROWS))
    now = timezone.now()
    assert _run(now + dt.timedelta(hours=23)) == 0
    assert _run(now + dt.timedelta(hours=25)) == 1
    batch.refresh_from_db()
    assert (batch.status, bytes(batch.content)) == (ImportStatus.EXPIRED, b"")
    try:
        apply_import(actor=manager, property=prop, batch_id=batch.pk)
    except InvalidTransition as exc:
        assert "expired" in str(exc.message)
    else:
        raise AssertionError("an expired preview was imported")
    assert not Unit.objects.filter(property=prop).exists()
    assert import_history(property=prop) == []
    assert _run(now + dt.timedelta(hours=26)) == 0  # idempotent


def test_expired_preview_page_says_so(manager: User, prop: Property) -> None:
    batch, _plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(ROWS))
    _run(timezone.now() + dt.timedelta(days=2))
    client = Client()
    client.force_login(manager)
    response = client.get(
        reverse("properties:imports:preview", args=[prop.pk, batch.pk]),
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    assert response.status_code == 200
    assert "Cet aperçu a expiré : téléversez le fichier de nouveau." in response.content.decode()


def test_applied_file_is_emptied_after_retention_and_undo_still_works(manager: User, prop: Property) -> None:
    batch, _plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(ROWS))
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    now = timezone.now()
    assert _run(now + dt.timedelta(days=29)) == 0
    assert bytes(ImportBatch.objects.get(pk=batch.pk).content) != b""
    assert _run(now + dt.timedelta(days=31)) == 1
    kept = ImportBatch.objects.get(pk=batch.pk)
    assert bytes(kept.content) == b""
    assert (kept.status, kept.file_name, len(kept.file_sha256)) == (ImportStatus.APPLIED, "u.csv", 64)
    assert [b.pk for b in import_history(property=prop)] == [batch.pk]
    undo_import(actor=manager, property=prop, batch_id=batch.pk)
    assert not Unit.objects.filter(property=prop).exists()
    assert _run(now + dt.timedelta(days=32)) == 0
