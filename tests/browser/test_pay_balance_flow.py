"""« Payer le solde » in a real browser, in demo mode (no Stripe keys, as in ``make run``), in French and
English, on a desktop and a 390 px phone (decision 0036): a resident with two open invoices presses
« Payer le solde » beside the unit's balance, sees both invoices ticked and the total, pays once on the
local fake's Checkout page, comes back to the one receipt listing both invoices and how the payment was
applied; both invoices are paid. The fake's Pay button posts the signed webhook to Logis (the live server).
axe-core checks every page of Logis on the way."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from logis.invoicing.models import InvoiceStatus
from logis.payments.models import Payment, Remittance, WebhookEvent
from tests.browser.helpers import axe_violations, page_overflow
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    open_invoice,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
Login = Callable[[Page, str, str], None]
NBSP = "\u00a0"

WORDS = {
    "fr": {
        "pay_balance": "Payer le solde",
        "heading": "Payer le solde de l'unité 101",
        "total": f"175,50{NBSP}$",
        "pay": "Payer en ligne",
        "demo": "Mode démonstration — aucun paiement réel",
        "fake_pay": r"^Payer",
        "thanks": "Paiement reçu. Merci !",
        "receipt": "Reçu nº",
        "rule": "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens.",
        "paid": "Payée",
    },
    "en": {
        "pay_balance": "Pay the balance",
        "heading": "Pay the balance of unit 101",
        "total": "$175.50",
        "pay": "Pay online",
        "demo": "Demo mode — no real payment",
        "fake_pay": r"^Pay",
        "thanks": "Payment received. Thank you!",
        # A Quebec property's receipt: French first, English beside it (s. 57).
        "receipt": "Reçu nº",
        "rule": "Applied first to late fees and interest, then to the oldest amounts.",
        "paid": "Paid",
    },
}


@pytest.fixture
def demo_stripe(settings: Any, live_server: Any) -> None:
    """No Stripe keys: the demo, through the fake mounted in Logis (here, the live server)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_DEMO = True
    settings.STRIPE_API_BASE = f"{live_server.url}/demo-stripe"
    settings.SITE_URL = live_server.url


def _clean(page: Page, width: int) -> None:
    assert axe_violations(page) == [], page.url
    if width < 500:
        assert page_overflow(page) is None, page.url


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_resident_pays_the_balance_of_two_invoices_in_one_checkout_and_gets_one_receipt(
    page: Page, login: Login, demo_stripe: None, language: str, width: int
) -> None:
    w = WORDS[language]
    today = timezone.localdate()
    prop = PropertyFactory(name="Les Jardins du Parc", payments_enabled=True, accepted_methods=["card"])
    unit = UnitFactory(property=prop, number="101")
    user = UserFactory(email="marie@example.com", language=language)
    marie = ResidentFactory(
        property=prop, name="Marie Tremblay", email="marie@example.com", language=language, user=user
    )
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    older = open_invoice(
        prop,
        number=1,
        amount=Decimal("125.50"),
        unit=unit,
        title="Cotisations mensuelles — Janvier",
        due_date=today + dt.timedelta(days=2),
    )
    newer = open_invoice(
        prop,
        number=2,
        amount=Decimal("50.00"),
        unit=unit,
        title="Cotisation spéciale — Toiture",
        due_date=today + dt.timedelta(days=25),
    )

    page.set_viewport_size({"width": width, "height": 900})
    login(page, "marie@example.com", PASSWORD)
    page.goto("/portal/")
    expect(page.locator("#pay-balances")).to_contain_text(w["total"])
    _clean(page, width)
    page.get_by_role("link", name=w["pay_balance"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(w["heading"])
    for invoice in (older, newer):
        expect(page.get_by_role("checkbox", name=re.compile(re.escape(invoice.title)))).to_be_checked()
    expect(page.locator("#balance-total")).to_have_text(w["total"])
    _clean(page, width)
    page.get_by_role("button", name=w["pay"]).click()

    # The fake's hosted Checkout page (a demo, said plainly): one payment of the total, both invoices named.
    expect(page.get_by_role("note")).to_have_text(w["demo"])
    expect(
        page.get_by_text(re.compile(r"Cotisations mensuelles — Janvier.*Cotisation spéciale"))
    ).to_be_visible()
    page.get_by_role("button", name=re.compile(w["fake_pay"])).click()

    # Back in Logis: the one receipt, listing both invoices and how the payment was applied.
    expect(page.get_by_role("heading", level=1)).to_contain_text(w["receipt"])
    expect(page.get_by_text(w["thanks"])).to_be_visible()
    shares = page.locator("#remittance-shares")
    expect(shares).to_contain_text("Cotisations mensuelles — Janvier")
    expect(shares).to_contain_text("Cotisation spéciale — Toiture")
    expect(page.locator("#imputation")).to_contain_text(w["rule"])
    _clean(page, width)

    remittance = Remittance.objects.get()
    assert (remittance.amount, remittance.method) == (Decimal("175.50"), "card")
    assert sorted(Payment.objects.values_list("invoice_id", flat=True)) == [older.pk, newer.pk]
    assert WebhookEvent.objects.filter(outcome="processed").count() == 1  # the fake's signed webhook

    # Both invoices paid, in the portal too.
    page.get_by_role("link", name=re.compile("Cotisation spéciale — Toiture")).click()
    expect(page.locator("#invoice-status")).to_have_text(w["paid"])
    for invoice in (older, newer):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
