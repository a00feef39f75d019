"""Co-owners in a real browser, in French and English, on a desktop and a phone: a manager opens a
co-owner's page, turns on « Recevoir les factures et reçus par courriel » for the unit, and the unit's
page shows who receives them (the primary resident always)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from logis.core.permissions import Role
from logis.properties.models import Occupancy
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
Login = Callable[[Page, str, str], None]

WORDS = {
    "fr": {
        "column": "Recevoir les factures et reçus par courriel",
        "turn_on": "Activer (Recevoir les factures et reçus par courriel, John Smith, 204)",
        "stop": "Arrêter (Recevoir les factures et reçus par courriel, John Smith, 204)",
        "done": "John Smith reçoit les factures et reçus de l'unité 204 par courriel.",
        "primary": "Oui (résident principal : toujours)",
    },
    "en": {
        "column": "Receive invoices and receipts by email",
        "turn_on": "Turn on (Receive invoices and receipts by email, John Smith, 204)",
        "stop": "Stop (Receive invoices and receipts by email, John Smith, 204)",
        "done": "John Smith receives the invoices and receipts of unit 204 by email.",
        "primary": "Yes (primary resident: always)",
    },
}


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_manager_lets_a_co_owner_receive_the_emails_and_the_unit_page_shows_who_does(
    page: Page, login: Login, language: str, width: int
) -> None:
    words = WORDS[language]
    prop = PropertyFactory(name="Les Jardins du Parc")
    manager = member(prop, Role.MANAGER, email="gestion@example.com")
    manager.language = language
    manager.save()
    unit = UnitFactory(property=prop, number="204")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com")
    john = ResidentFactory(property=prop, name="John Smith", email="john@example.com", language="en")
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    link = OccupancyFactory(unit=unit, resident=john, is_primary=False)

    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
    login(page, "gestion@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/residents/{john.pk}/")
    expect(page.get_by_role("columnheader", name=words["column"])).to_be_visible()
    page.get_by_role("button", name=words["turn_on"]).click()
    expect(page.get_by_text(words["done"])).to_be_visible()
    expect(page.get_by_role("button", name=words["stop"])).to_be_visible()
    assert Occupancy.objects.get(pk=link.pk).receives_emails

    page.goto(f"/p/{prop.pk}/units/{unit.pk}/")
    expect(page.get_by_role("columnheader", name=words["column"])).to_be_visible()
    expect(page.get_by_text(words["primary"])).to_be_visible()
    expect(page.get_by_role("button", name=words["stop"])).to_be_visible()
