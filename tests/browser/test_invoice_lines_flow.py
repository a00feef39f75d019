"""Issue 11 in a real browser: « Créer une facture » with « Ajouter une ligne » (no script of ours), in
French and English, on a desktop and on a phone, with axe; and Paramètres > Fonds et catégories."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from tests.browser.helpers import axe_violations, open_dialog, page_overflow
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]

WORDS = {
    "fr": {
        "invoices": "Factures",
        "create": "Créer une facture",
        "unit": "Unité",
        "title": "Titre",
        "amount": "Montant",
        "due": "Date d'échéance",
        "add": "Ajouter une ligne",
        "line": "Ligne 2",
        "description": "Description",
        "category": "Catégorie",
        "created": "La facture a été créée.",
        "total": "285,00",
    },
    "en": {
        "invoices": "Invoices",
        "create": "Create invoice",
        "unit": "Unit",
        "title": "Title",
        "amount": "Amount",
        "due": "Due date",
        "add": "Add a line",
        "line": "Line 2",
        "description": "Description",
        "category": "Category",
        "created": "The invoice was created.",
        "total": "285.00",
    },
}


def _create_two_lines(page: Page, lang: str) -> None:
    w = WORDS[lang]
    sidebar_link = page.get_by_role("link", name=w["invoices"], exact=True)
    if not sidebar_link.first.is_visible():
        page.get_by_role("button", name=re.compile("Menu de la propriété|Property menu")).click()
    sidebar_link.first.click()
    dialog = open_dialog(page, page.get_by_role("button", name=w["create"], exact=True).first.click)
    dialog.get_by_label(w["unit"], exact=True).select_option(label="101")
    dialog.get_by_label(w["title"]).fill("Décembre")
    dialog.get_by_label(w["amount"], exact=True).fill("250")
    dialog.get_by_label(w["due"]).fill((today_in(TZ) + dt.timedelta(days=10)).isoformat())
    dialog.get_by_role("button", name=w["add"]).click()
    row = dialog.get_by_role("group", name=w["line"])
    expect(row).to_be_visible()
    expect(dialog.get_by_label(w["title"])).to_have_value("Décembre")  # what was typed is kept
    assert not axe_violations(page), axe_violations(page)
    row.get_by_label(w["description"]).fill("Puce")
    row.get_by_label(w["category"]).select_option(index=5)  # key fob
    row.get_by_label(w["amount"]).fill("35")
    dialog.get_by_role("button", name=w["create"], exact=True).click()
    expect(page.get_by_text(w["created"])).to_be_visible()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_create_an_invoice_of_two_lines(browser: Browser, live_server: Any, lang: str, size: str) -> None:
    from tests.browser.conftest import sign_in

    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ)
    UnitFactory(property=prop, number="101")
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=lang)
    viewport = {"width": 390, "height": 844} if size == "phone" else {"width": 1280, "height": 900}
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="fr-CA" if lang == "fr" else "en-CA",
        timezone_id=TZ,
        viewport=viewport,
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        sign_in(page, "gestionnaire@example.com", PASSWORD)
        page.goto(f"/p/{prop.pk}/invoices/")
        _create_two_lines(page, lang)
        invoice = Invoice.objects.get()
        assert invoice.amount == Decimal("285.00") and invoice.lines.count() == 2
        page.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")
        expect(page.locator("#invoice-lines-table")).to_contain_text("Puce")
        expect(page.locator("#invoice-lines-table")).to_contain_text(WORDS[lang]["total"])
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)
        page.goto(f"/p/{prop.pk}/settings/finances/")
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)
    finally:
        ctx.close()
