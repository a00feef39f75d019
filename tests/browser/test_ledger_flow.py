"""Rapports > « Balance de vérification » and « Journal » in a real browser: the treasurer opens the trial
balance from Rapports, reads each account's debit or credit and the equal totals, asks for an earlier
date (and a wrong one: the message beside the field, what was typed kept), then reads the journal.
French and English, desktop and a 390 px phone, with axe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.payments.services import record_payment
from tests.browser.helpers import axe_violations, page_overflow
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
TZ = "America/Toronto"
WORDS = {
    "fr": {
        "reports": "Rapports", "trial": "Balance de vérification", "as_of": "En date du", "show": "Afficher",
        "total": "1\u00a0500,00\u00a0$", "paid": "400,00\u00a0$", "receivable": "Comptes à recevoir",
        "empty": "Aucune écriture", "invalid": "Saisissez une date valide.", "journal": "Journal",
        "published": "Facture publiée", "payment": "Paiement reçu", "fund": "Fonds d'exploitation",
    },
    "en": {
        "reports": "Reports", "trial": "Trial balance", "as_of": "As of", "show": "Show",
        "total": "$1,500.00", "paid": "$400.00", "receivable": "Co-owners' receivable",
        "empty": "No entry in the ledger", "invalid": "Enter a valid date.", "journal": "Journal",
        "published": "Invoice published", "payment": "Payment received", "fund": "Operating fund",
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_treasurer_reads_the_trial_balance_and_the_journal(
    browser: Browser, live_server: Any, lang: str, size: str
) -> None:
    from tests.browser.conftest import sign_in

    w = WORDS[lang]
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True)
    unit = UnitFactory(property=prop, number="204")
    treasurer = member(prop, Role.TREASURER, email="tresorier@example.com", language=lang)
    today = today_in(TZ)
    invoice = invoicing.create_invoice(
        actor=treasurer, property=prop, unit_id=unit.pk, title="Cotisation", amount=Decimal("1500.00"),
        due_date=today + dt.timedelta(days=10),
    )  # fmt: skip
    invoicing.publish_invoice(actor=treasurer, invoice_id=invoice.pk)
    record_payment(property=prop, invoice_id=invoice.pk, actor=treasurer, amount=Decimal("400.00"),
                   paid_on=today, method="cheque")  # fmt: skip
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
        sign_in(page, "tresorier@example.com", PASSWORD)
        page.goto(f"/p/{prop.pk}/reports/")
        page.get_by_role("link", name=w["trial"]).click()
        expect(page.get_by_role("heading", name=w["trial"], level=1)).to_be_visible()
        table = page.locator("#trial-balance")
        expect(table.get_by_role("row", name=w["receivable"])).to_contain_text(
            "1\u00a0100,00" if lang == "fr" else "1,100.00"
        )
        expect(page.locator("#total-debit")).to_have_text(w["total"])
        expect(page.locator("#total-credit")).to_have_text(w["total"])
        expect(page.locator("#fund-revenue").get_by_role("row", name=w["fund"])).to_contain_text(w["total"])
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)

        page.get_by_label(w["as_of"]).fill((today - dt.timedelta(days=400)).isoformat())
        page.get_by_role("button", name=w["show"]).click()
        expect(page.locator("#trial-balance-empty")).to_contain_text(w["empty"])

        page.goto(f"/p/{prop.pk}/reports/trial-balance/?as_of=2026-02-31")
        expect(page.get_by_label(w["as_of"])).to_have_accessible_description(w["invalid"])
        assert not axe_violations(page), axe_violations(page)

        page.goto(f"/p/{prop.pk}/reports/")
        page.get_by_role("link", name=w["journal"], exact=True).click()
        expect(page.get_by_role("heading", name=w["journal"], level=1)).to_be_visible()
        expect(page.get_by_role("heading", name=w["published"])).to_be_visible()
        expect(page.get_by_role("heading", name=w["payment"])).to_be_visible()
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)
    finally:
        ctx.close()
