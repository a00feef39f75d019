"""A card payment that landed beyond the balance due (a cheque was recorded while the resident's demo
Checkout page was being paid), in a real browser, in French and English: the invoice page says what needs
doing, « Rembourser l’excédent sur la carte » opens the refund dialog already filled in, the manager
confirms, and the excess goes back to the card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from logis.core.permissions import Role
from logis.payments import fake_stripe, fake_stripe_store, online, services, stripe_gateway
from logis.payments.credits import credit_balance
from logis.payments.models import Payment, PaymentKind
from logis.properties.models import Unit
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
Login = Callable[[Page, str, str], None]
NBSP = "\u00a0"

WORDS = {
    "fr": {
        "needs": "À faire",
        "button": f"Rembourser l’excédent sur la carte (30,00{NBSP}$)",
        "amount": "Montant remboursé",
        "value": "30,00",
        "submit": "Rembourser",
    },
    "en": {
        "needs": "Needs doing",
        "button": "Refund the excess to the card ($30.00)",
        "amount": "Amount refunded",
        "value": "30.00",
        "submit": "Refund",
    },
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_manager_refunds_the_excess_of_a_double_payment_from_the_invoice_page(
    page: Page, login: Login, live_server: Any, settings: Any, language: str
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_DEMO = True
    settings.STRIPE_API_BASE = f"{live_server.url}/demo-stripe"
    settings.SITE_URL = live_server.url
    words = WORDS[language]
    prop = PropertyFactory(
        name="Les Jardins du Parc", payments_enabled=True, accepted_methods=["card", "cheque"]
    )
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com")
    manager.language = language
    manager.save()
    unit = Unit.objects.get(pk=UnitFactory(property=prop, number="101").pk)
    user = UserFactory(email="marie@example.com")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", user=user)
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    invoice = make_open_invoice(prop, number=1, amount=Decimal("100.00"), unit=unit, title="Frais de condo")

    # The resident pays on the demo page while the manager records a 30 $ cheque: the page was paid
    # before its expiry could take effect, and the webhook arrives last.
    url = online.start_checkout(
        invoice_id=invoice.pk, user=user, success_url=f"{live_server.url}/portal/", cancel_url=live_server.url
    )
    demo = fake_stripe.FakeStripe(
        webhook_secret=stripe_gateway.DEMO_WEBHOOK_SECRET, store=fake_stripe_store.DatabaseStore()
    )
    event = demo.complete_session(url.rsplit("/", 1)[1])
    services.record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("30.00"),
        paid_on=dt.date.today() - dt.timedelta(days=1),
        method="cheque",
    )
    assert demo.deliver(event, url=f"{live_server.url}/stripe/webhook/").status == 200
    assert credit_balance(unit=unit) == Decimal("30.00")

    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")
    expect(page.get_by_role("alert").filter(has_text=words["needs"])).to_be_visible()
    dialog = open_dialog(page, page.get_by_role("button", name=words["button"]).click)
    expect(dialog.get_by_label(words["amount"])).to_have_value(words["value"])
    dialog.get_by_role("button", name=words["submit"], exact=True).click()
    expect(page.get_by_role("button", name=words["button"])).to_have_count(0)
    assert credit_balance(unit=unit) == 0
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert refund.amount == Decimal("30.00")
