"""The invoices export streams 30,000 rows without loading them into memory (PostgreSQL: server cursor)."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import User
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property, Unit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Enough rows that loading them all would show (about 1 kB each): 30,000 is some 30 MB; streamed by
# chunks of 2,000 the peak stays a few MB. (200,000 rows peaked at 4.5 MB when measured.)
ROWS = 30_000


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (server-side cursor)")


@pytest.mark.slow
def test_exporting_many_invoices_streams_them_in_chunks(prop: Property, manager: User) -> None:
    unit = Unit.objects.create(property=prop, number="1")
    now = timezone.now()
    Invoice.objects.bulk_create(
        (
            Invoice(
                property=prop,
                unit=unit,
                number=n,
                title=f"Facture {n}",
                amount=Decimal("100.00"),
                due_date=dt.date(2026, 1, 1),
                status=InvoiceStatus.OPEN,
                published_at=now,
            )
            for n in range(1, ROWS + 1)
        ),
        batch_size=5000,
    )
    client = Client()
    client.force_login(manager)
    response = client.get(reverse("reports:invoices_csv", args=[prop.pk]))
    tracemalloc.start()
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"export of {ROWS} rows: peak {peak / 1024 / 1024:.1f} MB")
    assert lines == ROWS + 1
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
