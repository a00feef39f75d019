"""How long an uploaded file is kept (a scheduler job, ``imports.purge_files``).

The file of an import is only needed between its preview and « Importer » (apply reads it again); what an
undo needs is kept apart, in ``ImportBatch.undo``. So:

- a preview nobody confirmed within ``IMPORT_PREVIEW_HOURS`` (24 h) expires: its file is emptied and the
  batch is marked expired (« Importer » then asks for the file again);
- the file of an applied or undone import is emptied ``IMPORT_FILE_RETENTION_DAYS`` (30 days) after it
  was uploaded, long enough for support questions. Its name, SHA-256, counts and undo data stay, so the
  history and « Annuler » are unchanged.

Uploads are up to 10 MB each; without this a busy firm's database would keep every spreadsheet forever.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from logis.imports.models import ImportBatch, ImportStatus

BATCH = 500


def purge_files(*, now: dt.datetime) -> int:
    """Expire old previews and empty old files; returns how many batches it changed. Idempotent."""
    preview_cutoff = now - dt.timedelta(hours=settings.IMPORT_PREVIEW_HOURS)
    file_cutoff = now - dt.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    changed = 0
    with transaction.atomic():
        expired = list(
            ImportBatch.objects.select_for_update(skip_locked=True)
            .filter(status=ImportStatus.PREVIEWED, created_at__lt=preview_cutoff)
            .values_list("pk", flat=True)[:BATCH]
        )
        changed += ImportBatch.objects.filter(pk__in=expired).update(status=ImportStatus.EXPIRED, content=b"")
    with transaction.atomic():
        old = list(
            ImportBatch.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[ImportStatus.APPLIED, ImportStatus.UNDONE],
                created_at__lt=file_cutoff,
            )
            .exclude(content=b"")
            .values_list("pk", flat=True)[:BATCH]
        )
        changed += ImportBatch.objects.filter(pk__in=old).update(content=b"")
    return changed
