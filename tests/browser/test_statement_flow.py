"""The unit's account statement in a real browser, in French and in English: a manager opens a unit from
Unités, then its « Relevé de compte »; reads the opening and closing balances and the credit a voided
invoice's payment left; changes the period (and is told beside the field when the end comes before the
start); the print layout hides the sidebar and the buttons. Then the unit's resident opens the same
statement from the portal home."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.invoicing.models import Invoice
from logis.payments.models import UnitCredit
from logis.payments.services import record_payment
from logis.properties.models import Property
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    member,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"
NBSP = "\u00a0"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]

WORDS = {
    "fr": {
        "units": "Unités",
        "statement": "Relevé de compte",
        "from": "Du",
        "to": "Au",
        "show": "Afficher",
        "print": "Imprimer",
        "sidebar": "Propriété",
        "opening": "Solde d'ouverture",
        "credit": f"Crédit au compte : 60,00{NBSP}$",
        "closing": f"-60,00{NBSP}$",
        "left": f"le montant de 100,00{NBSP}$ reçu reste au crédit du compte",
        "opening_later": f"-100,00{NBSP}$",
        "error": "La date de fin ne peut pas précéder la date de début.",
        "sign_out": "Se déconnecter",
        "parking": "Frais de stationnement",
        "see": "Voir le relevé de compte",
    },
    "en": {
        "units": "Units",
        "statement": "Account statement",
        "from": "From",
        "to": "To",
        "show": "Show",
        "print": "Print",
        "sidebar": "Property",
        "opening": "Opening balance",
        "credit": "Account credit: $60.00",
        "closing": "-$60.00",
        "left": "the $100.00 it had received stays as credit on the account",
        "opening_later": "-$100.00",
        "error": "The end date cannot be before the start date.",
        "sign_out": "Sign out",
        "parking": "Frais de stationnement",
        "see": "See the account statement",
    },
}


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(TZ))


def _building(language: str) -> tuple[Property, dt.date]:
    """Unit 101: a 300 $ invoice paid 100 $ then voided 50 days ago (100 $ of credit), and a 40 $
    invoice published 10 days ago. The manager and the resident read ``language``."""
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)
    unit = UnitFactory(property=prop, number="101")
    user = UserFactory(email="marie@example.com", language=language)
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", user=user)
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    today = today_in(TZ)
    due = today + dt.timedelta(days=20)

    def publish(amount: str, title: str, days_ago: int) -> Invoice:
        draft = invoicing.create_invoice(
            actor=manager, property=prop, unit_id=unit.pk, title=title, amount=Decimal(amount), due_date=due
        )
        when = _at(today - dt.timedelta(days=days_ago))
        return invoicing.publish_invoice(actor=manager, invoice_id=draft.pk, now=when).invoice

    voided = publish("300.00", "Cotisation spéciale", 60)
    record_payment(
        property=prop,
        invoice_id=voided.pk,
        actor=manager,
        amount=Decimal("100.00"),
        paid_on=today - dt.timedelta(days=55),
        method="cheque",
        reference="1234",
    )
    invoicing.void_invoice(actor=manager, invoice_id=voided.pk, reason="Montant erroné", property=prop)
    void_day = _at(today - dt.timedelta(days=50))
    Invoice.objects.filter(pk=voided.pk).update(voided_at=void_day)
    UnitCredit.objects.filter(invoice=voided).update(created_at=void_day)
    publish("40.00", "Frais de stationnement", 10)
    return prop, today


@pytest.mark.parametrize("language", ["fr", "en"])
def test_manager_then_resident_read_the_unit_statement(
    page: Page, login: Login, screenshot: Screenshot, language: str
) -> None:
    w = WORDS[language]
    prop, today = _building(language)

    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/")
    page.get_by_role("navigation", name=w["sidebar"]).get_by_role("link", name=w["units"], exact=True).click()
    page.get_by_role("link", name="101", exact=True).click()
    page.get_by_role("link", name=w["statement"], exact=True).click()

    expect(page.get_by_role("heading", name=w["statement"], level=1)).to_be_visible()
    header = page.locator("#statement-header")
    expect(header).to_contain_text("Les Jardins du Parc")
    expect(header).to_contain_text("Marie Tremblay")
    expect(page.locator("#opening-balance")).to_have_text(re.compile(r"0[,.]00"))
    expect(page.locator("#closing-balance")).to_have_text(w["closing"])
    expect(page.locator("#closing-words")).to_have_text(w["credit"])
    lines = page.get_by_role("table")
    expect(lines.get_by_role("row").filter(has_text=w["left"])).to_have_count(1)
    expect(lines.get_by_role("link", name=re.compile(w["parking"]))).to_be_visible()
    screenshot(page, f"releve-gestionnaire-{language}.png")

    # The last 30 days: the voided invoice and its payment are in the opening balance.
    page.get_by_label(w["from"], exact=True).fill((today - dt.timedelta(days=30)).isoformat())
    page.get_by_label(w["to"], exact=True).fill(today.isoformat())
    page.get_by_role("button", name=w["show"]).click()
    expect(page.locator("#opening-balance")).to_have_text(w["opening_later"])
    expect(page.locator("#closing-balance")).to_have_text(w["closing"])
    expect(lines.get_by_role("row").filter(has_text=w["left"])).to_have_count(0)
    expect(lines.get_by_role("link", name=re.compile(w["parking"]))).to_be_visible()

    # An end before the start: said beside the field, both dates kept.
    start = (today - dt.timedelta(days=5)).isoformat()
    page.get_by_label(w["from"], exact=True).fill(start)
    page.get_by_label(w["to"], exact=True).fill((today - dt.timedelta(days=6)).isoformat())
    page.get_by_role("button", name=w["show"]).click()
    expect(page.get_by_text(w["error"])).to_be_visible()
    expect(page.get_by_label(w["from"], exact=True)).to_have_value(start)
    expect(page.get_by_label(w["to"], exact=True)).to_have_attribute("aria-invalid", "true")

    # Printed: the statement alone.
    page.go_back()
    expect(page.get_by_role("button", name=w["print"])).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name=w["sidebar"])).to_be_hidden()
    expect(page.get_by_role("button", name=w["print"])).to_be_hidden()
    expect(page.get_by_role("heading", name=w["statement"], level=1)).to_be_visible()
    screenshot(page, f"releve-impression-{language}.png")
    page.emulate_media(media="screen")

    page.get_by_role("button", name=w["sign_out"]).click()
    login(page, "marie@example.com", PASSWORD)
    page.goto("/portal/")
    page.get_by_role("link", name=w["see"], exact=True).click()
    expect(page.get_by_role("heading", name=w["statement"], level=1)).to_be_visible()
    expect(page.locator("#closing-balance")).to_have_text(w["closing"])
    expect(page.locator("#closing-words")).to_have_text(w["credit"])
    link = page.get_by_role("table").get_by_role("link", name=re.compile(w["parking"]))
    link.click()
    expect(page).to_have_url(re.compile(r"/portal/invoices/\d+/$"))
    screenshot(page, f"releve-portail-{language}.png")
