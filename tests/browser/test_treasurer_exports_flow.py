"""A treasurer's figures in a real browser, in French and English, on a desktop and a 390 px phone
(decision 0030): the Paiements page's Net counts a unit credit refunded to a resident, shown negative;
Rapports > income by fund and category for a fiscal year; its Excel (XLSX) and « CSV (Excel, ;) »
downloads reached with the keyboard and opened as a spreadsheet would. axe-core on every page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.credits import refund_credit
from logis.payments.services import record_payment
from logis.properties.models import Property
from tests.browser.helpers import axe_violations, page_overflow
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
Login = Callable[[Page, str, str], None]

WORDS = {
    "fr": {
        "payments": "Paiements",
        "net": "700,00 $",
        "returned": "−80,00 $",
        "refunds": "Crédit de l'unité remboursé aux résidents",
        "reports": "Rapports",
        "income": "Revenus par fonds et catégorie",
        "year": "Exercice financier",
        "show": "Afficher",
        "total": "700,00 $",
        "xlsx": "Télécharger — Excel (XLSX)",
        "csv_fr": "Télécharger — CSV (Excel, ;)",
        "header": "Fonds",
    },
    "en": {
        "payments": "Payments",
        "net": "$700.00",
        "returned": "−$80.00",
        "refunds": "Unit credit refunded to residents",
        "reports": "Reports",
        "income": "Income by fund and category",
        "year": "Fiscal year",
        "show": "Show",
        "total": "$700.00",
        "xlsx": "Download — Excel (XLSX)",
        "csv_fr": "Download — CSV (Excel, ;)",
        "header": "Fund",
    },
}


def _building(language: str) -> Property:
    """Invoices of 500 and 200 paid; 80 paid on a third of 300, then voided (80 of credit), and that
    credit given back by cheque: 780 received, 80 returned, 700 net; 700 billed (the void is not)."""
    prop = PropertyFactory(name="Les Jardins du Parc", timezone="America/Toronto", payments_enabled=True)
    treasurer = member(prop, Role.TREASURER, email="tresorier@example.com", language=language)
    unit = UnitFactory(property=prop, number="305")
    today = today_in(prop.timezone)
    invoices = [
        InvoiceFactory(
            property=prop,
            unit=unit,
            number=n,
            amount=Decimal(amount),
            status=InvoiceStatus.OPEN,
            published_at=dt.datetime.now(dt.UTC),
        )
        for n, amount in ((1, "500.00"), (2, "200.00"))
    ]
    for invoice in invoices:
        record_payment(
            property=prop,
            invoice_id=invoice.pk,
            actor=treasurer,
            amount=invoice.amount,
            paid_on=today,
            method="cheque",
        )
    third = InvoiceFactory(
        property=prop,
        unit=unit,
        number=3,
        amount=Decimal("300.00"),
        status=InvoiceStatus.OPEN,
        published_at=dt.datetime.now(dt.UTC),
    )
    record_payment(
        property=prop,
        invoice_id=third.pk,
        actor=treasurer,
        amount=Decimal("80.00"),
        paid_on=today,
        method="cash",
    )
    void_invoice(actor=treasurer, property=prop, invoice_id=third.pk, reason="Erreur")
    refund_credit(
        property=prop,
        unit_id=unit.pk,
        amount=Decimal("80.00"),
        method="cheque",
        reason="Chèque 88",
        actor=treasurer,
    )
    return prop


def _checked(page: Page) -> None:
    assert axe_violations(page) == [], page.url
    assert page_overflow(page) is None


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_treasurer_reads_the_net_and_downloads_the_income_report(
    page: Page, login: Login, language: str, width: int
) -> None:
    w = WORDS[language]
    prop = _building(language)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "tresorier@example.com", PASSWORD)

    page.goto(f"/p/{prop.pk}/payments/")
    expect(page.get_by_role("heading", name=w["payments"], level=1)).to_be_visible()
    expect(page.locator('[data-total="net"]')).to_have_text(w["net"])
    expect(page.locator('[data-total="returned"]')).to_have_text(w["returned"])
    expect(page.get_by_role("heading", name=w["refunds"])).to_be_visible()
    _checked(page)

    page.goto(f"/p/{prop.pk}/reports/")
    page.get_by_role("link", name=w["income"]).click()
    expect(page.get_by_role("heading", name=w["income"], level=1)).to_be_visible()
    page.get_by_label(w["year"], exact=True).select_option(index=0)
    page.get_by_role("button", name=w["show"]).click()
    expect(page.locator("[data-grand-total]")).to_contain_text(w["total"])
    _checked(page)

    # Keyboard: focus the Excel link and press Enter, as a person who does not use a mouse.
    xlsx = page.get_by_role("link", name=w["xlsx"])
    xlsx.focus()
    expect(xlsx).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == w["header"] and rows[-1][-1] == 700

    with page.expect_download() as info:
        page.get_by_role("link", name=w["csv_fr"]).click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[-1][-1] == "700,00"
