"""One cheque for three invoices of a unit, in a real browser, in French and English, on a desktop and a
390 px phone (decision 0032): from the unit page the manager enters the cheque, previews the imputation
Logis proposes (oldest amounts first), records it, and the receipt lists each invoice paid, the amount
applied to it and the rule that applied it. Then the resident who wrote the cheque signs in to the portal,
opens « Reçu » on one of the invoices, and reads the one receipt with the imputation: in French, or for an
English reader of this Quebec property, French first with the English beside (s. 57)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment, Remittance
from logis.properties.models import Unit
from tests.browser.helpers import axe_violations, page_overflow
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    member,
    open_invoice,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
Login = Callable[[Page, str, str], None]
NBSP = "\u00a0"

WORDS = {
    "fr": {
        "button": "Enregistrer un paiement pour plusieurs factures",
        "amount": "Montant",
        "value": "650,00",
        "method": "Mode",
        "cheque": "Chèque",
        "reference": "Référence",
        "preview": "Aperçu",
        "preview_title": "Aperçu de l'imputation",
        "record": "Enregistrer le paiement",
        "rule": "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens.",
        "oldest": "Montant dû le plus ancien d'abord",
        "credit": f"50,00{NBSP}$",
        "receipt": "Reçu nº",
        "portal_receipt": "Reçu",
    },
    "en": {
        "button": "Record one payment for several invoices",
        "amount": "Amount",
        "value": "650.00",
        "method": "Method",
        "cheque": "Cheque",
        "reference": "Reference",
        "preview": "Preview",
        "preview_title": "Preview of the imputation",
        "record": "Record the payment",
        "rule": "Applied first to late fees and interest, then to the oldest amounts.",
        "oldest": "Oldest amount due first",
        "credit": "$50.00",
        "receipt": "Receipt no.",
        "portal_receipt": "Receipt",
    },
}


def _clean(page: Page, width: int) -> None:
    assert axe_violations(page) == [], page.url
    if width < 500:
        assert page_overflow(page) is None, page.url


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_manager_records_one_cheque_that_pays_three_invoices(
    page: Page, login: Login, language: str, width: int
) -> None:
    w = WORDS[language]
    today = timezone.localdate()
    prop = PropertyFactory(name="Les Jardins du Parc", payments_enabled=True)
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com")
    User.objects.filter(pk=manager.pk).update(language=language)
    unit = Unit.objects.get(pk=UnitFactory(property=prop, number="101").pk)
    resident_user = UserFactory(email="marie@example.com", language=language)
    marie = ResidentFactory(
        property=prop, name="Marie Tremblay", email="marie@example.com", user=resident_user
    )
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    for number, amount, days in [(1, "100.00", -60), (2, "200.00", -30), (3, "300.00", 5)]:
        open_invoice(
            prop,
            number=number,
            amount=Decimal(amount),
            unit=unit,
            title=f"Frais de condo {number}",
            due_date=today + dt.timedelta(days=days),
        )
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/units/{unit.pk}/")
    page.get_by_role("link", name=w["button"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["button"])
    _clean(page, width)

    page.get_by_label(w["amount"]).fill(w["value"])
    page.get_by_label(w["method"]).select_option(label=w["cheque"])
    page.get_by_label(w["reference"]).fill("Chèque 412")
    page.get_by_role("button", name=w["preview"], exact=True).click()
    preview = page.get_by_role("region", name=w["preview_title"])
    expect(preview.get_by_role("row")).to_have_count(5)  # heading, three invoices, the credit
    expect(preview.get_by_role("row").filter(has_text="Frais de condo 1")).to_contain_text(w["oldest"])
    assert not Payment.objects.exists()
    _clean(page, width)

    page.get_by_role("button", name=w["record"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(w["receipt"])
    expect(page.get_by_text(w["rule"])).to_be_visible()
    table = page.get_by_role("table")
    for number in (1, 2, 3):
        expect(table.get_by_role("row").filter(has_text=f"Frais de condo {number}")).to_contain_text(
            w["oldest"]
        )
    expect(table).to_contain_text(w["credit"])
    _clean(page, width)

    remittance = Remittance.objects.get()
    assert remittance.payments.count() == 3 and remittance.excess == Decimal("50.00")
    assert not Invoice.objects.filter(unit=unit).exclude(status=InvoiceStatus.PAID).exists()

    # The resident's side: the portal's « Reçu » of an invoice is the one receipt, with the imputation.
    page.context.clear_cookies()
    login(page, "marie@example.com", PASSWORD)
    first = Invoice.objects.get(unit=unit, number=1)
    page.goto(f"/portal/invoices/{first.pk}/")
    page.locator("#invoice-payments").get_by_role("link", name=w["portal_receipt"]).click()
    expect(page).to_have_url(re.compile(rf"/portal/several-invoices/{remittance.pk}/$"))
    french_rule = WORDS["fr"]["rule"]
    expect(page.get_by_text(french_rule)).to_be_visible()
    if language == "en":  # French first, the English beside it, never English alone (s. 57)
        expect(page.get_by_text(WORDS["en"]["rule"])).to_be_visible()
    for number in (1, 2, 3):
        expect(
            page.get_by_role("table").get_by_role("row").filter(has_text=f"Frais de condo {number}")
        ).to_have_count(1)
    _clean(page, width)
