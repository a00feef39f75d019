"""The treasurer's accounting exports in a real browser (decision 0035), French and English, desktop and
a 390 px phone, with axe: from Rapports > Journal, the period's journal downloaded as QuickBooks Online's
journal-entry CSV and as the fr-CA CSV (parsed back, balanced per entry); Rapports > Plan comptable, the
bank account's code changed (a taken code refused beside the field, what was typed kept); the fund
balances page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.ledger.models import Account, AccountKind
from logis.payments.services import record_payment
from tests.browser.helpers import axe_violations, page_overflow
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"
TZ = "America/Toronto"
WORDS = {
    "fr": {
        "journal": "Journal", "from": "Du", "format": "Format", "download": "Télécharger le journal",
        "qbo": "QuickBooks Online (CSV d'écritures de journal)", "csv_fr": "CSV (Excel, ;)",
        "chart": "Plan comptable", "edit": "Modifier le compte « Banque »", "code": "Code",
        "export_name": "Nom dans les exportations", "save": "Enregistrer", "taken": "a déjà ce code",
        "saved": "enregistré avec le code 1000", "funds": "Soldes des fonds", "reports": "Rapports",
        "operating": "Fonds d'exploitation", "debit": "Débit", "credit": "Crédit", "entry": "Écriture",
    },
    "en": {
        "journal": "Journal", "from": "From", "format": "Format", "download": "Download the journal",
        "qbo": "QuickBooks Online (journal entries CSV)", "csv_fr": "CSV (Excel, ;)",
        "chart": "Chart of accounts", "edit": "Edit the account « Bank »", "code": "Code",
        "export_name": "Name in exports", "save": "Save", "taken": "already has this code",
        "saved": "saved with the code 1000", "funds": "Fund balances", "reports": "Reports",
        "operating": "Operating fund", "debit": "Debit", "credit": "Credit", "entry": "Entry",
    },
}  # fmt: skip


def _balanced(rows: list[dict[str, str]], key: str, debit: str, credit: str, comma: bool = False) -> None:
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        for i, col in enumerate((debit, credit)):
            text = row[col].replace(",", ".") if comma else row[col]
            sums[row[key]][i] += Decimal(text) if text else Decimal(0)
    assert sums and all(d == c > 0 for d, c in sums.values()), sums


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_treasurer_downloads_the_journal_and_maps_an_account(
    browser: Browser, live_server: Any, lang: str, size: str, tmp_path: Path
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
        base_url=live_server.url, locale="fr-CA" if lang == "fr" else "en-CA", timezone_id=TZ,
        viewport=viewport, accept_downloads=True,
    )  # fmt: skip
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        sign_in(page, "tresorier@example.com", PASSWORD)
        page.goto(f"/p/{prop.pk}/reports/")
        page.get_by_role("link", name=w["journal"], exact=True).click()
        expect(page.get_by_role("heading", name=w["journal"], level=1)).to_be_visible()
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)

        page.get_by_label(w["from"], exact=True).fill("")  # the whole journal
        page.get_by_label(w["format"]).select_option(label=w["qbo"])
        with page.expect_download() as info:
            page.get_by_role("button", name=w["download"]).click()
        path = tmp_path / "qbo.csv"
        info.value.save_as(path)
        rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
        assert list(rows[0])[:5] == ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits"]
        assert len(rows) == 4
        _balanced(rows, "JournalNo", "Debits", "Credits")

        page.reload()  # Chromium holds back a second download from one page without a new visit
        page.get_by_label(w["from"], exact=True).fill("")
        page.get_by_label(w["format"]).select_option(label=w["csv_fr"])
        with page.expect_download() as info:
            page.get_by_role("button", name=w["download"]).click()
        path = tmp_path / "journal-excel.csv"
        info.value.save_as(path)
        assert info.value.suggested_filename.endswith("-excel.csv")
        rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";"))
        _balanced(rows, w["entry"], w["debit"], w["credit"], comma=True)
        assert any(r[w["debit"]] == "1500,00" for r in rows)

        page.goto(f"/p/{prop.pk}/reports/")
        page.get_by_role("link", name=w["chart"]).click()
        expect(page.get_by_role("heading", name=w["chart"], level=1)).to_be_visible()
        assert not axe_violations(page), axe_violations(page)
        page.get_by_role("link", name=w["edit"]).click()
        page.get_by_label(w["code"], exact=True).fill("1100")
        page.get_by_label(w["export_name"]).fill("Caisse Desjardins")
        page.get_by_role("button", name=w["save"]).click()
        expect(page.get_by_label(w["code"], exact=True)).to_have_accessible_description(
            re.compile(w["taken"])
        )
        expect(page.get_by_label(w["export_name"])).to_have_value("Caisse Desjardins")
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)
        page.get_by_label(w["code"], exact=True).fill("1000")
        page.get_by_role("button", name=w["save"]).click()
        expect(page.get_by_text(w["saved"])).to_be_visible()
        expect(page.locator("#chart-of-accounts")).to_contain_text("Caisse Desjardins")
        assert Account.objects.get(property_id=prop.pk, kind=AccountKind.BANK).code == "1000"

        page.goto(f"/p/{prop.pk}/reports/")
        page.get_by_role("link", name=w["funds"]).click()
        expect(page.locator("#fund-balances").get_by_role("row", name=w["operating"])).to_contain_text(
            "1\u00a0500,00" if lang == "fr" else "1,500.00"
        )
        assert not axe_violations(page), axe_violations(page)
        assert page_overflow(page) is None, page_overflow(page)
    finally:
        ctx.close()
