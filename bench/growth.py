"""``bench growth``: the Factures page and the dashboard as a property's history grows.

The same property shape (2,000 units, ten years of dues) at 20,000 and 200,000 invoices, and with
``--huge`` at 2,000,000 (long to generate: about ten times the 200k property). Each size is its own
property in the same database, so the larger ones also sit beside the smaller ones, as in production.
Server time through Django's test ``Client`` as a signed-in manager, p50 and p95 over N requests.
``page=search`` is the Factures page searching one resident's email (a rare match: their unit's invoices),
the search that read every invoice of the property's history before decision 0044.

Lines: ``bench growth: page=invoices invoices=20000 p50_ms=… p95_ms=… queries=… | invoices=200000 …``
and the same for ``page=dashboard`` and ``page=search``; ``flat=`` is the largest size's p50 over the
smallest's (target ≤ 1.5).
"""

from __future__ import annotations

import statistics
from typing import Any

SIZES = (20_000, 200_000)
HUGE = 2_000_000


def measure_page(client: Any, url: str, requests: int, warmup: int) -> tuple[float, float, int]:
    """p50 and p95 (ms) of ``url`` over ``requests`` after ``warmup``, and its query count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.__main__ import _ms, _p95, _timed

    def page() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    for _ in range(warmup):
        page()
    with CaptureQueriesContext(connection) as ctx:
        page()
    queries = len(ctx.captured_queries)  # now: every request start empties the query log
    samples = _timed(page, requests)
    return _ms(statistics.median(samples)), _ms(_p95(samples)), queries


def run_growth(
    *, units: int, requests: int, warmup: int, sizes: list[int] | None = None, huge: bool = False
) -> str:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench.data import generated
    from logis.properties.models import Resident

    sizes = [*(sizes or SIZES), *([HUGE] if huge else [])]
    results: dict[str, list[tuple[int, float, float, int]]] = {"invoices": [], "dashboard": [], "search": []}
    for size in sizes:
        print(f"\nGrowth: {size:,} invoices on {units:,} units ({connection.vendor}) …", flush=True)
        data = generated(units=units, invoices=size)
        client = Client()
        client.force_login(data.manager)
        resident = Resident.objects.filter(property=data.property).order_by("id")[7]
        search = "?q=" + resident.email.split("@")[0] + "@"
        for page, name, query in (
            ("invoices", "invoicing:list", ""),
            ("dashboard", "properties:dashboard", ""),
            ("search", "invoicing:list", search),
        ):
            url = reverse(name, args=[data.property.pk]) + query
            p50, p95, queries = measure_page(client, url, requests, warmup)
            results[page].append((data.invoices, p50, p95, queries))
            print(f"  {page}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} queries", flush=True)
    print("  targets (PostgreSQL, 2 cores): p95 < 30 ms at every size; largest p50 within 1.5x the smallest")
    lines = []
    for page, rows in results.items():
        cells = " | ".join(
            f"invoices={n} p50_ms={p50:.1f} p95_ms={p95:.1f} queries={q}" for n, p50, p95, q in rows
        )
        flat = rows[-1][1] / rows[0][1] if rows[0][1] else float("inf")
        lines.append(f"bench growth: page={page} {cells} | flat={flat:.2f} db={connection.vendor}")
    return "\n".join(lines)
