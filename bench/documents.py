"""``bench pdf_documents``: how long an invoice PDF and a receipt PDF take, generated on request.

Nothing is stored: each download renders the document. Measured two ways, N times each after warm-ups
(the first document of a process also loads the fonts and the catalogs; that cold time is printed too):

- **render**: ``render_invoice_pdf`` / ``render_receipt_pdf`` alone (ReportLab's work);
- **request**: the manager's download through Django's test ``Client`` (permissions, the document's
  queries, rendering, response), with its SQL query count.

Prints ``bench pdf_documents: invoice_p50_ms=… invoice_p95_ms=… receipt_p50_ms=… …``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from logis.accounts.models import Membership, User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.documents.pdf_invoice import render_invoice_pdf
from logis.documents.pdf_receipt import render_receipt_pdf
from logis.documents.selectors import invoice_document, receipt_document
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.payments.services import record_payment
from logis.properties.models import Occupancy, OccupancyKind, Property, Resident, Unit

TZ = "America/Toronto"


def _world() -> tuple[User, Invoice, Payment]:
    prop = Property.objects.create(
        name="Bench — Les Tours du Reçu",
        address="1200, rue Sherbrooke Ouest, Montréal (Québec) H3A 1G1",
        timezone=TZ,
        payments_enabled=True,
        accepted_methods=["card", "acss_debit", "interac", "cheque"],
    )
    manager = User.objects.create_user("bench-pdf@example.com", "bench-pw-123", language="fr")
    Membership.objects.create(user=manager, property=prop, role=Role.MANAGER)
    unit = Unit.objects.create(property=prop, number="PH-2")
    resident = Resident.objects.create(property=prop, name="Marie-Ève Côté-Lévesque", email="mec@example.com")
    Occupancy.objects.create(unit=unit, resident=resident, kind=OccupancyKind.OWNER, is_primary=True)
    invoice = Invoice.objects.create(
        property=prop,
        unit=unit,
        number=1042,
        title="Cotisation spéciale — réfection de la toiture « phase 2 »",
        description="\n".join(f"Poste {n} : travaux de l’été, façade et balcons." for n in range(1, 16)),
        amount=Decimal("12345.67"),
        due_date=today_in(TZ) + dt.timedelta(days=30),
        status=InvoiceStatus.OPEN,
        published_at=timezone.now(),
    )
    payments = [
        record_payment(
            property=prop,
            invoice_id=invoice.pk,
            actor=manager,
            amount=Decimal("1000.00"),
            paid_on=today_in(TZ),
            method="cheque",
            reference=f"Chèque {n}",
        )
        for n in range(1, 6)
    ]
    return manager, invoice, payments[2]


def _samples(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(1, -(-95 * len(ordered) // 100)) - 1]


def run_documents(*, requests: int, warmup: int) -> str:
    print(
        f"\npdf_documents: an invoice and a receipt, {requests} times each, on {connection.vendor} …",
        flush=True,
    )
    manager, invoice, payment = _world()
    client = Client()
    client.force_login(manager)
    invoice_url = reverse("invoicing:pdf", args=[invoice.property_id, invoice.pk])
    receipt_url = reverse("payments:receipt_pdf", args=[payment.property_id, payment.pk])

    def get(url: str) -> bytes:
        response = client.get(url)
        if response.status_code != 200 or response["Content-Type"] != "application/pdf":
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response.content

    start = time.perf_counter()
    get(invoice_url)
    cold_ms = (time.perf_counter() - start) * 1000
    for _ in range(warmup):
        get(invoice_url)
        get(receipt_url)
    queries = {}
    sizes = {}
    for name, url in (("invoice", invoice_url), ("receipt", receipt_url)):
        with CaptureQueriesContext(connection) as ctx:
            sizes[name] = len(get(url))
        queries[name] = len(ctx.captured_queries)

    inv_doc = invoice_document(invoices=Invoice.objects.all(), invoice_id=invoice.pk)
    rec_doc = receipt_document(payments=Payment.objects.all(), payment_id=payment.pk)
    assert inv_doc is not None and rec_doc is not None
    with translation.override("fr"):
        render = {
            "invoice": _samples(lambda: render_invoice_pdf(inv_doc, online_payment=True), requests),
            "receipt": _samples(lambda: render_receipt_pdf(rec_doc), requests),
        }
    request = {
        "invoice": _samples(lambda: get(invoice_url), requests),
        "receipt": _samples(lambda: get(receipt_url), requests),
    }
    for name in ("invoice", "receipt"):
        print(
            f"  {name}: render p50 {statistics.median(render[name]):.1f} ms, "
            f"p95 {_p95(render[name]):.1f} ms; "
            f"request p50 {statistics.median(request[name]):.1f} ms, p95 {_p95(request[name]):.1f} ms; "
            f"{queries[name]} SQL queries; {sizes[name] / 1024:.0f} KB"
        )
    print(f"  first document of the process (fonts and catalogs loaded): {cold_ms:.0f} ms")
    print("  target: under 100 ms per document on 2 cores, constant queries")
    return (
        "bench pdf_documents: "
        f"invoice_p50_ms={statistics.median(request['invoice']):.1f} "
        f"invoice_p95_ms={_p95(request['invoice']):.1f} "
        f"invoice_render_p50_ms={statistics.median(render['invoice']):.1f} "
        f"receipt_p50_ms={statistics.median(request['receipt']):.1f} "
        f"receipt_p95_ms={_p95(request['receipt']):.1f} "
        f"receipt_render_p50_ms={statistics.median(render['receipt']):.1f} "
        f"invoice_queries={queries['invoice']} receipt_queries={queries['receipt']} "
        f"cold_ms={cold_ms:.0f} db={connection.vendor}"
    )
