"""Issue 3 in a real browser: the seed « Créer et envoyer des factures », step by step.

1. Factures in the left sidebar: cards Total / Ouvertes / En retard / Payées, empty state;
2. « Créer une facture » (top right) opens the dialog; 3. « Unité » lists units by number and warns
when the unit has no primary resident; 4. « Titre »; 5. « Montant »; 6. « Date d'échéance » (past
dates disabled in the picker); 7. « Description »; 8. « Envoyer une notification par courriel au
résident », unchecked by default; 9. « Créer une facture »: success message, Brouillon in the list.

Then the same in English, then publish with the email arriving at a real SMTP server, and void.
Labels are the seed's words and docs/ui-labels.md, found as a person reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Unit
from tests.browser.helpers import open_dialog
from tests.factories import (
    InvoiceFactory,
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    member,
)
from tests.smtp import SMTPServer
from tests.smtp import run_worker as _run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]


def _building(*, language: str = "fr") -> Property:
    """Les Jardins du Parc: units 2, 10, 101 (Marie Tremblay, primary, with email) and 112 (nobody)."""
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    units = {n: UnitFactory(property=prop, number=n) for n in ("101", "112", "10", "2")}
    for number in ("2", "10"):
        OccupancyFactory(unit=units[number], resident=ResidentFactory(property=prop))
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=units["101"], resident=marie, is_primary=True)
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)
    return prop


def _card(page: Page, label: str) -> Locator:
    """A summary card: a link whose text starts with its label (then amount and count)."""
    return page.get_by_role("link", name=re.compile(rf"^\s*{re.escape(label)}\s"))


def _open_property(page: Page, name: str = "Les Jardins du Parc") -> None:
    page.get_by_role("link", name=re.compile(re.escape(name))).click()


def _duplicate_ids(page: Page) -> list[str]:
    ids: list[str] = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)")
    return sorted({i for i in ids if ids.count(i) > 1})


def _due_date() -> dt.date:
    return today_in(TZ) + dt.timedelta(days=30)


def test_seed_steps_in_french_create_a_draft_invoice(
    page: Page, login: Login, screenshot: Screenshot
) -> None:
    prop = _building()
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)

    # 1. « cliquez sur Factures dans la barre latérale gauche »
    sidebar = page.get_by_role("navigation", name="Propriété")
    sidebar.get_by_role("link", name="Factures", exact=True).click()
    heading = page.get_by_role("heading", name="Factures", level=1)
    expect(heading).to_be_visible()
    sidebar_box, heading_box = sidebar.bounding_box(), heading.bounding_box()
    assert sidebar_box and heading_box and sidebar_box["x"] + sidebar_box["width"] <= heading_box["x"]
    for label in ("Total", "Ouvertes", "En retard", "Payées"):
        expect(_card(page, label)).to_be_visible()
        expect(_card(page, label)).to_contain_text("0,00 $")
    # « un état vide avec une invitation à créer votre première facture »
    expect(page.get_by_role("heading", name="Aucune facture pour l'instant")).to_be_visible()
    expect(page.get_by_role("link", name="Créer votre première facture")).to_be_visible()
    screenshot(page, "factures-vide.png")

    # 2. « Cliquez sur le bouton Créer une facture dans le coin supérieur droit »
    create = page.get_by_role("button", name="Créer une facture", exact=True)
    button_box = create.bounding_box()
    assert button_box and button_box["x"] > heading_box["x"] + heading_box["width"]
    assert button_box["y"] < heading_box["y"] + heading_box["height"]  # on the heading's line, at the top
    dialog = open_dialog(page, create.click)
    expect(dialog.get_by_role("heading", name="Créer une facture")).to_be_visible()

    # 3. « Unité »: every unit, listed by unit number (natural order); warning for a unit without
    # primary resident, as soon as it is chosen.
    unit = dialog.get_by_label("Unité", exact=True)
    options = [o.strip() for o in unit.locator("option").all_inner_texts()]
    assert [o for o in options if o not in ("", "—")] == ["2", "10", "101", "112"]
    unit.select_option(label="112")
    warning = dialog.get_by_role("alert").filter(has_text="pas de résident principal")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("La facture sera quand même créée")
    unit.select_option(label="101")
    expect(warning).to_be_hidden()
    unit.select_option(label="112")
    expect(warning).to_be_visible()

    # 4. « Titre »
    dialog.get_by_label("Titre").fill("Cotisation spéciale — Réparation du toit")
    # 5. « Montant », typed as a French speaker writes it
    dialog.get_by_label("Montant").fill("1 234,50")
    # 6. « Date d'échéance »: the picker disables dates before today (property's time zone)
    due_input = dialog.get_by_label("Date d'échéance")
    expect(due_input).to_have_attribute("type", "date")
    expect(due_input).to_have_attribute("min", today_in(TZ).isoformat())
    due_input.fill(_due_date().isoformat())
    # 7. « Description » (facultatif)
    dialog.get_by_label("Description").fill("Remplacement de la membrane du toit, travaux en mai.")
    # 8. « Cette case est décochée par défaut. »
    notify = dialog.get_by_label("Envoyer une notification par courriel au résident")
    expect(notify).not_to_be_checked()
    # 9. « Cliquez sur le bouton Créer une facture en bas de la boîte de dialogue »
    submit = dialog.get_by_role("button", name="Créer une facture")
    submit_box, notify_box = submit.bounding_box(), notify.bounding_box()
    assert submit_box and notify_box and submit_box["y"] > notify_box["y"]
    submit.click()

    expect(page.get_by_role("status").filter(has_text="La facture a été créée.")).to_be_visible()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row", name=re.compile("Réparation du toit"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("Brouillon")
    expect(row).to_contain_text("112")
    expect(row).to_contain_text("1 234,50 $")
    expect(page.get_by_role("heading", name="Aucune facture pour l'instant")).to_be_hidden()
    # Drafts count in no card (PRODUCT.md): the cards stay at zero until the invoice is published.
    expect(_card(page, "Total")).to_contain_text("0,00 $")
    expect(page.locator(".modal-backdrop")).to_have_count(0)  # the dialog has finished closing
    screenshot(page, "factures-remplie.png")

    invoice = Invoice.objects.get(property=prop)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert invoice.unit.number == "112"
    assert invoice.amount == Decimal("1234.50")
    assert invoice.due_date == _due_date()
    assert invoice.notify_resident is False
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize("browser_locale", ["en-CA"])
def test_same_flow_in_english_with_an_error_beside_the_field(page: Page, login: Login) -> None:
    prop = _building(language="en")
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)

    page.get_by_role("link", name="Invoices", exact=True).click()
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()
    for label in ("Total", "Open", "Overdue", "Paid"):
        expect(_card(page, label)).to_contain_text("$0.00")
    dialog = open_dialog(page, page.get_by_role("button", name="Create invoice", exact=True).click)
    expect(dialog.get_by_role("heading", name="Create invoice")).to_be_visible()

    dialog.get_by_label("Unit", exact=True).select_option(label="101")
    expect(dialog.get_by_role("alert")).to_have_count(0)
    dialog.get_by_label("Title").fill("Monthly condo fees")
    dialog.get_by_label("Amount").fill("0")
    dialog.get_by_label("Due date").fill(_due_date().isoformat())
    dialog.get_by_label("Description").fill("November dues.")
    expect(dialog.get_by_label("Send an email notification to the resident")).not_to_be_checked()
    dialog.get_by_role("button", name="Create invoice").click()

    # The error shows beside Amount, in English, and what was typed is kept.
    amount = dialog.get_by_label("Amount")
    expect(amount).to_have_class(re.compile(r"\bis-invalid\b"))
    error_id = amount.get_attribute("aria-describedby")
    assert error_id
    expect(dialog.locator(f"[id='{error_id}']")).to_have_text("The amount must be greater than $0.")
    expect(dialog.get_by_label("Title")).to_have_value("Monthly condo fees")
    expect(dialog.get_by_label("Unit", exact=True)).to_have_value(str(Unit.objects.get(number="101").pk))
    assert not Invoice.objects.exists()

    amount.fill("1234.50")
    dialog.get_by_role("button", name="Create invoice").click()
    expect(page.get_by_role("status").filter(has_text="The invoice was created.")).to_be_visible()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row", name=re.compile("Monthly condo fees"))
    expect(row).to_contain_text("Draft")
    expect(row).to_contain_text("$1,234.50")
    invoice = Invoice.objects.get(property=prop)
    assert (invoice.status, invoice.amount, invoice.unit.number) == (
        InvoiceStatus.DRAFT,
        Decimal("1234.50"),
        "101",
    )


def test_publish_sends_the_email_then_void_another_invoice(
    page: Page, login: Login, smtp_server: SMTPServer
) -> None:
    prop = _building()
    manager = prop.memberships.get().user
    to_void = InvoiceFactory(
        property=prop,
        unit=Unit.objects.get(property=prop, number="112"),
        title="Frais de stationnement — Janvier 2026",
        amount=Decimal("75.00"),
        due_date=_due_date(),
        created_by=manager,
    )
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)
    page.get_by_role("link", name="Factures", exact=True).click()

    # A draft for unit 101 (Marie Tremblay has an email), notify checked.
    dialog = open_dialog(page, page.get_by_role("button", name="Créer une facture", exact=True).click)
    # The dialog's fields and the list's filters share the page: each label must reach its own field.
    assert _duplicate_ids(page) == []
    dialog.get_by_label("Unité", exact=True).select_option(label="101")
    dialog.get_by_label("Titre").fill("Cotisations mensuelles du syndicat")
    dialog.get_by_label("Montant").fill("412,35 $")
    dialog.get_by_label("Date d'échéance").fill(_due_date().isoformat())
    dialog.get_by_label("Envoyer une notification par courriel au résident").check()
    dialog.get_by_role("button", name="Créer une facture").click()
    expect(page.get_by_role("status").filter(has_text="La facture a été créée.")).to_be_visible()
    expect(dialog).to_be_hidden()

    # Drafts never send email.
    _run_worker()
    assert smtp_server.messages == []

    # Publish it from its page, through the confirmation dialog.
    page.get_by_role("row", name=re.compile("Cotisations mensuelles du syndicat")).get_by_role("link").click()
    expect(page.get_by_role("heading", name="Cotisations mensuelles du syndicat")).to_be_visible()
    expect(page.locator("#invoice-status")).to_have_text("Brouillon")
    dialog = open_dialog(page, page.get_by_role("button", name="Publier", exact=True).click)
    expect(dialog).to_contain_text("marie@example.com")
    dialog.get_by_role("button", name="Publier", exact=True).click()
    published = page.get_by_role("status").filter(has_text=re.compile(r"La facture n[°º] ?1 a été publiée\."))
    expect(published).to_contain_text("Courriel mis en file d'attente pour marie@example.com")
    expect(page.locator("#invoice-status")).to_have_text("Ouverte")

    # The worker sends it to the real SMTP server: one message, to Marie, about this invoice.
    _run_worker()
    messages = smtp_server.wait_for_messages(1)
    assert len(messages) == 1
    assert "marie@example.com" in messages[0]["To"]
    assert smtp_server.received[0].rcpt_tos == ["marie@example.com"]
    assert "Cotisations mensuelles du syndicat" in messages[0]["Subject"]
    # Its delivery state shows on the invoice.
    page.reload()
    expect(page.locator("#invoice-emails")).to_contain_text("marie@example.com")
    expect(page.locator("#invoice-emails")).to_contain_text("Envoyé")
    assert EmailMessage.objects.get().to_email == "marie@example.com"

    # The cards now count it as Ouvertes.
    page.get_by_role("link", name="Factures", exact=True).click()
    expect(_card(page, "Ouvertes")).to_contain_text("412,35 $")
    expect(_card(page, "Ouvertes")).to_contain_text("1 facture")
    expect(_card(page, "Total")).to_contain_text("412,35 $")

    # Void the other invoice, with a reason, through the confirmation dialog.
    page.get_by_role("row", name=re.compile("Frais de stationnement")).get_by_role("link").click()
    dialog = open_dialog(page, page.get_by_role("button", name="Annuler la facture").click)
    expect(dialog.get_by_role("heading", name="Annuler la facture")).to_be_visible()
    dialog.get_by_label("Motif").fill("Facturée à la mauvaise unité")
    dialog.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.get_by_role("status").filter(has_text="La facture a été annulée.")).to_be_visible()
    expect(page.locator("#invoice-status")).to_have_text("Annulée")
    expect(page.get_by_text("Facturée à la mauvaise unité")).to_be_visible()

    page.get_by_role("link", name="Factures", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("Frais de stationnement"))).to_contain_text("Annulée")
    # A click on a card filters the list: Ouvertes shows the published invoice, not the void one.
    _card(page, "Ouvertes").click()
    expect(page).to_have_url(re.compile(r"status=open"))
    expect(page.get_by_role("row", name=re.compile("Cotisations mensuelles du syndicat"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Frais de stationnement"))).to_have_count(0)

    to_void.refresh_from_db()
    assert to_void.status == InvoiceStatus.VOID
    assert to_void.void_reason == "Facturée à la mauvaise unité"
    assert len(smtp_server.messages) == 1  # voiding sends nothing; the published email went once


def test_create_dialog_opens_and_closes_from_the_keyboard(page: Page, login: Login) -> None:
    _building()
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)
    page.get_by_role("link", name="Factures", exact=True).click()

    create = page.get_by_role("button", name="Créer une facture", exact=True)
    create.focus()
    dialog = open_dialog(page, lambda: page.keyboard.press("Enter"))
    expect(dialog.get_by_label("Unité", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # « Fermer » closes it too (never « Annuler », which means voiding here).
    open_dialog(page, create.click)
    expect(dialog.get_by_role("button", name="Annuler", exact=True)).to_have_count(0)
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_be_hidden()
    assert not Invoice.objects.exists()


def test_create_dialog_focuses_its_first_field_and_gives_focus_back(page: Page, login: Login) -> None:
    _building()
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)
    page.get_by_role("link", name="Factures", exact=True).click()

    create = page.get_by_role("button", name="Créer une facture", exact=True)
    create.focus()
    dialog = open_dialog(page, lambda: page.keyboard.press("Enter"))
    expect(dialog.get_by_label("Unité", exact=True)).to_be_focused(timeout=2_000)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(create).to_be_focused(timeout=2_000)


def test_double_click_on_create_makes_one_invoice(page: Page, login: Login) -> None:
    prop = _building()
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)
    page.get_by_role("link", name="Factures", exact=True).click()
    dialog = open_dialog(page, page.get_by_role("button", name="Créer une facture", exact=True).click)
    dialog.get_by_label("Unité", exact=True).select_option(label="101")
    dialog.get_by_label("Titre").fill("Cotisations mensuelles du syndicat")
    dialog.get_by_label("Montant").fill("250")
    dialog.get_by_label("Date d'échéance").fill(_due_date().isoformat())
    dialog.get_by_role("button", name="Créer une facture").dblclick()
    expect(page.get_by_role("status").filter(has_text="La facture a été créée.")).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("row", name=re.compile("Cotisations mensuelles du syndicat"))).to_have_count(1)
    assert Invoice.objects.filter(property=prop).count() == 1


def test_publish_selected_drafts_at_once_numbers_them_in_order(page: Page, login: Login) -> None:
    prop = _building()
    manager = prop.memberships.get().user
    for number, title in (("101", "Cotisations mensuelles — décembre"), ("112", "Frais de stationnement")):
        InvoiceFactory(
            property=prop,
            unit=Unit.objects.get(property=prop, number=number),
            title=title,
            due_date=_due_date(),
            created_by=manager,
        )
    login(page, "gestionnaire@example.com", PASSWORD)
    _open_property(page)
    page.get_by_role("link", name="Factures", exact=True).click()

    page.get_by_label("Sélectionner « Cotisations mensuelles — décembre »").check()
    page.get_by_label("Sélectionner « Frais de stationnement »").check()
    page.get_by_role("button", name="Publier la sélection").click()

    expect(page.get_by_role("status").filter(has_text="2 factures ont été publiées")).to_be_visible()
    for title in ("Cotisations mensuelles — décembre", "Frais de stationnement"):
        expect(page.get_by_role("row", name=re.compile(title))).to_contain_text("Ouverte")
    numbers = Invoice.objects.filter(property=prop).order_by("number").values_list("number", flat=True)
    assert list(numbers) == [1, 2]
    expect(_card(page, "Ouvertes")).to_contain_text("2 factures")


def test_administrator_enables_payments_and_the_create_button_appears(page: Page, login: Login) -> None:
    """Seed, Dépannage: « Je ne vois pas le bouton Créer une facture » → Paramètres > Paiements."""
    prop = PropertyFactory(name="Tour Horizon", timezone=TZ, payments_enabled=False)
    UnitFactory(property=prop, number="1")
    member(prop, Role.ADMIN, email="admin@example.com", language="fr")
    login(page, "admin@example.com", PASSWORD)
    _open_property(page, "Tour Horizon")
    page.get_by_role("link", name="Factures", exact=True).click()

    expect(page.get_by_role("heading", name="Factures", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Créer une facture")).to_have_count(0)
    page.get_by_role("link", name="Activez-les dans Paramètres > Paiements").click()

    expect(page.get_by_role("heading", name="Paiements", level=1)).to_be_visible()
    page.get_by_label("Activer les paiements").check()
    page.get_by_role("button", name="Enregistrer").click()
    saved = page.get_by_role("status").filter(has_text="Les paramètres de paiement ont été enregistrés.")
    expect(saved).to_be_visible()
    prop.refresh_from_db()
    assert prop.payments_enabled is True

    page.get_by_role("link", name="Factures", exact=True).click()
    expect(page.get_by_role("button", name="Créer une facture", exact=True)).to_be_visible()
