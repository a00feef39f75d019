"""Unités > Importer in a real browser, in French and English, on a desktop and a 390 px phone: a manager
uploads a 200-unit file with mistakes, reads each refused row (line, column, reason) in the preview —
nothing is written —, uploads the corrected file, confirms, then finds unit 101's opening balance on its
« Relevé de compte »; the unit's resident sees what they owe in the portal."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.imports.parsing import TEMPLATE_HEADERS
from logis.properties.models import Property, Resident, Unit
from tests.factories import PropertyFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"
NBSP = "\u00a0"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]

WORDS = {
    "fr": {
        "import": "Importer",
        "file": "Fichier (CSV ou XLSX)",
        "preview": "Aperçu de l'importation",
        "refused": "2 lignes sont refusées : rien ne sera importé.",
        "share_error": "La quote-part est comprise entre 0 et 100 %.",
        "email_error": "Entrez une adresse courriel valide, par exemple nom@exemple.com.",
        "confirm": "Confirmer l'importation",
        "done": "Importation terminée : 200 unités créées",
        "statement": "Relevé de compte",
        "owed": f"1{NBSP}234,56{NBSP}$",
    },
    "en": {
        "import": "Import",
        "file": "File (CSV or XLSX)",
        "preview": "Preview the import",
        "refused": "2 rows are refused: nothing will be imported.",
        "share_error": "The share is between 0 and 100 %.",
        "email_error": "Enter a valid email address, such as name@example.com.",
        "confirm": "Confirm the import",
        "done": "Import done: 200 units created",
        "statement": "Account statement",
        "owed": "$1,234.56",
    },
}


def _file(language: str, day: dt.date, *, mistakes: bool) -> bytes:
    sep = ";" if language == "fr" else ","
    owed = "1 234,56" if language == "fr" else "1234.56"
    share = "0,5" if language == "fr" else "0.5"
    lines = [sep.join(TEMPLATE_HEADERS[language])]
    for n in range(101, 301):
        balance = owed if n == 101 else ""
        date = day.isoformat() if n == 101 else ""
        email = "marie@example.com" if n == 101 else f"r{n}@example.com"
        unit_share = share
        if mistakes and n == 150:
            unit_share = "150"
        if mistakes and n == 151:
            email = "pas-un-courriel"
        first, last = ("Marie", "Tremblay") if n == 101 else ("Résident", str(n))
        cells = [
            str(n),
            unit_share,
            "",
            "",
            "Owner",
            first,
            last,
            email,
            "",
            language,
            "yes",
            "",
            balance,
            date,
        ]
        lines.append(sep.join(cells))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_import_with_errors_fix_then_balances_on_statement_and_portal(
    page: Page, login: Login, screenshot: Screenshot, language: str, width: int
) -> None:
    w = WORDS[language]
    prop = cast(Property, PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True))
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)
    marie = UserFactory(email="marie@example.com", language=language)
    day = today_in(TZ) - dt.timedelta(days=40)
    page.set_viewport_size({"width": width, "height": 900})
    name = f"unites-{language}.csv"

    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/units/")
    page.get_by_role("link", name=w["import"], exact=True).click()
    page.get_by_label(w["file"]).set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": _file(language, day, mistakes=True)}
    )
    page.get_by_role("button", name=w["preview"]).click()

    expect(page.get_by_role("alert").filter(has_text=w["refused"])).to_be_visible()
    errors = page.locator("#import-errors")
    share_row = errors.get_by_role("row").filter(has_text=w["share_error"])
    expect(share_row).to_contain_text("51")  # line 51: unit 150 (line 1 is the header)
    expect(share_row).to_contain_text(TEMPLATE_HEADERS[language][1])
    expect(errors.get_by_role("row").filter(has_text=w["email_error"])).to_contain_text("52")
    expect(page.get_by_role("button", name=w["confirm"])).to_have_count(0)
    screenshot(page, f"import-erreurs-{language}-{width}.png")
    assert not Unit.objects.filter(property=prop).exists()

    page.get_by_label(w["file"]).set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": _file(language, day, mistakes=False)}
    )
    page.get_by_role("button", name=w["preview"]).click()
    expect(page.locator("#import-counts")).to_contain_text("200")
    page.get_by_role("button", name=w["confirm"]).click()
    expect(page.get_by_text(w["done"])).to_be_visible()
    assert Unit.objects.filter(property=prop).count() == 200

    unit = Unit.objects.get(property=prop, number="101")
    page.goto(f"/p/{prop.pk}/units/{unit.pk}/")
    page.get_by_role("link", name=w["statement"], exact=True).click()
    # The period's own opening row is 0; the imported balance is a line of the period, owed, titled in
    # the property's language of documents (French here) like every invoice.
    rows = page.get_by_role("table").get_by_role("row").filter(has_text="Solde d'ouverture")
    expect(rows.filter(has_text=w["owed"])).to_have_count(1)
    expect(page.locator("#closing-balance")).to_have_text(w["owed"])
    screenshot(page, f"import-releve-{language}-{width}.png")

    # The resident's portal access (given by « Inviter » in real life).
    Resident.objects.filter(property=prop, email="marie@example.com").update(user=marie)
    page.context.clear_cookies()
    login(page, "marie@example.com", PASSWORD)
    page.goto("/portal/")
    expect(page.locator("#balance-due")).to_have_text(w["owed"])
    expect(page.get_by_role("link", name=re.compile("Solde d'ouverture")).first).to_be_visible()
    screenshot(page, f"import-portail-{language}-{width}.png")
