"""What a newcomer does right after ``make run``: sign in with a demo account and try the seed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.helpers import open_dialog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_manager_sees_the_no_primary_resident_warning_for_unit_112(
    page: Page, login: Callable[[Page, str, str], None]
) -> None:
    call_command("load_demo", verbosity=0)
    login(page, "gestionnaire@example.com", "demo1234")

    expect(page.get_by_role("link", name=re.compile("Les Jardins du Parc"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Tour Horizon"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Résidence Belvédère"))).to_have_count(0)

    page.get_by_role("link", name=re.compile("Les Jardins du Parc")).click()
    page.get_by_role("navigation", name="Propriété").get_by_role("link", name="Factures", exact=True).click()
    dialog = open_dialog(page, page.get_by_role("button", name="Créer une facture", exact=True).click)
    unit = dialog.get_by_label("Unité", exact=True)
    expect(unit).to_be_visible()
    numbers = [o.strip() for o in unit.locator("option").all_inner_texts() if o.strip() not in ("", "—")]
    assert numbers == [str(n) for n in [*range(101, 113), *range(201, 213)]]

    unit.select_option(label="112")
    expect(dialog.get_by_role("alert")).to_contain_text("pas de résident principal")
    unit.select_option(label="101")
    expect(dialog.get_by_role("alert")).to_have_count(0)
