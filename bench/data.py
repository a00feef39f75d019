"""Generate one large property: units, residents and invoices in realistic states, with bulk inserts.

Ten years of dues for a big building: most past invoices are paid, a few are overdue (unpaid or
partially paid), some were voided, a few stale drafts; the coming months hold drafts and open
invoices. Deterministic (seeded) so runs compare.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from logis.accounts.models import Membership, User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.properties.models import Occupancy, OccupancyKind, Property, Resident, Unit, natural_key

BATCH = 5_000
TZ = "America/Toronto"
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@dataclass
class Generated:
    property: Property
    manager: User
    units: int
    residents: int
    invoices: int
    counts: dict[str, int]
    payments: int = 0


@contextmanager
def _explicit_timestamps() -> Iterator[None]:
    """Let bulk_create keep the created_at we computed (spread over ten years) instead of now()."""
    field = Invoice._meta.get_field("created_at")
    saved = field.auto_now_add  # type: ignore[union-attr]
    field.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        field.auto_now_add = saved  # type: ignore[union-attr]


def _unit_numbers(count: int) -> list[str]:
    """Natural numbers 1..count (the page must sort them 2 < 10 < 101)."""
    return [str(i) for i in range(1, count + 1)]


def _amount(rng: random.Random, title_kind: int) -> Decimal:
    if title_kind == 1:  # special assessment
        return Decimal(rng.randrange(50_000, 500_000)) / 100
    if title_kind == 2:  # parking
        return Decimal(rng.choice([4500, 6000, 7500, 9000])) / 100
    return Decimal(rng.randrange(15_000, 95_000)) / 100


_GENERATED: dict[tuple[int, int], Generated] = {}


def generated(*, units: int, invoices: int) -> Generated:
    """``generate`` once per size in a run: the benchmarks that need the same data share it."""
    key = (units, invoices)
    if key not in _GENERATED:
        _GENERATED[key] = generate(
            units=units, invoices=invoices, label="" if not _GENERATED else f"-{invoices}"
        )
    return _GENERATED[key]


def generate(*, units: int, invoices: int, seed: int = 42, log: bool = True, label: str = "") -> Generated:
    """Create the property, its manager, ``units`` units (95 % with a primary resident) and invoices.
    ``label`` tells apart several generated properties in one database (manager and resident emails)."""
    rng = random.Random(seed)
    today = today_in(TZ)
    zone = ZoneInfo(TZ)

    prop = Property.objects.create(
        name=f"Bench — Domaine des Érables{label}",
        address="1000, boulevard du Banc-d'essai, Montréal",
        timezone=TZ,
        payments_enabled=True,
    )
    manager = User.objects.create_user(f"bench-manager{label}@example.com", "bench-pw-123", language="fr")
    Membership.objects.create(user=manager, property=prop, role=Role.MANAGER)

    unit_objs = [Unit(property=prop, number=n, sort_key=natural_key(n)) for n in _unit_numbers(units)]
    Unit.objects.bulk_create(unit_objs, batch_size=BATCH)
    unit_ids = list(Unit.objects.filter(property=prop).order_by("id").values_list("id", flat=True))

    with_resident = [uid for uid in unit_ids if rng.random() < 0.95]
    residents = [
        Resident(
            property=prop,
            name=f"Résident {i}",
            email=f"resident{i}{label}@bench.example.com",
            language="fr" if rng.random() < 0.8 else "en",
        )
        for i in range(len(with_resident))
    ]
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    resident_ids = list(Resident.objects.filter(property=prop).order_by("id").values_list("id", flat=True))
    Occupancy.objects.bulk_create(
        [
            Occupancy(unit_id=uid, resident_id=rid, kind=OccupancyKind.OWNER, is_primary=True)
            for uid, rid in zip(with_resident, resident_ids, strict=True)
        ],
        batch_size=BATCH,
    )

    # Due dates spread over ten years: from 9.5 years back to 6 months ahead, sorted so that ids and
    # created_at grow together as they do in real life.
    first = today - dt.timedelta(days=round(365.25 * 9.5))
    span = round(365.25 * 10)
    due_dates = sorted(first + dt.timedelta(days=rng.randrange(span)) for _ in range(invoices))

    counts = {s.value: 0 for s in InvoiceStatus}
    number = 0
    batch: list[Invoice] = []
    created = 0
    with _explicit_timestamps():
        for due in due_dates:
            kind = 0 if rng.random() < 0.85 else (1 if rng.random() < 0.4 else 2)
            amount = _amount(rng, kind)
            created_at = dt.datetime.combine(due - dt.timedelta(days=30), dt.time(9), tzinfo=zone)
            created_at += dt.timedelta(seconds=rng.randrange(8 * 3600))
            title = (
                "Cotisation spéciale — Réparation du toit"
                if kind == 1
                else f"{'Frais de stationnement' if kind == 2 else 'Cotisations mensuelles'} — "
                f"{MONTHS_FR[due.month - 1]} {due.year}"
            )
            r = rng.random()
            paid = Decimal("0.00")
            if due >= today:
                status = (
                    InvoiceStatus.DRAFT
                    if r < 0.30
                    else InvoiceStatus.VOID
                    if r < 0.33
                    else InvoiceStatus.PAID
                    if r < 0.40
                    else InvoiceStatus.OPEN
                )
                if status == InvoiceStatus.OPEN and rng.random() < 0.15:
                    paid = (amount * Decimal(rng.choice([25, 50, 75])) / 100).quantize(Decimal("0.01"))
            else:
                status = (
                    InvoiceStatus.PAID
                    if r < 0.85
                    else InvoiceStatus.OPEN
                    if r < 0.95
                    else InvoiceStatus.VOID
                    if r < 0.995
                    else InvoiceStatus.DRAFT
                )
                if status == InvoiceStatus.OPEN and rng.random() < 0.5:
                    paid = (amount * Decimal(rng.choice([25, 50, 75])) / 100).quantize(Decimal("0.01"))
            if status == InvoiceStatus.PAID:
                paid = amount
            # A voided invoice was a draft (no number) a third of the time, else published then voided.
            numbered = status in (InvoiceStatus.OPEN, InvoiceStatus.PAID) or (
                status == InvoiceStatus.VOID and rng.random() < 0.67
            )
            inv_number = None
            if numbered:
                number += 1
                inv_number = number
            shown = status
            if status == InvoiceStatus.OPEN and due < today and paid < amount:
                shown = InvoiceStatus.OVERDUE
            counts[shown.value] += 1
            published_at = created_at + dt.timedelta(days=1) if numbered else None
            batch.append(
                Invoice(
                    property=prop,
                    unit_id=unit_ids[rng.randrange(len(unit_ids))],
                    number=inv_number,
                    title=title,
                    amount=amount,
                    amount_paid=paid,
                    due_date=due,
                    description="" if rng.random() < 0.7 else "Selon le budget adopté en assemblée.",
                    notify_resident=rng.random() < 0.6,
                    status=status,
                    void_reason="Facturée en double" if status == InvoiceStatus.VOID else "",
                    created_by=manager,
                    created_at=created_at,
                    published_by=manager if numbered else None,
                    published_at=published_at,
                    voided_by=manager if status == InvoiceStatus.VOID else None,
                    voided_at=created_at + dt.timedelta(days=3) if status == InvoiceStatus.VOID else None,
                    paid_at=(
                        dt.datetime.combine(due, dt.time(12), tzinfo=zone)
                        if status == InvoiceStatus.PAID
                        else None
                    ),
                )
            )
            if len(batch) >= BATCH:
                Invoice.objects.bulk_create(batch)
                created += len(batch)
                batch = []
                if log and created % 50_000 == 0:
                    print(f"  … {created:,} invoices", flush=True)
        if batch:
            Invoice.objects.bulk_create(batch)
            created += len(batch)
    Property.objects.filter(pk=prop.pk).update(next_invoice_number=number + 1)
    payments = _payments(prop, manager, rng, today)

    settle_database()
    return Generated(
        property=prop,
        manager=manager,
        units=len(unit_ids),
        residents=len(resident_ids),
        invoices=created,
        counts=counts,
        payments=payments,
    )


def _payments(prop: Property, manager: User, rng: random.Random, today: dt.date) -> int:
    """One payment record per invoice that received money, as the services leave them: the Paiements
    page and the dashboard read these, not ``amount_paid``."""
    methods = ["cheque", "etransfer", "card", "acss_debit", "cash"]
    rows = Invoice.objects.filter(property=prop, amount_paid__gt=0).values_list(
        "id", "unit_id", "amount_paid", "due_date"
    )
    batch: list[Payment] = []
    made = 0
    for invoice_id, unit_id, paid, due in rows.iterator(chunk_size=BATCH):
        batch.append(
            Payment(
                property=prop,
                unit_id=unit_id,
                invoice_id=invoice_id,
                amount=paid,
                paid_on=min(today, due - dt.timedelta(days=rng.randrange(0, 20))),
                method=rng.choice(methods),
                reference=f"Réf. {invoice_id}",
                recorded_by=manager,
            )
        )
        if len(batch) >= BATCH:
            Payment.objects.bulk_create(batch)
            made += len(batch)
            batch = []
    Payment.objects.bulk_create(batch)
    return made + len(batch)


def settle_database() -> None:
    """The database as autovacuum leaves a production one, before anything is measured: fresh planner
    statistics, and every table vacuumed (its visibility map set, so index-only scans skip the heap, and the
    rows' hint bits written). Without it, autovacuum starts on the freshly written tables while the pages
    are timed, on the same two cores, and a few index-only scans read the heap. Then the summary tables
    compacted (``vacuum_summaries``)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
    vacuum_summaries()


def vacuum_summaries() -> None:
    """The summary tables as years of use leave them, not as minutes of generation do: the summary rows
    (decision 0033) were updated once per generated invoice or payment, in minutes, so the tables' files hold
    that many dead row versions (18,500 pages for 36,000 live rows at 1.8M invoices: « Mes propriétés »
    read 145 MB per view, 61 ms instead of 8). Over years autovacuum reclaims them as they come and the
    tables stay about their live size; a plain VACUUM marks the space free but keeps the file, so the bench
    compacts them (VACUUM FULL, decision 0040). PostgreSQL only, outside a transaction."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FULL, ANALYZE) invoicing_invoicetotal, payments_paymenttotal")
