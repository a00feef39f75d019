"""What the production deploy relies on, checked in-process (fast): static files that `collectstatic` with the
manifest can process, a /healthz that fails when pages would, the favicon, the security headers, the read-only
admin for support, the console email backend of `make run`, and SITE_URL following PORT."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.test import Client

from logis.accounts.models import Membership, User
from logis.core.permissions import Role
from logis.invoicing.models import InvoiceStatus
from logis.notifications.backends import SummaryConsoleBackend
from logis.payments.services import record_payment
from logis.properties.models import Property
from tests.factories import InvoiceFactory, UnitFactory, member

BASE_DIR = Path(__file__).resolve().parents[2]


def test_every_source_map_named_by_a_static_file_exists() -> None:
    """A static file naming a missing .map stops `collectstatic` with the manifest (MissingFileError)."""
    missing = []
    for path in (BASE_DIR / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for name in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text(errors="replace")):
            if not name.startswith("data:") and not (path.parent / name).exists():
                missing.append(f"{path.relative_to(BASE_DIR)} -> {name}")
    assert missing == []


def test_healthz_answers_ok_when_pages_render(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "pages": "ok"}}


def test_healthz_fails_when_the_static_manifest_is_missing(
    client: Client, db: None, settings: Any, tmp_path: Path
) -> None:
    """As in production after a failed `collectstatic`: every page would answer 500, so must /healthz."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert "manifest" in body["checks"]["pages"]


def test_favicon_is_served(client: Client, db: None) -> None:
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith("/static/logis/favicon")
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == (
        b"\x00\x00\x01\x00"
    )


def test_pages_carry_a_policy_without_inline_script(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-eval'" not in policy


def _production_check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-key-" + "k" * 40,
        ALLOWED_HOSTS="logis.example.com",
        CSRF_TRUSTED_ORIGINS="https://logis.example.com",
        SITE_URL="https://logis.example.com",
        SECURE_COOKIES="1",
        SECURE_SSL_REDIRECT="1",
        BEHIND_PROXY="1",
        LOGIS_MANIFEST_STATIC="1",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_readme_production_settings() -> None:
    clean = _production_check({"SECURE_HSTS_SECONDS": "31536000"})
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no issues" in clean.stdout
    without_hsts = _production_check({})
    assert without_hsts.returncode != 0
    assert "security.W004" in without_hsts.stdout + without_hsts.stderr


def test_site_url_follows_port_without_site_url() -> None:
    """`make run` on another PORT: links in emails (load_demo's too) name that port, not 8000."""
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    env.update(PORT="8123", DJANGO_SETTINGS_MODULE="config.settings")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "http://127.0.0.1:8123"


def test_console_backend_shows_attachments_by_name_and_size() -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 20
    message = EmailMessage("Reçu", "Merci.", "no-reply@example.com", ["marie@example.com"])
    message.attach("recu-1-000042.pdf", pdf, "application/pdf")
    stream = io.StringIO()
    SummaryConsoleBackend(stream=stream).send_messages([message])
    output = stream.getvalue()
    assert "[attachment: recu-1-000042.pdf (application/pdf, 5.1 kB)]" in output
    assert "Merci." in output
    assert "JVBERi0" not in output  # base64 of « %PDF- »
    assert len(output) < 2000


@pytest.fixture
def support(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="support@example.com", password="pw-123456"))
    return client


def test_support_views_invoices_and_payments_read_only(support: Client, prop: Property) -> None:
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com")
    unit = UnitFactory(property=prop, number="101")
    invoice = InvoiceFactory(
        property=prop,
        unit=unit,
        number=7,
        title="Cotisation",
        amount=Decimal("325.00"),
        status=InvoiceStatus.OPEN,
    )
    payment = record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("100.00"),
        paid_on=dt.date.today(),
        method="cheque",
        reference="CHQ-118",
    )
    listing = support.get("/admin/invoicing/invoice/?q=Cotisation")
    assert listing.status_code == 200
    assert "Cotisation" in listing.content.decode()
    for path in (
        f"/admin/invoicing/invoice/{invoice.pk}/change/",
        f"/admin/payments/payment/{payment.pk}/change/",
    ):
        page = support.get(path)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()  # a view, not a form
    assert "CHQ-118" in support.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()
    assert support.post(f"/admin/invoicing/invoice/{invoice.pk}/change/", {"title": "x"}).status_code == 403
    assert support.post(f"/admin/payments/payment/{payment.pk}/delete/", {"post": "yes"}).status_code == 403
    assert support.get("/admin/invoicing/invoice/add/").status_code == 403
    for path in ("/admin/notifications/emailmessage/", "/admin/core/auditevent/", "/admin/properties/unit/"):
        assert support.get(path).status_code == 200


def test_support_cannot_change_or_delete_memberships(support: Client, prop: Property) -> None:
    admin = member(prop, Role.ADMIN, email="admin@example.com")
    membership = Membership.objects.get(user=admin, property=prop)
    change = f"/admin/accounts/membership/{membership.pk}/change/"
    assert support.get(change).status_code == 200
    posted = support.post(change, {"user": admin.pk, "property": prop.pk, "role": Role.BOARD})
    assert posted.status_code == 403
    assert (
        support.post(f"/admin/accounts/membership/{membership.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    bulk = support.post(
        "/admin/accounts/membership/",
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
    )
    assert bulk.status_code in {200, 302, 403}
    assert support.get("/admin/accounts/membership/add/").status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert Membership.objects.filter(pk=membership.pk).exists()
