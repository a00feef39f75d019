"""Issue 5 in a real browser: a manager bills the monthly dues to all 24 units of a demo-like building by
share — preview, create the drafts, publish them all (emails queued) — and sees the Factures cards update;
then adds recurring dues and skips a month. The key steps again in English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from logis.billing.models import RecurringSchedule, RunStatus, ScheduleRun
from logis.billing.periods import first_of_month_after, month_label
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Property
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member
from tests.smtp import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]


def _jardins(language: str = "fr") -> Property:
    """Like the demo: 24 units 101–112, 201–212, shares summing to 100 %; unit 112 has no resident."""
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    numbers = [f"{floor}{n:02d}" for floor in (1, 2) for n in range(1, 13)]
    shares = [Decimal("4.1667")] * 16 + [Decimal("4.1666")] * 8
    for number, share in zip(numbers, shares, strict=True):
        unit = UnitFactory(property=prop, number=number, share=share)
        if number != "112":
            OccupancyFactory(
                unit=unit, resident=ResidentFactory(property=prop, email=f"{number}@example.com")
            )
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)
    return prop


def _card(page: Page, label: str) -> Locator:
    return page.get_by_role("link", name=re.compile(rf"^\s*{re.escape(label)}\s"))


def _due() -> dt.date:
    return today_in(TZ) + dt.timedelta(days=20)


def test_a_manager_bills_monthly_dues_to_all_units_by_share_in_french(
    page: Page, login: Login, screenshot: Screenshot
) -> None:
    prop = _jardins()
    login(page, "gestionnaire@example.com", PASSWORD)
    page.get_by_role("link", name=re.compile("Les Jardins du Parc")).click()
    page.get_by_role("navigation", name="Propriété").get_by_role("link", name="Factures", exact=True).click()

    page.get_by_role("link", name="Créer des factures en lot").click()
    expect(page.get_by_role("heading", name="Créer des factures en lot", level=1)).to_be_visible()
    expect(page.get_by_label("Toutes les unités", exact=True)).to_be_checked()
    # « Tout décocher / Tout cocher » helpers on the unit checkboxes.
    page.get_by_role("button", name="Tout cocher").click()
    expect(page.locator("#unit-count")).to_have_text("24 / 24")
    page.get_by_role("button", name="Tout décocher").click()
    expect(page.locator("#unit-count")).to_have_text("0 / 24")
    # Checking one unit while « Toutes les unités » is chosen switches to « Seulement les unités cochées ».
    page.get_by_role("checkbox", name=re.compile(r"^105\b")).check()
    expect(page.get_by_label("Seulement les unités cochées")).to_be_checked()
    expect(page.locator("#unit-count")).to_have_text("1 / 24")
    page.get_by_label("Toutes les unités", exact=True).check()

    page.get_by_label("Titre").fill("Cotisations mensuelles — décembre 2026")
    page.get_by_label("Total réparti selon les quotes-parts").check()
    page.get_by_label("Montant par unité, ou total à répartir").fill("10 000,00")
    page.get_by_label("Date d'échéance").fill(_due().isoformat())
    page.get_by_label("Envoyer une notification par courriel au résident").check()
    page.get_by_role("button", name="Aperçu").click()

    preview = page.get_by_role("table", name="Aperçu")
    expect(preview.locator("tbody tr")).to_have_count(24)
    expect(
        page.get_by_text("24 factures brouillons seront créées, pour un total de 10 000,00 $.")
    ).to_be_visible()
    expect(preview.get_by_role("row", name=re.compile(r"^101 "))).to_contain_text("416,67 $")
    expect(preview.get_by_role("row", name=re.compile(r"^112 "))).to_contain_text("Aucun résident principal")
    expect(preview.locator("#preview-total")).to_have_text("10 000,00 $")
    assert Invoice.objects.count() == 0  # the preview creates nothing
    screenshot(page, "lot-apercu.png")

    page.get_by_role("button", name="Créer les brouillons").click()
    expect(
        page.get_by_role("status").filter(has_text="24 factures brouillons ont été créées")
    ).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Brouillon")).to_have_count(24)
    screenshot(page, "lot-brouillons.png")

    page.get_by_role("link", name="Publier tout").click()
    expect(page.get_by_text("23 courriels seront envoyés.")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("1 unité ne peut pas recevoir de courriel")
    page.get_by_role("button", name="Confirmer la publication").click()
    expect(
        page.get_by_role("alert")
        .or_(page.get_by_role("status"))
        .filter(has_text="24 factures ont été publiées")
    ).to_contain_text("23 courriels")
    expect(page.get_by_role("row").filter(has_text="Ouverte")).to_have_count(24)

    page.get_by_role("navigation", name="Propriété").get_by_role("link", name="Factures", exact=True).click()
    expect(_card(page, "Ouvertes")).to_contain_text("10 000,00 $")
    expect(_card(page, "Ouvertes")).to_contain_text("24 factures")
    expect(_card(page, "Total")).to_contain_text("10 000,00 $")
    screenshot(page, "lot-factures-cartes.png")

    invoices = Invoice.objects.filter(property=prop)
    assert sum(i.amount for i in invoices) == Decimal("10000.00")
    assert {i.status for i in invoices} == {InvoiceStatus.OPEN}
    assert sorted(i.number or 0 for i in invoices) == list(range(1, 25))
    # 24 at once: the worker writes the 23 emails (the unit without email gets none), each once.
    run_worker()
    assert EmailMessage.objects.count() == 23
    run_worker()
    assert EmailMessage.objects.count() == 23

    # Frais récurrents: the same dues every month, by share of the annual budget.
    page.get_by_role("link", name="Frais récurrents").click()
    page.get_by_role("link", name="Ajouter des frais récurrents").click()
    expect(page.get_by_label("Titre")).to_have_value("Cotisations mensuelles — {mois}")
    page.get_by_label("Budget annuel réparti selon les quotes-parts").check()
    page.get_by_label("Montant mensuel par unité, ou budget annuel").fill("120 000")
    start = first_of_month_after(today_in(TZ), 1)
    page.get_by_label("Premier mois").fill(start.strftime("%Y-%m"))
    screenshot(page, "frais-recurrents-formulaire.png")
    page.get_by_role("button", name="Enregistrer").click()
    expect(
        page.get_by_role("status").filter(has_text="Les frais récurrents ont été enregistrés.")
    ).to_be_visible()
    first = page.get_by_role("row", name=re.compile(f"Cotisations mensuelles — {month_label(start, 'fr')}"))
    expect(first).to_contain_text("10 000,00 $")
    expect(first).to_contain_text("Prévue")
    screenshot(page, "frais-recurrents.png")
    first.get_by_role("button", name=re.compile("Sauter")).click()
    expect(page.get_by_role("status")).to_contain_text("sera sauté")
    expect(page.get_by_role("row", name=re.compile(f"— {month_label(start, 'fr')}"))).to_contain_text(
        "Sautée"
    )
    schedule = RecurringSchedule.objects.get(property=prop)
    assert ScheduleRun.objects.get(schedule=schedule, period=start).status == RunStatus.SKIPPED

    # « Rétablir »: a skipped month still to come is planned again, after a confirmation.
    page.get_by_role("row", name=re.compile(f"— {month_label(start, 'fr')}")).get_by_role(
        "link", name=re.compile("Rétablir")
    ).click()
    expect(page.get_by_role("heading", name=re.compile("Rétablir un mois sauté"))).to_be_visible()
    page.get_by_role("button", name="Confirmer le rétablissement").click()
    expect(page.get_by_role("status")).to_contain_text("est rétabli")
    expect(page.get_by_role("row", name=re.compile(f"— {month_label(start, 'fr')}"))).to_contain_text(
        "Prévue"
    )
    assert not ScheduleRun.objects.filter(schedule=schedule, period=start).exists()


@pytest.mark.parametrize("browser_locale", ["en-CA"])
def test_key_steps_in_english(page: Page, login: Login) -> None:
    _jardins(language="en")
    login(page, "gestionnaire@example.com", PASSWORD)
    page.get_by_role("link", name=re.compile("Les Jardins du Parc")).click()
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_role("link", name="Create invoices in batch").click()
    page.get_by_label("Title").fill("Monthly dues — December 2026")
    page.get_by_label("Total split by the units' shares").check()
    page.get_by_label("Amount per unit, or total to split").fill("10,000.00")
    page.get_by_label("Due date").fill(_due().isoformat())
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("24 draft invoices will be created, for a total of $10,000.00.")).to_be_visible()
    page.get_by_role("button", name="Create the drafts").click()
    expect(page.get_by_role("status").filter(has_text="24 draft invoices were created")).to_be_visible()
    page.get_by_role("link", name="Publish all").click()
    expect(
        page.get_by_text("No email will be sent: the email notification box is not checked.")
    ).to_be_visible()
    page.get_by_role("button", name="Confirm publishing").click()
    expect(page.get_by_role("status").filter(has_text="24 invoices were published.")).to_be_visible()
    page.get_by_role("navigation", name="Property").get_by_role("link", name="Invoices", exact=True).click()
    expect(_card(page, "Open")).to_contain_text("$10,000.00")


def test_units_without_share_are_named_when_splitting(page: Page, login: Login) -> None:
    prop = _jardins()
    UnitFactory(property=prop, number="PH-1", share=None)
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/billing/batches/new/")
    page.get_by_label("Titre").fill("Cotisation spéciale")
    page.get_by_label("Total réparti selon les quotes-parts").check()
    page.get_by_label("Montant par unité, ou total à répartir").fill("5000")
    page.get_by_label("Date d'échéance").fill(_due().isoformat())
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_text(re.compile("Ces unités n'ont pas de quote-part : PH-1"))).to_be_visible()
    expect(page.get_by_label("Titre")).to_have_value("Cotisation spéciale")
    assert not RecurringSchedule.objects.exists() and not Invoice.objects.exists()
