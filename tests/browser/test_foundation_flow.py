"""Issue 2 in a real browser: a manager adds a unit and a resident, makes them the unit's primary
resident (then hands that role to a second resident), and switches the interface to English and back.

Everything is found the way a person finds it: links, labels and buttons by the text they read
(docs/ui-labels.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.properties.models import Occupancy, Property, Resident, Unit
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password


def _property_with_units(*numbers: str) -> Property:
    prop = PropertyFactory(name="Les Jardins du Parc")
    for number in numbers:
        UnitFactory(property=prop, number=number)
    return prop


def _row_headers(page: Page) -> list[str]:
    """The unit numbers of the Unités table, in the order shown."""
    return [t.strip() for t in page.get_by_role("table").locator("tbody th[scope=row]").all_inner_texts()]


def test_manager_adds_unit_and_primary_resident_then_switches_language(
    page: Page, login: Callable[[Page, str, str], None]
) -> None:
    prop = _property_with_units("101", "10", "2")
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language="fr")

    # Sign in, open the property from « Mes propriétés ».
    login(page, "gestionnaire@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Mes propriétés")).to_be_visible()
    page.get_by_role("link", name=re.compile("Les Jardins du Parc")).click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()

    # Unités: add unit PH-2 with a share.
    page.get_by_role("link", name="Unités", exact=True).click()
    expect(page.get_by_role("heading", name="Unités", exact=True)).to_be_visible()
    page.get_by_role("link", name="Ajouter une unité").click()
    page.get_by_label("Numéro d'unité").fill("PH-2")
    page.get_by_label("Quote-part (%)").fill("4,1667")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").filter(has_text="PH-2")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"PH-2"))).to_be_visible()

    # The list sorts unit numbers naturally: 2 < 10 < 101 < PH-2.
    page.get_by_role("link", name="Unités", exact=True).click()
    expect(page.get_by_role("row", name=re.compile(r"PH-2"))).to_be_visible()
    assert _row_headers(page) == ["2", "10", "101", "PH-2"]

    # Résidents: add Marie Tremblay, owner of PH-2 and its primary resident.
    page.get_by_role("link", name="Résidents", exact=True).click()
    page.get_by_role("link", name="Ajouter un résident").click()
    page.get_by_label("Nom", exact=True).fill("Marie Tremblay")
    page.get_by_label("Courriel", exact=True).fill("marie.tremblay@example.com")
    page.get_by_label("Téléphone").fill("514 555-0101")
    page.get_by_label("Langue préférée").select_option(label="Français")
    page.get_by_label("Unité", exact=True).select_option(label="PH-2")
    page.get_by_label("Lien").select_option(label="Propriétaire")
    page.get_by_label("Résident principal").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Marie Tremblay")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Marie Tremblay")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"PH-2"))).to_contain_text("Propriétaire")

    marie = Resident.objects.get(property=prop, name="Marie Tremblay")
    assert marie.email == "marie.tremblay@example.com"
    assert Occupancy.objects.get(unit__property=prop, unit__number="PH-2", is_primary=True).resident == marie

    # A second resident, tenant of PH-2, then made primary on the unit's page: one primary only.
    page.get_by_role("link", name="Résidents", exact=True).click()
    page.get_by_role("link", name="Ajouter un résident").click()
    page.get_by_label("Nom", exact=True).fill("Luc Gagnon")
    page.get_by_label("Courriel", exact=True).fill("luc.gagnon@example.com")
    page.get_by_label("Unité", exact=True).select_option(label="PH-2")
    page.get_by_label("Lien").select_option(label="Locataire")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Luc Gagnon")).to_be_visible()

    page.get_by_role("link", name="Unités", exact=True).click()
    page.get_by_role("link", name="PH-2", exact=True).click()
    page.get_by_label("Résident principal").select_option(label="Luc Gagnon")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").filter(has_text="PH-2")).to_be_visible()
    unit = Unit.objects.get(property=prop, number="PH-2")
    primaries = list(
        Occupancy.objects.filter(unit=unit, is_primary=True).values_list("resident__name", flat=True)
    )
    assert primaries == ["Luc Gagnon"]

    page.get_by_role("link", name="Unités", exact=True).click()
    expect(page.get_by_role("row", name=re.compile(r"PH-2"))).to_contain_text("Luc Gagnon")

    # English, then back to French: the labels follow, and the choice is kept on the profile.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Units", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for name in ("Dashboard", "Invoices", "Units", "Residents", "Payments", "Reports", "Settings"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Add a unit")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Unit number")).to_be_visible()
    assert User.objects.get(email="gestionnaire@example.com").language == "en"

    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Unités", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    for name in ("Tableau de bord", "Factures", "Unités", "Résidents", "Paiements", "Rapports", "Paramètres"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Numéro d'unité")).to_be_visible()
