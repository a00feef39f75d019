"""The general journal's CSV export reads the journal by keyset chunks: 3,000 entries (6,000 lines, some
10 MB as model instances loaded at once) are written with a memory peak that does not grow with the
journal (decision 0035). Runs on both databases; the figure is printed."""

from __future__ import annotations

import datetime as dt
import io
import time
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.http import FileResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]

from logis.accounts.models import User
from logis.ledger import posting
from logis.ledger.models import AccountKind, EntryKind
from logis.ledger.posting import Leg, account
from logis.ledger.selectors import EXPORT_CHUNK
from logis.properties.models import Property, Unit

pytestmark = [pytest.mark.django_db]

ENTRIES = 3_000


def _journal(prop: Property, entries: int) -> None:
    unit = Unit.objects.create(property=prop, number="1")
    bank = account(prop.pk, AccountKind.BANK)
    receivable = account(prop.pk, AccountKind.RECEIVABLE)
    start = dt.date(2016, 1, 1)
    with posting.batch():
        for n in range(entries):
            posting.post(
                property_id=prop.pk, date=start + dt.timedelta(days=n // 6), kind=EntryKind.PAYMENT,
                source_type="payment", source_id=n + 1, memo=f"Paiement {n}",
                legs=[Leg(bank, Decimal("100.00")), Leg(receivable, Decimal("-100.00"), unit_id=unit.pk)],
            )  # fmt: skip


def test_exporting_a_long_journal_streams_it_by_chunks(prop: Property, manager: User) -> None:
    _journal(prop, ENTRIES)
    client = Client()
    client.force_login(manager)
    response = client.get(reverse("reports:journal_export", args=[prop.pk]), {"start": "", "end": ""})
    tracemalloc.start()
    lines = 0
    with CaptureQueriesContext(connection) as ctx:
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"journal export of {ENTRIES} entries: peak {peak / 1024 / 1024:.1f} MB, {len(ctx)} queries")
    assert lines == 2 * ENTRIES + 1
    assert len(ctx) <= 2 * (ENTRIES // EXPORT_CHUNK + 1) + 1, "two queries per chunk of entries"
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"


def test_the_journal_workbook_is_sent_from_a_temporary_file_by_chunks(prop: Property, manager: User) -> None:
    """The XLSX is zipped into a temporary file and streamed from it (decision 0039): the response holds
    no workbook in memory, and the file read back has every line, amounts as numbers."""
    entries = 1_000
    _journal(prop, entries)
    client = Client()
    client.force_login(manager)
    url = reverse("reports:journal_export", args=[prop.pk])
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url, {"start": "", "end": "", "format": "xlsx"})
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"journal XLSX of {2 * entries} lines: {seconds:.1f} s (traced), peak {peak / 1024 / 1024:.1f} MB")
    assert isinstance(response, FileResponse) and response.streaming
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and ".xlsx" in disposition
    chunks = list(response.streaming_content)
    assert len(chunks) > 1, "sent by chunks, not as one body"
    sheet = load_workbook(io.BytesIO(b"".join(chunks))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 * entries + 1
    assert sum(r[10] or 0 for r in rows[1:]) == sum(r[11] or 0 for r in rows[1:]) == 100 * entries
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
