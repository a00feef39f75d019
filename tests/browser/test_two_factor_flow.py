"""Two-factor authentication in a real browser, in French and in English: a manager turns the
authenticator app on from « Sécurité » (reading the key off the page and computing the code as a phone
does), signs out, then signs in with the password and the code; a wrong code is refused beside the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from playwright.sync_api import Page, expect

from logis.core.models import AuditEvent
from logis.core.permissions import Role
from tests.factories import PropertyFactory, member
from tests.two_factor import PASSWORD, current_code, other_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS: dict[str, dict[str, Any]] = {
    "fr-CA": {
        "language": "fr",
        "security": "Sécurité",
        "turn_on": "Activer",
        "confirm_heading": "Confirmez qu'il s'agit bien de vous",
        "password": "Mot de passe",
        "confirm": "Confirmer",
        "activate_heading": "Activer l'authentification à deux facteurs",
        "qr": "Code QR à scanner avec votre application d'authentification",
        "key": "Vous ne pouvez pas le scanner ? Entrez plutôt cette clé dans l'application",
        "app_code": "Code de l'application",
        "activated": "Application d'authentification activée.",
        "codes_heading": "Codes de récupération",
        "codes_list": "Codes de récupération inutilisés",
        "download": "Télécharger les codes",
        "sign_out": "Se déconnecter",
        "two_factor_heading": "Authentification à deux facteurs",
        "auth_code": "Code d'authentification",
        "verify": "Vérifier",
        "incorrect": "Code incorrect.",
        "my_properties": "Mes propriétés",
        "on": "Activée",
    },
    "en-CA": {
        "language": "en",
        "security": "Security",
        "turn_on": "Turn on",
        "confirm_heading": "Confirm it is you",
        "password": "Password",
        "confirm": "Confirm",
        "activate_heading": "Turn on two-factor authentication",
        "qr": "QR code to scan with your authenticator app",
        "key": "Cannot scan it? Enter this key in the app instead",
        "app_code": "Code from the app",
        "activated": "Authenticator app activated.",
        "codes_heading": "Recovery codes",
        "codes_list": "Unused recovery codes",
        "download": "Download the codes",
        "sign_out": "Sign out",
        "two_factor_heading": "Two-factor authentication",
        "auth_code": "Authentication code",
        "verify": "Verify",
        "incorrect": "Incorrect code.",
        "my_properties": "My properties",
        "on": "On",
    },
}


@pytest.mark.parametrize("browser_locale", ["fr-CA", "en-CA"])
def test_manager_turns_on_two_factor_then_signs_in_with_password_and_code(
    page: Page,
    browser_locale: str,
    login: Callable[[Page, str, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    t = LABELS[browser_locale]
    cache.clear()  # rate limits and used codes of earlier tests
    prop = PropertyFactory(name="Les Jardins du Parc")
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com", language=t["language"])

    # Sign in with the password alone (two-factor is not on yet), open « Sécurité » from the header.
    login(page, manager.email, PASSWORD)
    expect(page.get_by_role("heading", name=t["my_properties"])).to_be_visible()
    page.get_by_role("link", name=t["security"], exact=True).click()
    expect(page.get_by_role("heading", name=t["security"], level=1)).to_be_visible()
    page.get_by_role("link", name=t["turn_on"], exact=True).click()

    # allauth asks for the password again before the way of signing in changes.
    expect(page.get_by_role("heading", name=t["confirm_heading"])).to_be_visible()
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["confirm"], exact=True).click()

    # The QR code and the key to type by hand; the code is computed from the key, as the phone would.
    expect(page.get_by_role("heading", name=t["activate_heading"])).to_be_visible()
    expect(page.get_by_role("img", name=t["qr"])).to_be_visible()
    secret = page.get_by_label(t["key"]).input_value().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    screenshot(page, f"mfa-activate-{browser_locale}.png")
    page.get_by_label(t["app_code"]).fill(current_code(secret, margin=6))
    page.get_by_role("button", name=t["turn_on"], exact=True).click()

    # On: the recovery codes are shown once activated, to keep somewhere safe.
    expect(page.get_by_role("heading", name=t["codes_heading"], level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=t["activated"])).to_be_visible()
    expect(page.get_by_role("list", name=t["codes_list"]).get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_role("link", name=t["download"])).to_be_visible()
    screenshot(page, f"mfa-recovery-codes-{browser_locale}.png")
    assert Authenticator.objects.filter(user=manager, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(
        verb="user.two_factor_enabled", property_id=prop.pk, actor=manager
    ).exists()

    # Sign out, sign in again: after the password, the code.
    page.get_by_role("button", name=t["sign_out"]).click()
    login(page, manager.email, PASSWORD)
    expect(page.get_by_role("heading", name=t["two_factor_heading"])).to_be_visible()
    code_field = page.get_by_label(t["auth_code"])
    expect(code_field).to_be_focused()
    code_field.fill(other_code(secret))
    page.get_by_role("button", name=t["verify"]).click()
    expect(page.get_by_text(t["incorrect"], exact=True)).to_be_visible()
    expect(page.get_by_label(t["auth_code"])).to_have_attribute("aria-invalid", "true")
    screenshot(page, f"mfa-sign-in-wrong-code-{browser_locale}.png")
    page.get_by_label(t["auth_code"]).fill(current_code(secret, margin=6))
    page.get_by_role("button", name=t["verify"]).click()
    expect(page.get_by_role("heading", name=t["my_properties"])).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", t["language"])

    # The Security page now says it is on.
    page.get_by_role("link", name=t["security"], exact=True).click()
    region = page.get_by_role("region", name=t["two_factor_heading"])
    expect(region.locator(".badge")).to_have_text(t["on"])
    screenshot(page, f"mfa-security-on-{browser_locale}.png")
