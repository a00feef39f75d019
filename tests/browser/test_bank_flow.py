"""Dépôts bancaires in a real browser, in French and English, on a desktop and a 390 px phone: a manager
uploads the Banque Nationale CSV export, reads why each deposit is proposed (the ambiguous one waits for
a choice), confirms the checked ones on a second screen, sees the unmatched deposit stay with its amount;
then records a deposit of cheques (a row added without script) and opens its slip. Axe on every screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from logis.accounts.models import User
from logis.payments.models import Payment
from tests.banking.scenario import FILES, syndicate
from tests.browser.helpers import axe_violations, page_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]

WORDS = {
    "fr": {
        "menu": "Dépôts bancaires",
        "file": "Relevé bancaire (OFX, QFX ou CSV)",
        "bank": "Banque (pour un fichier CSV)",
        "read": "Lire le relevé",
        "ambiguous": "Ambigu : choisissez la facture",
        "sender": "L'expéditeur est Marie Dubé, résident de l'unité 101",
        "review": "Vérifier les dépôts cochés",
        "record": "Enregistrer 5 paiements",
        "recorded": "5 paiements enregistrés",
        "unmatched": "999,99",
        "new_batch": "Enregistrer un dépôt de chèques",
        "add_row": "Ajouter une ligne",
        "save_batch": "Enregistrer les chèques",
        "slip": "Imprimer le bordereau de dépôt",
        "slip_title": "Bordereau de dépôt",
        "amount": "300,00",
    },
    "en": {
        "menu": "Bank deposits",
        "file": "Bank statement (OFX, QFX or CSV)",
        "bank": "Bank (for a CSV file)",
        "read": "Read the statement",
        "ambiguous": "Ambiguous: choose the invoice",
        "sender": "Sender is Marie Dubé, resident of unit 101",
        "review": "Review the checked deposits",
        "record": "Record 5 payments",
        "recorded": "5 payments recorded",
        "unmatched": "999.99",
        "new_batch": "Record a cheque deposit",
        "add_row": "Add a row",
        "save_batch": "Record the cheques",
        "slip": "Print the deposit slip",
        "slip_title": "Deposit slip",
        "amount": "300.00",
    },
}


def _clean(page: Page, width: int) -> None:
    assert axe_violations(page) == [], page.url
    if width < 500:
        assert page_overflow(page) is None, page.url


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_upload_review_confirm_then_a_cheque_deposit_and_its_slip(
    page: Page, login: Login, screenshot: Screenshot, language: str, width: int
) -> None:
    w = WORDS[language]
    s = syndicate()
    User.objects.filter(pk=s.manager.pk).update(language=language)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, s.manager.email, PASSWORD)
    page.goto(f"/p/{s.prop.pk}/bank/")
    _clean(page, width)

    page.get_by_label(w["file"]).set_input_files(str(FILES / "banque-nationale.csv"))
    page.get_by_label(w["bank"]).select_option("bnc")
    page.get_by_role("button", name=w["read"]).click()
    expect(page.get_by_text(w["ambiguous"])).to_be_visible()
    expect(page.get_by_text(w["sender"])).to_be_visible()
    _clean(page, width)
    screenshot(page, f"banque-revue-{language}-{width}.png")
    page.get_by_role("button", name=w["review"]).click()
    _clean(page, width)
    assert not Payment.objects.exists()
    page.get_by_role("button", name=w["record"]).click()
    expect(page.get_by_text(w["recorded"])).to_be_visible()
    assert Payment.objects.count() == 5
    # What stays unmatched stays visible with its amount.
    expect(page.get_by_role("row").filter(has_text=w["unmatched"])).to_have_count(1)

    page.goto(f"/p/{s.prop.pk}/bank/")
    page.get_by_role("link", name=w["new_batch"]).click()
    _clean(page, width)
    page.locator("#id_rows-0-unit").select_option(label="205")
    page.locator("#id_rows-0-cheque_number").fill("0099")
    page.locator("#id_rows-0-amount").fill(w["amount"].replace("300", "200"))
    page.get_by_role("button", name=w["add_row"]).click()
    expect(page.locator("#id_rows-5-unit")).to_be_visible()
    expect(page.locator("#id_rows-0-cheque_number")).to_have_value("0099")
    page.get_by_role("button", name=w["save_batch"]).click()
    page.get_by_role("link", name=w["slip"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(w["slip_title"])
    expect(page.get_by_role("table")).to_contain_text("0099")
    _clean(page, width)
    screenshot(page, f"banque-bordereau-{language}-{width}.png")
