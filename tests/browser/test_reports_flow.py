"""The reports page in a real browser: a board member opens Rapports from the sidebar, reads the aging
of balances due by bucket and by unit, and downloads the invoices CSV. French, then English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    member,
    open_invoice,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]

WORDS = {
    "fr": {
        "reports": "Rapports",
        "aging": "Âge des comptes",
        "late": "31–60 jours",
        "amount": "1\u00a0234,50\u00a0$",
        "export": "Exporter les factures — CSV",
        "file": "factures-",
        "header": "Numéro,Unité,Titre",
    },
    "en": {
        "reports": "Reports",
        "aging": "Aging of balances due",
        "late": "31–60 days",
        "amount": "$1,234.50",
        "export": "Export invoices — CSV",
        "file": "invoices-",
        "header": "Number,Unit,Title",
    },
}


def _building(language: str) -> Property:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone="America/Toronto")
    member(prop, Role.BOARD, email="ca@example.com", language=language)
    unit = UnitFactory(property=prop, number="204")
    OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Élise Tremblay"), is_primary=True
    )
    today = today_in(prop.timezone)
    open_invoice(prop, number=1, unit=unit, amount=Decimal("1234.50"), due_date=today - dt.timedelta(days=45))
    return prop


@pytest.mark.parametrize("language", ["fr", "en"])
def test_board_member_reads_aging_and_downloads_invoices(
    page: Page, login: Login, screenshot: Screenshot, language: str
) -> None:
    w = WORDS[language]
    prop = _building(language)
    login(page, "ca@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/")
    page.get_by_role("navigation").first.get_by_role("link", name=w["reports"], exact=True).click()
    expect(page.get_by_role("heading", name=w["reports"], level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=w["aging"])).to_be_visible()
    totals = page.locator("#aging-totals")
    expect(totals.get_by_role("columnheader", name=w["late"])).to_be_visible()
    row = page.get_by_role("row", name=re.compile(r"204"))
    expect(row).to_contain_text("Élise Tremblay")
    expect(row).to_contain_text(w["amount"])
    screenshot(page, f"rapports-{language}.png")
    with page.expect_download() as info:
        page.get_by_role("link", name=w["export"], exact=True).click()
    download = info.value
    assert download.suggested_filename.startswith(w["file"] + str(prop.pk))
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf" + w["header"].encode())
