"""``make bench``: the Factures page on a generated property of 2,000 units and 200,000 invoices.

Runs on the configured database (``DATABASE_URL``, else SQLite) but in a throwaway test database
created and destroyed the way Django's test runner does, so development data is never touched.

Measures, for ``invoicing:list`` (summary cards + first page of the list) fetched through Django's
test ``Client`` as a signed-in manager: server time median and p95 over N requests (after warm-ups),
the SQL query count, and the same data fetched by the two bare SQL queries it needs (one aggregate
for the cards, one for the first 25 rows with their unit number), median, and the ratio page/bare.

The last line is machine-comparable:
``bench invoices_page: p50_ms=… p95_ms=… queries=… bare_p50_ms=… ratio=… invoices=… units=… db=…``
and, on the same data (with one payment record per invoice that received money), the dashboard:
``bench dashboard_page: p50_ms=… p95_ms=… queries=… invoices=… payments=… db=…``
"""

from __future__ import annotations

import argparse
import cProfile
import html
import io
import os
import pstats
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import django


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=200_000, help="invoices to generate (200000)")
    parser.add_argument("--units", type=int, default=2_000, help="units to generate (2000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests (50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed warm-up requests (3)")
    parser.add_argument("--show-queries", action="store_true", help="print the page's SQL queries")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the page's queries (PostgreSQL)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one page request")
    parser.add_argument(
        "--only",
        choices=[
            "invoices_page",
            "batch_create",
            "pdf_documents",
            "import_units",
            "growth",
            "http",
            "portfolio",
        ],
        action="append",
        help="run this benchmark (repeat for several; default: all)",
    )
    parser.add_argument(
        "--growth-sizes", default="20000,200000", help="bench growth: invoice counts, comma-separated"
    )
    parser.add_argument("--huge", action="store_true", help="bench growth also at 2,000,000 invoices (long)")
    parser.add_argument("--port", type=int, default=8107, help="bench http: gunicorn's loopback port (8107)")
    parser.add_argument("--workers", type=int, default=4, help="bench http: gunicorn workers (4)")
    parser.add_argument("--connections", type=int, default=16, help="bench http: wrk connections (16)")
    parser.add_argument("--http-seconds", type=int, default=20, help="bench http: seconds per endpoint (20)")
    parser.add_argument("--portfolio-properties", type=int, default=300, help="bench portfolio (300)")
    parser.add_argument("--portfolio-units", type=int, default=100, help="bench portfolio: units each (100)")
    parser.add_argument(
        "--portfolio-months", type=int, default=60, help="bench portfolio: months of dues (60)"
    )
    args = parser.parse_args(argv)
    if args.units < 1 or args.invoices < 0 or args.requests < 1 or args.warmup < 0:
        parser.error("--units and --requests must be at least 1, --invoices and --warmup at least 0")
    return args


def _ms(seconds: float) -> float:
    return seconds * 1000


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    # Nearest-rank p95: with 50 samples, the 48th value.
    rank = max(1, -(-95 * len(ordered) // 100))
    return ordered[rank - 1]


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _bare_queries(property_id: int, today: Any) -> tuple[Callable[[], object], Callable[[], object]]:
    """The two SQL statements the page needs at minimum, written by hand: the cards (with the counts
    by status the list's paginator reuses) and the first 25 rows in the list's default order."""
    from django.db import connection

    from logis.invoicing.models import Invoice
    from logis.properties.models import Unit

    q = connection.ops.quote_name
    inv, unit = q(Invoice._meta.db_table), q(Unit._meta.db_table)
    overdue = "(i.status = 'open' AND i.due_date < %s AND i.amount_paid < i.amount)"
    cards_sql = f"""
        SELECT
          SUM(CASE WHEN i.status = 'open' AND NOT {overdue} THEN 1 ELSE 0 END),
          SUM(CASE WHEN i.status = 'open' AND NOT {overdue} THEN i.amount - i.amount_paid ELSE 0 END),
          SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END),
          SUM(CASE WHEN {overdue} THEN i.amount - i.amount_paid ELSE 0 END),
          SUM(CASE WHEN i.status = 'paid' THEN 1 ELSE 0 END),
          SUM(CASE WHEN i.status = 'paid' THEN i.amount ELSE 0 END),
          SUM(CASE WHEN i.status = 'draft' THEN 1 ELSE 0 END),
          SUM(CASE WHEN i.status = 'void' THEN 1 ELSE 0 END),
          COUNT(*)
        FROM {inv} i
        WHERE i.property_id = %s
    """  # table names come from the models; values are parameters
    cards_params = [today, today, today, today, property_id]
    rows_sql = f"""
        SELECT i.id, i.number, i.title, i.amount, i.amount_paid, i.due_date, i.status,
               CASE WHEN {overdue} THEN 'overdue' ELSE i.status END, u.number
        FROM {inv} i JOIN {unit} u ON u.id = i.unit_id
        WHERE i.property_id = %s
        ORDER BY i.created_at DESC, i.id DESC
        LIMIT 25
    """
    rows_params = [today, property_id]

    def cards() -> object:
        with connection.cursor() as cursor:
            cursor.execute(cards_sql, cards_params)
            return cursor.fetchall()

    def rows() -> object:
        with connection.cursor() as cursor:
            cursor.execute(rows_sql, rows_params)
            return cursor.fetchall()

    return cards, rows


def _profile(page: Callable[[], object], requests: int) -> None:
    """cProfile over ``requests`` requests: the 40 costliest calls cumulatively, then by own time (where
    the time is really spent: template nodes, formatting, the database driver)."""
    profiler = cProfile.Profile()
    for _ in range(requests):
        profiler.runcall(page)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(40)
        print(f"  profile of {requests} requests by {order}:\n{out.getvalue()}")


def _explain(captured: list[dict[str, Any]]) -> None:
    """EXPLAIN ANALYZE of each SELECT a page ran (the plans recorded in docs/decisions/0026)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        print("  (--explain needs PostgreSQL)")
        return
    with connection.cursor() as cursor:
        for i, query in enumerate(captured, 1):
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            plan = "\n      ".join(row[0] for row in cursor.fetchall())
            print(f"  [{i}] {sql[:300]}\n      {plan}")


def run(args: argparse.Namespace) -> str:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.data import generated
    from logis.core.dates import today_in

    print(f"Generating {args.units:,} units and {args.invoices:,} invoices on {connection.vendor} …")
    start = time.perf_counter()
    data = generated(units=args.units, invoices=args.invoices)
    generation_s = time.perf_counter() - start
    states = ", ".join(f"{k} {v:,}" for k, v in data.counts.items())
    print(
        f"Generated in {generation_s:.1f} s: {data.units:,} units, {data.residents:,} residents, "
        f"{data.invoices:,} invoices ({states})",
        flush=True,
    )

    client = Client()
    client.force_login(data.manager)
    url = reverse("invoicing:list", args=[data.property.pk])

    def page() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    for _ in range(args.warmup):
        page()
    with CaptureQueriesContext(connection) as ctx:
        response: Any = page()
    # Copied now: every request start empties the connection's query log.
    captured = list(ctx.captured_queries)
    queries = len(captured)
    samples = _timed(page, args.requests)

    today = today_in(data.property.timezone)
    cards, rows = _bare_queries(data.property.pk, today)
    for _ in range(args.warmup):
        cards()
        rows()
    bare = _timed(lambda: (cards(), rows()), args.requests)
    cards_only = _timed(cards, args.requests)
    rows_only = _timed(rows, args.requests)

    p50, p95 = _ms(statistics.median(samples)), _ms(_p95(samples))
    bare_p50 = _ms(statistics.median(bare))
    ratio = p50 / bare_p50 if bare_p50 else float("inf")

    print()
    print(f"Factures page {url} ({len(response.content):,} bytes), {args.requests} requests:")
    print(
        f"  server time p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {_ms(max(samples)):.1f} ms; "
        f"{queries} SQL queries"
    )
    print(
        f"  bare SQL p50 {bare_p50:.1f} ms (cards aggregate {_ms(statistics.median(cards_only)):.1f} ms, "
        f"first 25 rows {_ms(statistics.median(rows_only)):.1f} ms); page/bare ratio {ratio:.2f}"
    )
    print("  targets (PostgreSQL, 2 cores): p95 < 150 ms, ratio < 3, constant query count")
    if args.show_queries:
        for i, query in enumerate(captured, 1):
            print(f"  [{i}] {query['time']}s {query['sql']}")
    if args.explain:
        _explain(captured)
        # A page deep in the list: the Next link of the first page, followed three times.
        deep_url, body = url, response.content.decode()
        for _ in range(3):
            found = re.search(r'href="\?([^"]*)"[^>]*rel="next"', body)
            if not found:
                break
            deep_url = f"{url}?{html.unescape(found.group(1))}"
            body = client.get(deep_url).content.decode()
        with CaptureQueriesContext(connection) as deep:
            client.get(deep_url)
        print(f"\nA deeper page {deep_url[:80]}…:")
        _explain([q for q in deep.captured_queries if "invoicing_invoice" in q["sql"]])
    if args.profile:
        _profile(page, args.requests)
    invoices_line = (
        f"bench invoices_page: p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries} "
        f"bare_p50_ms={bare_p50:.1f} ratio={ratio:.2f} invoices={data.invoices} units={data.units} "
        f"db={connection.vendor}"
    )
    return invoices_line + "\n" + _dashboard(client, data, args)


def _dashboard(client: Any, data: Any, args: argparse.Namespace) -> str:
    """The property dashboard on the same data: the Factures cards, this month's payments, the to-do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("properties:dashboard", args=[data.property.pk])

    def page() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    for _ in range(args.warmup):
        page()
    with CaptureQueriesContext(connection) as ctx:
        page()
    queries = len(ctx.captured_queries)
    samples = _timed(page, args.requests)
    p50, p95 = _ms(statistics.median(samples)), _ms(_p95(samples))
    print(f"\nDashboard {url}, {args.requests} requests ({data.payments:,} payments on record):")
    print(f"  server time p50 {p50:.1f} ms, p95 {p95:.1f} ms; {queries} SQL queries")
    print("  target (PostgreSQL, 2 cores): p95 < 150 ms, constant query count")
    return (
        f"bench dashboard_page: p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries} "
        f"invoices={data.invoices} payments={data.payments} db={connection.vendor}"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also in a pipe
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    # What the test runner's environment gives, minus its template instrumentation (which would
    # add the test client's context copying to every measured request).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = False
    # whitenoise warns about STATIC_ROOT before collectstatic; irrelevant to this page's timing.
    warnings.filterwarnings("ignore", message="No directory at")

    conn = connections["default"]
    if conn.vendor == "sqlite":
        # A file, like the embedded database `make run` uses (an in-memory one would flatter SQLite).
        bench_file = settings.VAR_DIR / "bench.sqlite3"
        bench_file.parent.mkdir(parents=True, exist_ok=True)
        conn.settings_dict["TEST"]["NAME"] = str(bench_file)
    print(f"Creating a throwaway {conn.vendor} database (dev data untouched) …", flush=True)
    old_config = setup_databases(
        verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
    )
    lines = []
    try:
        if not args.only or "invoices_page" in args.only:
            lines.append(run(args))
        if not args.only or "batch_create" in args.only:
            from bench.batch import run_batch

            lines.append(run_batch(units=args.units))
        if not args.only or "pdf_documents" in args.only:
            from bench.documents import run_documents

            lines.append(run_documents(requests=args.requests, warmup=args.warmup))
        if not args.only or "import_units" in args.only:
            from bench.imports import run_imports

            lines.append(run_imports(units=args.units))
        if not args.only or "growth" in args.only:
            from bench.growth import run_growth

            lines.append(
                run_growth(
                    units=args.units,
                    requests=args.requests,
                    warmup=args.warmup,
                    sizes=[int(n) for n in args.growth_sizes.split(",")],
                    huge=args.huge,
                )
            )
        if not args.only or "http" in args.only:
            from bench.data import generated
            from bench.http import run_http

            lines.append(
                run_http(
                    data=generated(units=args.units, invoices=args.invoices),
                    port=args.port,
                    workers=args.workers,
                    connections=args.connections,
                    seconds=args.http_seconds,
                )
            )
        if not args.only or "portfolio" in args.only:
            from bench.portfolio import run_portfolio

            lines.append(
                run_portfolio(
                    properties=args.portfolio_properties,
                    units=args.portfolio_units,
                    months=args.portfolio_months,
                    requests=args.requests,
                    warmup=args.warmup,
                )
            )
    finally:
        teardown_databases(old_config, verbosity=0)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
