"""Issue 4 (resident side) in a real browser: a manager invites a resident from the Résidents page; the
email (received by a real SMTP server) holds a single-use link; the resident chooses a password, lands in
the portal, sees the published invoice but never the draft, opens it, pays it on the local fake's Checkout
page (demo mode), comes back to a « Payée » invoice and the receipt arrives at the SMTP server. A new
invoice shows the Pay button while the property accepts online payments and not once they are disabled;
then she switches to English. On a phone-sized
screen: the portal is mobile-first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property, Resident
from tests.factories import (
    InvoiceFactory,
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    add_unit_credit,
    member,
)
from tests.smtp import SMTPServer, body_text
from tests.smtp import run_worker as _run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
NEW_PASSWORD = "Toit-refait-2031"
TZ = "America/Toronto"
NBSP = "\u00a0"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]


def _building() -> tuple[Property, Resident]:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    unit = UnitFactory(property=prop, number="101")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    member(prop, Role.MANAGER, email="gestionnaire@example.com")
    due = today_in(TZ) + dt.timedelta(days=20)
    InvoiceFactory(
        property=prop,
        unit=unit,
        number=1,
        title="Cotisation de janvier",
        amount=Decimal("1234.56"),
        due_date=due,
        description="Charges communes du mois.",
        status=InvoiceStatus.OPEN,
    )
    InvoiceFactory(property=prop, unit=unit, title="Brouillon secret", amount=Decimal("99.00"), due_date=due)
    return prop, marie


def test_invitation_then_portal_in_french_and_english(
    browser: Browser,
    page: Page,
    live_server,  # type: ignore[no-untyped-def]
    login: Login,
    screenshot: Screenshot,
    smtp_server: SMTPServer,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    # Online payment in demo mode, through the fake of Stripe that Logis serves (here, the live server).
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_DEMO = "", "", True
    settings.STRIPE_API_BASE = f"{live_server.url}/demo-stripe"
    settings.SITE_URL = live_server.url
    prop, marie = _building()
    janvier = Invoice.objects.get(title="Cotisation de janvier")
    add_unit_credit(unit=janvier.unit, amount=Decimal("25.00"), reason="Payé en trop en décembre")

    # The manager invites Marie from the Résidents page.
    login(page, "gestionnaire@example.com", PASSWORD)
    page.get_by_role("link", name=re.compile("Les Jardins du Parc")).click()
    page.get_by_role("navigation", name="Propriété").get_by_role("link", name="Résidents", exact=True).click()
    row = page.get_by_role("row", name=re.compile("Marie Tremblay"))
    row.get_by_role("button", name="Inviter Marie Tremblay").click()
    expect(
        page.get_by_text("Une invitation au portail résident a été envoyée à marie@example.com.")
    ).to_be_visible()
    expect(
        page.get_by_role("row", name=re.compile("Marie Tremblay")).get_by_text("Invité", exact=True)
    ).to_be_visible()
    screenshot(page, "residents-invitation-envoyee.png")

    # The email arrives at the mail server with the link.
    _run_worker()
    [email] = smtp_server.wait_for_messages(1)
    assert email["To"] == "marie@example.com"
    assert email["Subject"] == "Votre portail résident — Les Jardins du Parc"
    match = re.search(r"https?://\S+/accounts/invitation/[\w-]+/", body_text(email))
    assert match
    path = re.sub(r"^https?://[^/]+", "", match.group(0))

    # Marie, on her phone, opens the link: she chooses her password and lands in her portal.
    phone = browser.new_context(
        base_url=live_server.url,
        locale="fr-CA",
        timezone_id=TZ,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    try:
        resident = phone.new_page()
        resident.goto(path)
        expect(resident.get_by_role("heading", name="Bienvenue, Marie Tremblay")).to_be_visible()
        resident.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
        resident.get_by_label("Mot de passe (confirmation)").fill(NEW_PASSWORD)
        screenshot(resident, "portail-invitation-mot-de-passe.png")
        resident.get_by_role("button", name="Enregistrer mon mot de passe").click()

        expect(resident).to_have_url(re.compile(r"/portal/$"))
        expect(resident.get_by_role("heading", name="Mes factures")).to_be_visible()
        expect(resident.get_by_text("Bienvenue ! Votre mot de passe est enregistré")).to_be_visible()
        expect(resident.locator("#balance-due")).to_have_text(f"1{NBSP}234,56{NBSP}$")
        expect(resident.get_by_role("link", name=re.compile("Cotisation de janvier"))).to_be_visible()
        expect(resident.get_by_text("Brouillon secret")).to_have_count(0)
        expect(resident.get_by_text(f"Crédit à votre compte : 25,00{NBSP}$")).to_be_visible()
        applies = re.compile("Votre gestionnaire l.applique à l.une de vos factures")
        expect(resident.get_by_text(applies)).to_be_visible()
        # Mobile-first: nothing wider than the screen.
        width = resident.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width
        screenshot(resident, "portail-accueil-mobile.png")

        # The detail, with the Pay button while the property accepts online payments.
        resident.get_by_role("link", name=re.compile("Cotisation de janvier")).click()
        expect(resident.get_by_role("heading", name="Cotisation de janvier")).to_be_visible()
        expect(resident.get_by_text("Charges communes du mois.")).to_be_visible()
        expect(resident.get_by_role("button", name="Payer en ligne")).to_be_visible()
        screenshot(resident, "portail-facture-payer.png")

        # She pays it on the (fake) Stripe Checkout page, said plainly to be a demo…
        resident.get_by_role("button", name="Payer en ligne").click()
        expect(resident.get_by_role("note")).to_have_text("Mode démonstration — aucun paiement réel")
        expect(resident.get_by_text("Cotisation de janvier")).to_be_visible()
        resident.get_by_role("button", name=re.compile(r"^Payer")).click()
        # …comes back to her invoice, paid…
        expect(resident.get_by_role("heading", name="Cotisation de janvier")).to_be_visible()
        expect(resident.get_by_text("Paiement reçu. Merci !")).to_be_visible()
        expect(resident.locator("#invoice-status")).to_have_text("Payée")
        expect(resident.get_by_role("button", name=re.compile("^Payer"))).to_have_count(0)
        expect(resident.get_by_role("link", name=re.compile("^Reçu"))).to_be_visible()
        screenshot(resident, "portail-facture-payee.png")
        # …and the receipt arrives at the mail server.
        _run_worker()
        receipt = smtp_server.wait_for_messages(2)[1]
        assert smtp_server.received[1].rcpt_tos == ["marie@example.com"]
        assert "Cotisation de janvier" in receipt["Subject"]
        assert f"1{NBSP}234,56" in body_text(receipt)

        # A new invoice, published after that one: to pay.
        InvoiceFactory(
            property=prop,
            unit=janvier.unit,
            number=3,
            title="Cotisation de février",
            amount=Decimal("1234.56"),
            due_date=janvier.due_date + dt.timedelta(days=28),
            status=InvoiceStatus.OPEN,
        )
        resident.get_by_role("link", name="Mes factures").click()
        expect(resident.locator("#balance-due")).to_have_text(f"1{NBSP}234,56{NBSP}$")
        resident.get_by_role("link", name=re.compile("Cotisation de février")).click()
        expect(resident.get_by_role("button", name="Payer en ligne")).to_be_visible()

        # Payments disabled in Paramètres > Paiements: no Pay button any more.
        Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
        resident.reload()
        expect(resident.get_by_role("button", name=re.compile("^Payer"))).to_have_count(0)
        expect(resident.get_by_text(re.compile("Le paiement en ligne n.est pas offert"))).to_be_visible()

        # The link was single-use.
        resident.goto(path)
        expect(resident.get_by_role("heading", name="Cette invitation a déjà été utilisée")).to_be_visible()

        # English, by her choice; kept on her profile.
        resident.goto("/portal/")
        resident.get_by_role("button", name="English").click()
        expect(resident.get_by_role("heading", name="My invoices")).to_be_visible()
        expect(resident.get_by_text("Balance due")).to_be_visible()
        expect(resident.locator("#balance-due")).to_have_text("$1,234.56")
        expect(resident.get_by_text("Credit on your account: $25.00")).to_be_visible()
        expect(resident.get_by_role("link", name=re.compile("Cotisation de janvier"))).to_contain_text("Paid")
        link = resident.get_by_role("link", name=re.compile("Cotisation de février"))
        expect(link).to_contain_text("Open")
        link.click()
        expect(
            resident.get_by_text(re.compile("Online payment is not available for this property"))
        ).to_be_visible()
        Property.objects.filter(pk=prop.pk).update(payments_enabled=True)
        resident.reload()
        expect(resident.get_by_role("button", name="Pay online")).to_be_visible()
        screenshot(resident, "portal-invoice-english.png")
        marie.refresh_from_db()
        assert marie.user is not None and marie.user.language == "en"
    finally:
        phone.close()
