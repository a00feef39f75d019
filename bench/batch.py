"""``bench batch_create``: a manager bills monthly dues to every unit of a 2,000-unit property,
split by share.

End to end through the pages, as a signed-in manager with Django's test ``Client``: the preview
(POST « Aperçu »), the creation of the drafts (POST « Créer les brouillons »: one transaction, bulk
inserts) and « Publier tout » (numbers, and one email queued per unit whose primary resident has an
email, about 95 %). Prints ``bench batch_create: units=… create_s=… publish_s=…``.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.urls import reverse

from logis.accounts.models import Membership, User
from logis.billing.models import Batch
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.emails import prepare_published_emails
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Occupancy, OccupancyKind, Property, Resident, Unit, natural_key

TZ = "America/Toronto"


def _building(units: int) -> tuple[Property, User]:
    prop = Property.objects.create(
        name="Bench — Les Tours du Lot", timezone=TZ, payments_enabled=True, address="1, rue du Banc"
    )
    manager = User.objects.create_user("bench-batch@example.com", "bench-pw-123", language="fr")
    Membership.objects.create(user=manager, property=prop, role=Role.MANAGER)
    # Shares of 100 % / units, written with four decimals: they need not add up exactly (the split is
    # proportional), as in real declarations of co-ownership.
    share = (Decimal(100) / units).quantize(Decimal("0.0001"))
    numbers = [str(i) for i in range(1, units + 1)]
    Unit.objects.bulk_create(
        [Unit(property=prop, number=n, sort_key=natural_key(n), share=share) for n in numbers],
        batch_size=2000,
    )
    unit_ids = list(Unit.objects.filter(property=prop).order_by("id").values_list("id", flat=True))
    with_resident = [uid for i, uid in enumerate(unit_ids) if i % 20 != 19]  # 95 % have a resident
    Resident.objects.bulk_create(
        [
            Resident(property=prop, name=f"Résident {i}", email=f"batch{i}@bench.example.com")
            for i in range(len(with_resident))
        ],
        batch_size=2000,
    )
    resident_ids = list(Resident.objects.filter(property=prop).order_by("id").values_list("id", flat=True))
    Occupancy.objects.bulk_create(
        [
            Occupancy(unit_id=u, resident_id=r, kind=OccupancyKind.OWNER, is_primary=True)
            for u, r in zip(with_resident, resident_ids, strict=True)
        ],
        batch_size=2000,
    )
    return prop, manager


def run_batch(*, units: int) -> str:
    print(f"\nbatch_create: a property of {units:,} units on {connection.vendor} …", flush=True)
    prop, manager = _building(units)
    client = Client()
    client.force_login(manager)
    client.get(reverse("billing:batch_create", args=[prop.pk]))  # warm: templates, translations
    due = today_in(TZ) + dt.timedelta(days=20)
    form = {
        "unit_scope": "all",
        "title": "Cotisations mensuelles — décembre 2026",
        "amount_mode": "split",
        "amount": "1 234 567,89",
        "due_date": due.isoformat(),
        "description": "Selon le budget adopté en assemblée.",
        "notify_resident": "on",
    }
    url = reverse("billing:batch_create", args=[prop.pk])

    start = time.perf_counter()
    response = client.post(url, {**form, "action": "preview"})
    preview_s = time.perf_counter() - start
    if response.status_code != 200 or b'value="create"' not in response.content:
        raise SystemExit(f"preview answered {response.status_code}")

    start = time.perf_counter()
    response = client.post(url, {**form, "action": "create"})
    create_s = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"create answered {response.status_code}")
    batch = Batch.objects.get(property=prop)
    drafts = Invoice.objects.filter(batch_item__batch=batch, status=InvoiceStatus.DRAFT).count()

    start = time.perf_counter()
    response = client.post(reverse("billing:batch_publish", args=[prop.pk, batch.pk]))
    publish_s = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"publish answered {response.status_code}")
    published = Invoice.objects.filter(batch_item__batch=batch, status=InvoiceStatus.OPEN).count()
    # More than a handful of emails are written by the worker, not in the request: time that too.
    ids = list(Invoice.objects.filter(batch_item__batch=batch).values_list("pk", flat=True))
    start = time.perf_counter()
    prepare_published_emails(invoice_ids=ids)
    worker_s = time.perf_counter() - start
    emails = EmailMessage.objects.filter(invoice__batch_item__batch=batch).count()
    total = sum(Invoice.objects.filter(batch_item__batch=batch).values_list("amount", flat=True))
    if drafts != units or published != units or total != Decimal("1234567.89"):
        raise SystemExit(f"expected {units} invoices summing to 1234567.89: {drafts=} {published=} {total=}")
    print(
        f"  preview {preview_s:.2f} s; created {drafts:,} drafts in {create_s:.2f} s; published them in "
        f"{publish_s:.2f} s; the worker then wrote and queued {emails:,} emails in {worker_s:.2f} s; "
        f"total {total} $ (exact)"
    )
    print("  target: create + publish of 2,000 units under 5 s")
    return (
        f"bench batch_create: units={units} create_s={create_s:.2f} publish_s={publish_s:.2f} "
        f"preview_s={preview_s:.2f} worker_emails_s={worker_s:.2f} emails={emails} db={connection.vendor}"
    )
