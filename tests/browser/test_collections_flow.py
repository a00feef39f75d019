"""Reminders in a real browser: an administrator sets the reminder policy (Paramètres > Rappels et frais
de retard) in French; a manager sends a reminder by hand from an invoice and sees it delivered; the
same settings page in English refuses a bad value beside its field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from logis.collections.models import LateFeePolicy, ReminderPolicy, ReminderSent
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.browser.helpers import open_dialog
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    member,
    open_invoice,
)
from tests.smtp import SMTPServer
from tests.smtp import run_worker as _run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]


def _building() -> Property:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    unit = UnitFactory(property=prop, number="101")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    member(prop, Role.ADMIN, email="admin@example.com", language="fr")
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language="fr")
    return prop


def test_an_administrator_sets_the_reminder_policy_in_french(
    page: Page, login: Login, screenshot: Screenshot
) -> None:
    prop = _building()
    login(page, "admin@example.com", PASSWORD)
    page.get_by_role("link", name=re.compile("Les Jardins du Parc")).click()
    page.get_by_role("navigation", name="Propriété").get_by_role("link", name="Paramètres").click()
    page.get_by_role("link", name=re.compile("Rappels et frais de retard")).click()
    expect(page.get_by_role("heading", name="Rappels et frais de retard", level=1)).to_be_visible()

    page.get_by_label("Envoyer des rappels automatiques").check()
    page.get_by_label("Jours avant l'échéance").fill("7, 3")
    page.get_by_label("Jours après l'échéance").fill("1, 10")
    page.get_by_label("Appliquer des frais de retard").check()
    page.get_by_label("Taux d'intérêt annuel, facturé chaque mois").check()
    page.get_by_label("Taux d'intérêt annuel (%)").fill("7,5")
    page.get_by_label("Délai de grâce (jours)").fill("15")
    page.get_by_role("button", name="Enregistrer").click()

    expect(
        page.get_by_text("Les paramètres de rappels et de frais de retard ont été enregistrés.")
    ).to_be_visible()
    expect(page.get_by_label("Jours avant l'échéance")).to_have_value("7, 3")
    expect(page.get_by_label("Taux d'intérêt annuel (%)")).to_have_value("7,5")
    screenshot(page, "rappels-parametres.png")
    policy = ReminderPolicy.objects.get(property=prop)
    assert (policy.enabled, policy.days_before, policy.days_after) == (True, [3, 7], [1, 10])
    fees = LateFeePolicy.objects.get(property=prop)
    assert (fees.enabled, fees.mode, fees.yearly_rate, fees.grace_days) == (
        True,
        "interest",
        Decimal("7.50"),
        15,
    )


def test_a_manager_sends_a_reminder_by_hand_and_sees_its_delivery_state(
    page: Page, login: Login, smtp_server: SMTPServer, screenshot: Screenshot
) -> None:
    prop = _building()
    unit = prop.units.get(number="101")
    invoice = open_invoice(
        prop, number=1, unit=unit, title="Cotisation de mars", due_date=today_in(TZ) + dt.timedelta(days=10)
    )
    prop.next_invoice_number = 2
    prop.save()
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")

    reminders = page.locator("#invoice-reminders")
    expect(reminders).to_contain_text("Aucun rappel n'a été envoyé pour cette facture.")
    dialog = open_dialog(page, reminders.get_by_role("button", name="Envoyer un rappel").click)
    expect(dialog).to_contain_text("Le rappel sera envoyé par courriel à marie@example.com")
    dialog.get_by_role("button", name="Envoyer le rappel").click()

    expect(page.get_by_text("Rappel mis en file d'envoi à marie@example.com.")).to_be_visible()
    expect(reminders).to_contain_text("Envoyé manuellement par")
    expect(reminders).to_contain_text("En file d'attente")

    _run_worker()
    [message] = smtp_server.wait_for_messages(1)
    assert message["Subject"] == "Rappel de paiement — Cotisation de mars"
    page.reload()
    expect(page.locator("#invoice-reminders")).to_contain_text("Envoyé le")
    screenshot(page, "rappel-envoye.png")
    assert ReminderSent.objects.filter(invoice=invoice).count() == 1


@pytest.fixture
def browser_locale() -> str:
    return "en-CA"


def test_the_settings_page_in_english_explains_a_bad_value_beside_its_field(page: Page, login: Login) -> None:
    prop = _building()
    member(prop, Role.ADMIN, email="admin-en@example.com", language="en")
    login(page, "admin-en@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/collections/settings/")
    expect(page.get_by_role("heading", name="Reminders and late fees", level=1)).to_be_visible()
    page.get_by_label("Send automatic reminders").check()
    field = page.get_by_label("Days after the due date")
    field.fill("5, 90")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("Enter whole numbers of days between 1 and 60, separated by commas.")
    ).to_be_visible()
    expect(page.get_by_label("Days after the due date")).to_have_value("5, 90")
    expect(page.get_by_label("Days after the due date")).to_have_attribute("aria-invalid", "true")
    assert not ReminderPolicy.objects.exists()
