"""``bench http``: the real server under load — gunicorn with the production settings on loopback, driven
by ``wrk`` (Debian's package) with a signed-in manager's session cookie (and a resident's, an API token).

Runs against the throwaway database the other benchmarks filled (the 200,000-invoice property), so the
figures are for the same data as ``bench invoices_page``. Each endpoint: a check that it answers 200,
then ``wrk`` for ``--http-seconds`` (20 by default) with ``--connections`` (16). The API's per-token rate
limit is lifted for the run (``LOGIS_API_RATE_LIMIT=0``): it would answer 429 and measure the limiter.

``/healthz`` first: the machine's floor for any Django response (no session, one small template); then
``signed_in_floor``, the floor of a manager's page of a property (session, user, property and role read, an
empty fragment rendered).

Lines: ``bench http: endpoint=invoices workers=4 connections=16 rps=… p50_ms=… p99_ms=… errors=…``
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    """The throwaway database's address, for the server process."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s.get("USER") or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


def _latency_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _parse_wrk(output: str) -> dict[str, float]:
    found: dict[str, float] = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        found["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        if m := re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M):
            found[f"p{pct}"] = _latency_ms(m.group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(g) for g in m.groups())
    found["errors"] = errors
    return found


def _wait_ready(base: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before answering")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # answering (even a 404): ready
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def _check(url: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            raise SystemExit(f"GET {url} answered {response.status}")


def _sign_in(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _endpoints(data: Any) -> list[tuple[str, str, dict[str, str]]]:
    from django.urls import reverse

    from logis.accounts.models import User
    from logis.api.services import create_api_token
    from logis.invoicing.models import Invoice
    from logis.properties.models import Resident

    manager = {"Cookie": f"sessionid={_sign_in(data.manager)}"}
    # A resident with a portal login: the one whose unit holds the most invoices (the heaviest portal).
    resident = (
        Resident.objects.filter(property=data.property, occupancies__is_primary=True).order_by("id").first()
    )
    assert resident is not None
    user = User.objects.create_user(f"bench-resident-{data.property.pk}@example.com", "bench-pw-123")
    Resident.objects.filter(pk=resident.pk).update(user=user)
    portal = {"Cookie": f"sessionid={_sign_in(user)}"}
    token = create_api_token(actor=data.manager, name="bench").secret
    invoice = Invoice.objects.filter(property=data.property).exclude(number=None).order_by("-id").first()
    assert invoice is not None
    pk = data.property.pk
    return [
        # The floor: no session, one small template and a database check. No page that goes through the
        # session, the user and a template can be served faster on the same machine (decision 0041).
        ("healthz", "/healthz", {}),
        # The floor of a signed-in page of a property: the session, the user, the property and the role
        # read, then an empty fragment (the create dialog's unit warning with no unit chosen).
        ("signed_in_floor", reverse("invoicing:unit_warning", args=[pk]) + "?unit=", manager),
        ("invoices", reverse("invoicing:list", args=[pk]), manager),
        ("dashboard", reverse("properties:dashboard", args=[pk]), manager),
        ("portal", reverse("portal:home"), portal),
        ("invoice", reverse("invoicing:detail", args=[pk, invoice.pk]), manager),
        ("api_invoices", f"/api/v1/properties/{pk}/invoices", {"Authorization": f"Bearer {token}"}),
    ]


def ensure_wrk() -> str | None:
    """``wrk``'s path, installing Debian's package when root (as ``make test`` does for chromium)."""
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's wrk for bench http", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env, capture_output=True)
    return shutil.which("wrk")


def _redis_url() -> str:
    """The shared cache the server's workers use, as in production with several web processes (sessions,
    rate limits: config/settings.py): ``REDIS_URL`` if set, else a Redis on the default port (its database
    15), else none (each worker its own memory cache, sessions in the database alone)."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return ""


def run_http(*, data: Any, port: int, workers: int, connections: int, seconds: int) -> str:
    from django.db import connection

    wrk = ensure_wrk()
    if wrk is None:
        message = (
            "bench http: skipped (wrk is not installed and cannot be installed here: apt-get install wrk)"
        )
        print(message)
        return message
    endpoints = _endpoints(data)
    redis = _redis_url()
    connection.close()  # the server's processes get their own connections
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOGIS_API_RATE_LIMIT": "0",
        "CONN_MAX_AGE": "600",
        "REDIS_URL": redis,
        "PYTHONWARNINGS": "ignore",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    base = f"http://127.0.0.1:{port}"
    cmd = [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    cmd += ["--log-level", "warning"]
    cache = "Redis" if redis else "per process"
    print(f"\nHTTP: {' '.join(cmd[1:])} (DEBUG=0, cache {cache}), wrk {connections} connections, {seconds} s")
    proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, start_new_session=True)
    lines = []
    try:
        _wait_ready(base, proc)
        for name, path, headers in endpoints:
            _check(base + path, headers)
            args = [
                wrk,
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--latency",
                "--timeout",
                "5s",
            ]
            for key, value in headers.items():
                args += ["-H", f"{key}: {value}"]
            out = subprocess.run([*args, base + path], capture_output=True, text=True, timeout=seconds + 30)
            got = _parse_wrk(out.stdout)
            line = (
                f"bench http: endpoint={name} workers={workers} connections={connections} "
                f"rps={got.get('rps', 0):.1f} p50_ms={got.get('p50', 0):.1f} p99_ms={got.get('p99', 0):.1f} "
                f"errors={int(got['errors'])} invoices={data.invoices} db={connection.vendor}"
            )
            print(f"  {line}", flush=True)
            lines.append(line)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    print("  target (PostgreSQL, 2 cores, 200k invoices): invoices rps >= 300, p99 < 100 ms")
    return "\n".join(lines)
