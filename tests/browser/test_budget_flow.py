"""Issue 11 (budget → contributions) in a real browser, in French and English, on a desktop and a 390 px
phone: the treasurer enters the year's budget per fund, reviews each unit's contributions (totals row equal
to the budget, the 5 % contingency warning), fixes the contingency fund, confirms « Créer les charges »,
and the recurring dues exist; then previews and creates a special assessment in instalments. axe-core on
every page of the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from logis.billing.models import RecurringSchedule
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.finances.models import Budget, BudgetStatus, SpecialAssessment
from logis.invoicing.models import Invoice
from logis.properties.models import Property
from tests.browser.helpers import axe_violations, page_overflow
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]

WORDS = {
    "fr": {
        "invoices": "Factures",
        "budgets": "Budgets",
        "new": "Nouveau budget",
        "year": "Exercice financier",
        "operating": "Fonds d'exploitation",
        "contingency": "Fonds de prévoyance",
        "save": "Enregistrer le brouillon",
        "save_amounts": "Enregistrer les montants",
        "table": "Cotisations par unité",
        "create": "Créer les charges",
        "confirm": "Confirmer la création des charges",
        "created": "Les charges sont créées",
        "total": "120 000,00 $",
        "first_unit": "30 000,00 $",
        "assessments": "Cotisations spéciales",
        "new_assessment": "Nouvelle cotisation spéciale",
        "description": "Description",
        "assessment_total": "Total de la cotisation",
        "count": "Nombre de versements",
        "first_due": "Première échéance",
        "preview": "Aperçu",
        "create_invoices": "Créer les 12 factures",
        "drafts_created": "12 factures brouillons ont été créées",
    },
    "en": {
        "invoices": "Invoices",
        "budgets": "Budgets",
        "new": "New budget",
        "year": "Fiscal year",
        "operating": "Operating fund",
        "contingency": "Contingency fund",
        "save": "Save the draft",
        "save_amounts": "Save the amounts",
        "table": "Contributions by unit",
        "create": "Create the dues",
        "confirm": "Confirm creating the dues",
        "created": "The dues are created",
        "total": "$120,000.00",
        "first_unit": "$30,000.00",
        "assessments": "Special assessments",
        "new_assessment": "New special assessment",
        "description": "Description",
        "assessment_total": "Total of the assessment",
        "count": "Number of instalments",
        "first_due": "First due date",
        "preview": "Preview",
        "create_invoices": "Create the 12 invoices",
        "drafts_created": "12 draft invoices were created",
    },
}


def _building(language: str) -> Property:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    for number, share in (("101", "25"), ("102", "25"), ("103", "30"), ("112", "20")):
        UnitFactory(property=prop, number=number, share=Decimal(share))
    member(prop, Role.TREASURER, email="tresorier@example.com", language=language)
    return prop


def _clean(page: Page) -> None:
    assert axe_violations(page) == []
    assert page_overflow(page) is None


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_treasurer_enters_a_budget_reviews_contributions_and_creates_the_dues(
    page: Page, login: Login, screenshot: Screenshot, language: str, width: int
) -> None:
    w = WORDS[language]
    prop = _building(language)
    next_year = today_in(TZ).year + 1
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "tresorier@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/")
    page.get_by_role("link", name=w["budgets"], exact=True).click()
    expect(page.get_by_role("heading", name=w["budgets"], level=1)).to_be_visible()
    _clean(page)
    page.get_by_role("link", name=w["new"]).click()
    page.get_by_label(w["year"]).select_option(str(next_year))
    page.get_by_label(w["operating"]).fill("100000" if language == "en" else "100 000")
    page.get_by_label(w["contingency"]).fill("4000")
    _clean(page)
    page.get_by_role("button", name=w["save"]).click()

    # The table, before anything is created: totals row = the budget, and the 5 % warning.
    table = page.locator("#contributions")
    expect(page.get_by_role("heading", name=w["table"])).to_be_visible()
    expect(page.locator("#contingency-warning")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="103")).to_contain_text(
        "30 000,00 $" if language == "fr" else "$30,000.00"
    )
    _clean(page)
    screenshot(page, f"budget-cotisations-{language}-{width}.png")
    assert not RecurringSchedule.objects.exists()

    # 5 % of 100 000 $ is 5 000 $: raising the contingency fund clears the warning.
    page.get_by_label(w["contingency"]).fill("20000")
    page.get_by_role("button", name=w["save_amounts"]).click()
    expect(page.locator("#contingency-warning")).to_have_count(0)
    expect(page.locator("#contributions-total")).to_have_text(w["total"])

    page.get_by_role("button", name=w["create"]).click()
    expect(page.get_by_role("button", name=w["confirm"])).to_be_visible()
    _clean(page)
    assert not RecurringSchedule.objects.exists()  # nothing before the confirmation
    page.get_by_role("button", name=w["confirm"]).click()
    expect(page.get_by_role("status").filter(has_text=w["created"])).to_be_visible()
    budget = Budget.objects.get(property=prop)
    assert budget.status == BudgetStatus.ADOPTED
    assert budget.schedule is not None and budget.schedule.amount == Decimal("120000.00")
    _clean(page)

    # A special assessment in three instalments, previewed, then created as drafts.
    page.goto(f"/p/{prop.pk}/budget/")
    page.get_by_role("link", name=w["assessments"]).first.click()
    page.get_by_role("link", name=w["new_assessment"]).click()
    page.get_by_label(w["description"]).fill("Toiture")
    page.get_by_label(w["assessment_total"]).fill("9000")
    page.get_by_label(w["count"]).fill("3")
    page.get_by_label(w["first_due"]).fill(today_in(TZ).replace(day=1).replace(year=next_year).isoformat())
    page.get_by_role("button", name=w["preview"]).click()
    expect(page.locator("#instalments")).to_be_visible()
    expect(page.locator("#preview-total")).to_contain_text("9")
    _clean(page)
    assert not Invoice.objects.filter(property=prop).exists()
    page.get_by_role("button", name=w["create_invoices"]).click()
    expect(page.get_by_role("status").filter(has_text=re.compile(w["drafts_created"]))).to_be_visible()
    assert SpecialAssessment.objects.filter(property=prop).count() == 1
    assert Invoice.objects.filter(property=prop).count() == 12
    _clean(page)
