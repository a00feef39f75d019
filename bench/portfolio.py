"""``bench portfolio``: a management firm's « Mes propriétés » over many properties and years of dues.

``--portfolio-properties`` properties (300) of ``--portfolio-units`` units (100) each with
``--portfolio-months`` (60) monthly dues per unit: 300 × 100 × 60 = 1,800,000 invoices, written with
PostgreSQL's COPY (SQLite: batched INSERTs, scale down there). One manager holds a role on every property.
Each unit has two residents (60,000 names drawn from common Quebec names, accents included). Measures the
property list (``properties:list``) through Django's test ``Client``, and the portfolio search for a common
surname (« cote »: about one resident in twenty, « Côté » among them) across every property, beside the same
search by a manager of one of them.

Line: ``bench portfolio: properties=300 invoices=1800000 p50_ms=… p95_ms=… queries=… | search p50_ms=…
p95_ms=… one_property_p50_ms=…``
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any


def _invoice_rows(
    property_ids: list[int], units_by_property: dict[int, list[int]], months: int, manager_id: int, rng: Any
) -> Any:
    from django.utils import timezone

    from bench.data import TZ
    from logis.core.dates import today_in

    today = today_in(TZ)
    now = timezone.now()
    first = (today.replace(day=1) - dt.timedelta(days=31 * (months - 2))).replace(day=1)
    dues = []
    d = first
    for _ in range(months):
        dues.append(d)
        d = (d + dt.timedelta(days=32)).replace(day=1)
    for pid in property_ids:
        number = 0
        for due in dues:
            created = dt.datetime.combine(due - dt.timedelta(days=30), dt.time(12), tzinfo=dt.UTC)
            for uid in units_by_property[pid]:
                amount = Decimal(rng.randrange(20_000, 60_000)) / 100
                if due < today and rng.random() < 0.95:
                    status, paid, paid_at = "paid", amount, created + dt.timedelta(days=30)
                else:
                    status, paid, paid_at = "open", Decimal("0.00"), None
                number += 1
                yield (
                    pid,
                    uid,
                    number,
                    f"Cotisations mensuelles — {due:%Y-%m}",
                    amount,
                    paid,
                    due,
                    "",
                    False,
                    status,
                    "",
                    manager_id,
                    created,
                    now,
                    manager_id,
                    created,
                    None,
                    None,
                    paid_at,
                )


COLUMNS = (
    "property_id, unit_id, number, title, amount, amount_paid, due_date, description, notify_resident, "
    "status, void_reason, created_by_id, created_at, updated_at, published_by_id, published_at, "
    "voided_by_id, voided_at, paid_at"
)


def _write_invoices(rows: Any) -> int:
    from django.db import connection

    from logis.invoicing.models import Invoice

    table = connection.ops.quote_name(Invoice._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
                    if count % 300_000 == 0:
                        print(f"  … {count:,} invoices", flush=True)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS.split(",")))
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 5_000:
                    cursor.executemany(f"INSERT INTO {table} ({COLUMNS}) VALUES ({marks})", batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO {table} ({COLUMNS}) VALUES ({marks})", batch)
                count += len(batch)
    return count


FIRST_NAMES = (
    "Hélène",
    "François",
    "Josée",
    "André",
    "Geneviève",
    "Stéphane",
    "Marie",
    "Luc",
    "Émilie",
    "Benoît",
)
LAST_NAMES = (
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné",
    "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard",
    "Boucher",
)  # fmt: skip
SEARCH = "cote"


def _residents(props: list[Any], units: int, rng: Any) -> None:
    from bench.data import BATCH
    from logis.properties.models import Resident

    residents = []
    for p in props:
        for i in range(units * 2):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            residents.append(Resident(property=p, name=f"{first} {last}", email=f"r{p.pk}-{i}@exemple.ca"))
    Resident.objects.bulk_create(residents, batch_size=BATCH)


def run_portfolio(*, properties: int, units: int, months: int, requests: int, warmup: int) -> str:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench.data import TZ, settle_database
    from bench.growth import measure_page
    from logis.accounts.models import Membership, User
    from logis.core.permissions import Role
    from logis.properties.models import Property, Unit, natural_key

    rng = random.Random(7)
    total = properties * units * months
    print(
        f"\nPortfolio: {properties} properties × {units} units × {months} months = {total:,} invoices "
        f"({connection.vendor}) …",
        flush=True,
    )
    start = time.perf_counter()
    manager = User.objects.create_user("bench-portfolio@example.com", "bench-pw-123", language="fr")
    props = Property.objects.bulk_create(
        [
            Property(name=f"Portefeuille {i:03d} — Les Habitations", address=f"{i} rue du Banc", timezone=TZ)
            for i in range(1, properties + 1)
        ]
    )
    Membership.objects.bulk_create([Membership(user=manager, property=p, role=Role.MANAGER) for p in props])
    Unit.objects.bulk_create(
        [
            Unit(property=p, number=str(n), sort_key=natural_key(str(n)))
            for p in props
            for n in range(1, units + 1)
        ],
        batch_size=5_000,
    )
    units_by_property: dict[int, list[int]] = {p.pk: [] for p in props}
    for pid, uid in Unit.objects.filter(property__in=props).order_by("id").values_list("property_id", "id"):
        units_by_property[pid].append(uid)
    _residents(props, units, random.Random(11))  # its own draws: the invoices stay those of earlier runs
    written = _write_invoices(
        _invoice_rows([p.pk for p in props], units_by_property, months, manager.pk, rng)
    )
    for p in props:
        Property.objects.filter(pk=p.pk).update(next_invoice_number=units * months + 1)
    settle_database()
    print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)

    client = Client()
    client.force_login(manager)
    url = reverse("properties:list")
    p50, p95, queries = measure_page(client, url, requests, warmup)
    print(f"  « Mes propriétés »: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} queries")
    s50, s95, _ = measure_page(client, f"{url}?q={SEARCH}", requests, warmup)
    print(f"  search « {SEARCH} » across {properties} properties: p50 {s50:.1f} ms, p95 {s95:.1f} ms")
    one = User.objects.create_user("bench-one-property@example.com", "bench-pw-123", language="fr")
    Membership.objects.create(user=one, property=props[0], role=Role.MANAGER)
    single = Client()
    single.force_login(one)
    o50, _, _ = measure_page(single, f"{url}?q={SEARCH}", requests, warmup)
    print(f"  the same search by a manager of one property: p50 {o50:.1f} ms")
    print("  target (PostgreSQL, 2 cores): p95 < 50 ms")
    return (
        f"bench portfolio: properties={properties} invoices={written} p50_ms={p50:.1f} p95_ms={p95:.1f} "
        f"queries={queries} | search p50_ms={s50:.1f} p95_ms={s95:.1f} one_property_p50_ms={o50:.1f} "
        f"db={connection.vendor}"
    )
