"""Issue 13, « Voir et payer »: the « new invoice » email (received by a real SMTP server) carries a link; a
resident with no account opens it in a fresh browser (phone and desktop, French and English, axe-core),
pays part of the invoice then the rest on the demo Checkout page, without ever signing in. The same link
with another invoice's number, after expiry, or after the manager revoked it, shows nothing of the invoice.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import create_invoice, publish_invoice
from logis.payments.models import PayLink
from logis.properties.models import Property
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.helpers import axe_violations
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member
from tests.smtp import SMTPServer, body_text
from tests.smtp import run_worker as _run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TZ = "America/Toronto"
NBSP = "\u00a0"


def _published(language: str) -> tuple[Property, Invoice, Any]:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    unit = UnitFactory(property=prop, number="101")
    marie = ResidentFactory(
        property=prop, name="Marie Tremblay", email="marie@example.com", language=language
    )
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com")
    draft = create_invoice(
        actor=manager,
        property=prop,
        unit_id=unit.pk,
        title="Cotisation de mars",
        amount=Decimal("300.00"),
        due_date=today_in(TZ) + dt.timedelta(days=20),
        notify_resident=True,
    )
    publish_invoice(actor=manager, invoice_id=draft.pk)
    return prop, Invoice.objects.get(pk=draft.pk), manager


def _fresh_page(browser: Browser, live_server: Any, *, locale: str, phone: bool) -> Page:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    ctx = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        timezone_id=TZ,
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx.new_page()


def _no_axe_violation(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, violations


@pytest.mark.parametrize(
    ("language", "phone"),
    [("fr", True), ("en", False)],
    ids=["french-phone", "english-desktop"],
)
def test_resident_opens_the_emailed_link_without_an_account_and_pays(
    browser: Browser,
    live_server,  # type: ignore[no-untyped-def]
    smtp_server: SMTPServer,
    settings,  # type: ignore[no-untyped-def]
    language: str,
    phone: bool,
) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_DEMO = "", "", True
    settings.STRIPE_API_BASE = f"{live_server.url}/demo-stripe"
    settings.SITE_URL = live_server.url
    fr = language == "fr"
    _prop, invoice, _manager = _published(language)

    _run_worker()
    [email] = smtp_server.wait_for_messages(1)
    match = re.search(r"https?://\S+/portal/link/\d+/[\w-]+/", body_text(email))
    assert match, body_text(email)
    path = re.sub(r"^https?://[^/]+", "", match.group(0))

    page = _fresh_page(browser, live_server, locale="fr-CA" if fr else "en-CA", phone=phone)
    try:
        page.goto(path)
        expect(page.get_by_role("heading", name="Cotisation de mars")).to_be_visible()
        expect(page.locator("#invoice-balance")).to_have_text(f"300,00{NBSP}$" if fr else "$300.00")
        expect(
            page.get_by_role("link", name="Télécharger le PDF" if fr else "Download the PDF")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Se déconnecter" if fr else "Sign out")).to_have_count(0)
        amount = page.get_by_label("Montant à payer" if fr else "Amount to pay")
        expect(amount).to_have_value("300,00" if fr else "300.00")
        if phone:
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, width
        _no_axe_violation(page)

        # Too little: refused beside the field, what was typed kept.
        amount.fill("0,50" if fr else "0.50")
        page.get_by_role("button", name="Payer en ligne" if fr else "Pay online").click()
        expect(
            page.get_by_text(re.compile("Le montant minimal" if fr else "The least that can be paid"))
        ).to_be_visible()
        expect(page.get_by_label("Montant à payer" if fr else "Amount to pay")).to_have_value(
            "0,50" if fr else "0.50"
        )
        _no_axe_violation(page)

        # Part of it: 100 $, on the demo Checkout page.
        page.get_by_label("Montant à payer" if fr else "Amount to pay").fill("100")
        page.get_by_role("button", name="Payer en ligne" if fr else "Pay online").click()
        page.get_by_role("button", name=re.compile(r"^(Payer|Pay)")).click()
        expect(page.get_by_role("heading", name="Cotisation de mars")).to_be_visible()
        expect(
            page.get_by_text("Paiement reçu. Merci !" if fr else "Payment received. Thank you!", exact=False)
        ).to_be_visible()
        expect(page.locator("#invoice-balance")).to_have_text(f"200,00{NBSP}$" if fr else "$200.00")
        expect(page.get_by_label("Montant à payer" if fr else "Amount to pay")).to_have_value(
            "200,00" if fr else "200.00"
        )

        # The rest.
        page.get_by_role("button", name="Payer en ligne" if fr else "Pay online").click()
        page.get_by_role("button", name=re.compile(r"^(Payer|Pay)")).click()
        expect(page.locator("#invoice-status")).to_have_text("Payée" if fr else "Paid")
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("300.00")

        # Signing in stays needed for everything else.
        page.goto("/portal/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        page.context.close()


@pytest.mark.parametrize(
    ("language", "phone"), [("fr", True), ("en", False)], ids=["french-phone", "english-desktop"]
)
def test_the_link_for_another_invoice_after_expiry_or_after_revocation_shows_nothing(
    browser: Browser,
    live_server,  # type: ignore[no-untyped-def]
    smtp_server: SMTPServer,
    settings,  # type: ignore[no-untyped-def]
    language: str,
    phone: bool,
) -> None:
    invalid = "Lien invalide ou expiré" if language == "fr" else "Invalid or expired link"
    settings.SITE_URL = live_server.url
    prop, invoice, _manager = _published("fr")
    _run_worker()
    [email] = smtp_server.wait_for_messages(1)
    match = re.search(r"https?://\S+/portal/link/(\d+)/([\w-]+)/", body_text(email))
    assert match
    token = match.group(2)
    other = Invoice.objects.create(
        property=prop,
        unit=invoice.unit,
        title="Autre facture",
        amount=Decimal("50.00"),
        due_date=invoice.due_date,
        status=InvoiceStatus.OPEN,
        number=2,
    )
    resident = _fresh_page(browser, live_server, locale="fr-CA" if language == "fr" else "en-CA", phone=phone)
    try:
        resident.goto(f"/portal/link/{other.pk}/{token}/")
        expect(resident.get_by_role("heading", name=invalid)).to_be_visible()
        expect(resident.get_by_text("Autre facture")).to_have_count(0)
        expect(resident.get_by_text("Cotisation de mars")).to_have_count(0)
        _no_axe_violation(resident)

        # Expired.
        PayLink.objects.filter(invoice=invoice).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
        resident.goto(f"/portal/link/{invoice.pk}/{token}/")
        expect(resident.get_by_role("heading", name=invalid)).to_be_visible()
        expect(resident.get_by_text("Cotisation de mars")).to_have_count(0)
        PayLink.objects.filter(invoice=invoice).update(expires_at=timezone.now() + dt.timedelta(days=30))
        resident.goto(f"/portal/link/{invoice.pk}/{token}/")
        expect(resident.get_by_role("heading", name="Cotisation de mars")).to_be_visible()

        # The manager (French, her language) revokes it from the invoice page, after confirming.
        office = _fresh_page(browser, live_server, locale="fr-CA", phone=False)
        try:
            from tests.browser.conftest import sign_in

            sign_in(office, "gestionnaire@example.com", "pw-123456")
            office.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")
            expect(office.get_by_role("heading", name="Liens de paiement")).to_be_visible()
            _no_axe_violation(office)
            office.get_by_role("button", name="Révoquer les liens de paiement").click()
            dialog = office.get_by_role("dialog")
            expect(dialog.get_by_text(re.compile("cessera de fonctionner aussitôt"))).to_be_visible()
            dialog.get_by_role("button", name="Révoquer les liens de paiement").click()
            expect(
                office.get_by_text("1 lien de paiement révoqué : il n'ouvre plus la facture.")
            ).to_be_visible()
            expect(
                office.get_by_text(re.compile("Aucun lien de paiement de cette facture n.est valide"))
            ).to_be_visible()
        finally:
            office.context.close()

        resident.goto(f"/portal/link/{invoice.pk}/{token}/")
        expect(resident.get_by_role("heading", name=invalid)).to_be_visible()
        expect(resident.get_by_text("Cotisation de mars")).to_have_count(0)
    finally:
        resident.context.close()
