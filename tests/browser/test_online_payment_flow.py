"""Paying online, in a real browser, in demo mode (no Stripe keys, as in ``make run``): the resident opens
the invoice in the portal, pays on the local fake's Checkout page (clearly labelled as a demo), comes back
to a « Payée » invoice, and the receipt arrives at a real SMTP server. The fake is served by Logis itself
under /demo-stripe/; the SDK calls it over HTTP and its Pay button posts the signed webhook to Logis.
Then the manager refunds the payment (« Rembourser ») and the invoice is open again."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from logis.core.permissions import Role
from logis.invoicing.models import InvoiceStatus
from logis.payments.models import Payment, PaymentKind, WebhookEvent
from logis.properties.models import Property
from tests.browser.helpers import open_dialog
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    member,
)
from tests.factories import open_invoice as make_open_invoice
from tests.smtp import SMTPServer, body_text
from tests.smtp import run_worker as _run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
Login = Callable[[Page, str, str], None]


@pytest.fixture
def demo_stripe(settings: Any, live_server: Any) -> None:
    """No Stripe keys: the demo, through the fake mounted in Logis (here, the live server)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_DEMO = True
    settings.STRIPE_API_BASE = f"{live_server.url}/demo-stripe"
    settings.SITE_URL = live_server.url


def _building(language: str) -> tuple[Property, int]:
    prop = PropertyFactory(
        name="Les Jardins du Parc", payments_enabled=True, accepted_methods=["card", "cheque"]
    )
    unit = UnitFactory(property=prop, number="101")
    user = UserFactory(email="marie@example.com", language=language)
    marie = ResidentFactory(
        property=prop, name="Marie Tremblay", email="marie@example.com", language=language, user=user
    )
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    invoice = make_open_invoice(
        prop, number=1, amount=Decimal("125.50"), unit=unit, title="Cotisations mensuelles — Janvier"
    )
    return prop, invoice.pk


def test_resident_pays_through_demo_checkout_returns_to_a_paid_invoice_and_gets_the_receipt(
    page: Page, login: Login, demo_stripe: None, smtp_server: SMTPServer, screenshot: Callable[..., Any]
) -> None:
    prop, invoice_id = _building("fr")
    login(page, "marie@example.com", PASSWORD)
    page.goto(f"/portal/invoices/{invoice_id}/")
    expect(page.locator("#invoice-status")).to_have_text("Ouverte")
    expect(page.get_by_label("Montant à payer")).to_have_value("125,50")  # the balance, pre-filled
    page.get_by_role("button", name=re.compile(r"^\s*Payer en ligne")).click()

    # The fake's hosted Checkout page: a demo, said plainly.
    expect(page.get_by_role("note")).to_have_text("Mode démonstration — aucun paiement réel")
    expect(page.get_by_text("Cotisations mensuelles — Janvier")).to_be_visible()
    expect(page.get_by_role("radio", name="Carte")).to_be_checked()
    screenshot(page, "paiement-demo-checkout.png")
    page.get_by_role("button", name=re.compile(r"^Payer")).click()

    # Back on the invoice: paid.
    expect(page).to_have_url(re.compile(rf"/portal/invoices/{invoice_id}/$"))
    expect(page.locator("#invoice-status")).to_have_text("Payée")
    expect(page.locator("#invoice-balance")).to_have_text(re.compile(r"0,00"))
    screenshot(page, "paiement-demo-payee.png")
    payment = Payment.objects.get()
    assert (payment.status, payment.method, payment.amount) == ("succeeded", "card", Decimal("125.50"))
    assert WebhookEvent.objects.get().outcome == "processed"  # the fake's signed webhook was accepted

    _run_worker()
    (receipt,) = smtp_server.wait_for_messages(1)
    assert smtp_server.received[0].rcpt_tos == ["marie@example.com"]
    assert "Cotisations mensuelles — Janvier" in receipt["Subject"]
    assert "125,50" in body_text(receipt)

    # The manager refunds it through Stripe (the fake): the invoice is open again.
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language="fr")
    page.context.clear_cookies()
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/{invoice_id}/")
    expect(page.locator("#invoice-status")).to_have_text("Payée")
    row = page.locator("#invoice-payments").get_by_role("row").filter(has_text="Carte")
    dialog = open_dialog(page, row.get_by_role("link", name="Rembourser").click)
    expect(dialog).to_contain_text("Mode démonstration — aucun paiement réel")
    dialog.get_by_label("Motif").fill("Payé deux fois")
    dialog.get_by_role("button", name="Rembourser").click()
    expect(page.locator("#invoice-status")).to_have_text("Ouverte")
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert refund.amount == Decimal("125.50") and refund.reverses == payment


@pytest.mark.parametrize("browser_locale", ["en-CA"])
def test_in_english_cancelling_checkout_returns_to_the_open_invoice_with_nothing_paid(
    page: Page, login: Login, demo_stripe: None
) -> None:
    _prop, invoice_id = _building("en")
    login(page, "marie@example.com", PASSWORD)
    page.goto(f"/portal/invoices/{invoice_id}/")
    page.get_by_role("button", name=re.compile(r"^\s*Pay online")).click()
    expect(page.get_by_role("note")).to_have_text("Demo mode — no real payment")
    page.get_by_role("link", name="Cancel and go back").click()
    expect(page).to_have_url(re.compile(rf"/portal/invoices/{invoice_id}/$"))
    expect(page.locator("#invoice-status")).to_have_text("Open")
    assert not Payment.objects.exists()
    # Paying after all, from the same page.
    page.get_by_role("button", name=re.compile(r"^\s*Pay online")).click()
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    expect(page.locator("#invoice-status")).to_have_text("Paid")
    assert Payment.objects.get().invoice.status == InvoiceStatus.PAID


def test_paying_by_pre_authorized_debit_shows_pending_until_the_demo_debit_clears(
    page: Page, login: Login, demo_stripe: None
) -> None:
    prop, invoice_id = _building("fr")
    prop.accepted_methods = ["card", "acss_debit"]
    prop.save()
    login(page, "marie@example.com", PASSWORD)
    page.goto(f"/portal/invoices/{invoice_id}/")
    page.get_by_role("button", name=re.compile(r"^\s*Payer en ligne")).click()
    page.get_by_role("radio", name="Débit préautorisé").check()
    page.get_by_role("button", name=re.compile(r"^Payer")).click()
    checkout_url = page.url
    page.get_by_role("link", name="Retourner à Logis (le débit reste en attente)").click()
    expect(page.locator("#invoice-status")).to_have_text("Ouverte")
    expect(page.locator("#payment-state")).to_contain_text("en cours de confirmation")
    expect(page.get_by_role("link", name="Actualiser")).to_be_visible()
    assert Payment.objects.get().status == "pending"

    # The page checks again by itself (after 3 s, then 6 s, then 12 s), then stops: a debit takes days.
    expect(page.locator("#payment-state")).to_contain_text("Cette page vérifie de nouveau d'elle-même")
    expect(page).to_have_url(re.compile(r"[?&]recheck=1\b"), timeout=8_000)
    expect(page.locator("#payment-state")).to_contain_text("en cours de confirmation")
    pending_url = page.url
    page.goto(pending_url.replace("recheck=1", "recheck=3"))
    page.wait_for_timeout(4_000)
    expect(page).to_have_url(re.compile(r"[?&]recheck=3\b"))  # the last check was made: no more reloads
    expect(page.get_by_role("link", name="Actualiser")).to_be_visible()

    # The demo's checkout page offers to clear the debit. While the resident looks at the pending page,
    # the debit clears (that form, posted from outside this tab: opening and closing a second tab is
    # where chromium has hung, tests/browser/conftest.py); the pending page sees it alone.
    page.goto(checkout_url)
    expect(page.get_by_role("button", name="Le débit est confirmé")).to_be_visible()
    page.goto(pending_url.replace("&recheck=1", "").replace("recheck=1", ""))
    expect(page.locator("#invoice-status")).to_have_text("Ouverte")
    cleared = page.context.request.post(checkout_url, form={"action": "settle", "outcome": "succeeded"})
    assert cleared.ok, cleared.status
    expect(page.locator("#invoice-status")).to_have_text("Payée", timeout=15_000)
    expect(page.get_by_text("Paiement reçu. Merci !")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/portal/invoices/{invoice_id}/$"))
    payment = Payment.objects.get()
    assert (payment.status, payment.method) == ("succeeded", "acss_debit")
