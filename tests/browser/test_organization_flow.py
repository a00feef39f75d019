"""« Organisation » in a real browser, in French on a desktop and in English on a 390 px phone: the demo's
administrator opens it from « Mes propriétés », makes a colleague an administrator, then removes them after
confirming; the page has no accessibility violation and fits the phone."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from logis.accounts.models import User
from tests.browser.conftest import TIMEOUT_MS, sign_in
from tests.browser.helpers import axe_violations, page_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "fr": {
        "open": "Organisation",
        "heading": "Administrateurs de l’organisation",
        "person": "Personne",
        "add": "Ajouter un administrateur",
        "added": "administre maintenant l’organisation.",
        "remove": "Retirer",
        "confirm_title": "Retirer un administrateur",
        "removed": "L’administrateur a été retiré.",
    },
    "en": {
        "open": "Organization",
        "heading": "Administrators of the organization",
        "person": "Person",
        "add": "Add an administrator",
        "added": "now administers the organization.",
        "remove": "Remove",
        "confirm_title": "Remove an administrator",
        "removed": "The administrator was removed.",
    },
}


@pytest.mark.parametrize(("language", "width", "height"), [("fr", 1280, 900), ("en", 390, 844)])
def test_an_administrator_adds_then_removes_a_colleague(
    browser: Browser, live_server: Any, language: str, width: int, height: int
) -> None:
    call_command("load_demo", verbosity=0)
    User.objects.filter(email="admin@example.com").update(language=language)
    t = TEXT[language]
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="fr-CA" if language == "fr" else "en-CA",
        viewport={"width": width, "height": height},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    sign_in(page, "admin@example.com", "demo1234")
    page.goto("/p/")
    page.get_by_role("link", name=t["open"], exact=True).click()
    expect(page.get_by_role("heading", name=t["heading"])).to_be_visible()
    assert axe_violations(page) == []
    assert page_overflow(page) is None
    person = page.get_by_label(t["person"])
    chosen = person.locator("option").nth(1).inner_text()
    email = chosen.split("<")[-1].rstrip(">").strip()
    person.select_option(index=1)
    page.get_by_role("button", name=t["add"]).click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(t["added"])
    page.get_by_role("link", name=f"{t['remove']} {email}").click()
    expect(page.get_by_role("heading", name=t["confirm_title"])).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"{t['remove']} {email}").click()
    expect(page.get_by_text(t["removed"])).to_be_visible()
    expect(page.get_by_role("link", name=f"{t['remove']} {email}")).to_have_count(0)
    ctx.close()
