"""The « Jetons d'API » page in a real browser: a manager creates a token, sees it once (and it works
against the API), finds only its prefix afterwards, and revokes it after confirming (the API then
answers 401). French, then English.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from logis.api.models import ApiToken
from logis.core.permissions import Role
from tests.browser.helpers import open_dialog
from tests.factories import PropertyFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password


@dataclass(frozen=True)
class Words:
    language: str
    tokens_link: str
    heading: str
    name: str
    expiry: str
    create: str
    new_token_label: str
    copy_now: str
    never: str
    revoke_button: str
    dialog_title: str
    close: str
    active_state: str
    confirm: str
    revoked_message: str
    revoked_state: str
    empty: str


FRENCH = Words(
    language="fr",
    tokens_link="Jetons d'API",
    heading="Jetons d'API",
    name="Nom",
    expiry="Date d'expiration (facultative)",
    create="Créer le jeton",
    new_token_label="Votre nouveau jeton d'API",
    copy_now="Copiez-le maintenant : il ne sera plus jamais affiché.",
    never="Jamais",
    revoke_button="Révoquer « Comptabilité »",
    dialog_title="Révoquer un jeton",
    close="Fermer",
    active_state="Actif",
    confirm="Révoquer le jeton",
    revoked_message="Le jeton « Comptabilité » a été révoqué : il ne fonctionne plus.",
    revoked_state="Révoqué",
    empty="Vous n'avez encore aucun jeton d'API.",
)
ENGLISH = Words(
    language="en",
    tokens_link="API tokens",
    heading="API tokens",
    name="Name",
    expiry="Expiry date (optional)",
    create="Create the token",
    new_token_label="Your new API token",
    copy_now="Copy it now: it will never be shown again.",
    never="Never",
    revoke_button="Revoke “Comptabilité”",
    dialog_title="Revoke a token",
    close="Close",
    active_state="Active",
    confirm="Revoke the token",
    revoked_message="The token “Comptabilité” was revoked: it no longer works.",
    revoked_state="Revoked",
    empty="You have no API token yet.",
)


def _api_status(base_url: str, token: str) -> tuple[int, Any]:
    url = f"{base_url}/api/v1/properties"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the live test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("words", [FRENCH, ENGLISH], ids=lambda w: w.language)
def test_manager_creates_sees_once_and_revokes_an_api_token(
    page: Page,
    login: Callable[[Page, str, str], None],
    screenshot: Callable[[Page, str], Path],
    live_server: Any,
    words: Words,
) -> None:
    prop = PropertyFactory(name="Les Jardins du Parc")
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=words.language)
    login(page, "gestionnaire@example.com", PASSWORD)

    page.get_by_role("link", name=words.tokens_link).click()
    expect(page.get_by_role("heading", name=words.heading, exact=True)).to_be_visible()
    expect(page.get_by_text(words.empty)).to_be_visible()

    # Create: the token is shown once, in full.
    page.get_by_label(words.name).fill("Comptabilité")
    expect(page.get_by_label(words.expiry)).to_be_visible()
    page.get_by_role("button", name=words.create).click()
    expect(page.get_by_text(words.copy_now)).to_be_visible()
    field = page.get_by_label(words.new_token_label)
    secret = field.input_value()
    assert re.fullmatch(r"lgs_[A-Za-z0-9_-]{40,}", secret)
    row = page.get_by_role("row").filter(has_text="Comptabilité")
    expect(row).to_contain_text(secret[:12] + "…")
    expect(row).to_contain_text(words.never)
    screenshot(page, f"api-tokens-created-{words.language}.png")

    # It works, as its user.
    status, body = _api_status(live_server.url, secret)
    assert status == 200 and [p["name"] for p in body["items"]] == ["Les Jardins du Parc"]

    # Shown once: a reload shows only its prefix.
    page.reload()
    expect(page.get_by_text(words.copy_now)).to_have_count(0)
    assert secret not in page.content()
    expect(page.get_by_role("row").filter(has_text="Comptabilité")).to_contain_text(secret[:12] + "…")

    # Revoke, after confirming in the dialog; closing it first changes nothing.
    dialog = open_dialog(page, lambda: page.get_by_role("button", name=words.revoke_button).click())
    dialog.get_by_role("button", name=words.close, exact=True).last.click()  # the footer's button
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("row").filter(has_text="Comptabilité")).to_contain_text(words.active_state)
    assert _api_status(live_server.url, secret)[0] == 200
    dialog = open_dialog(page, lambda: page.get_by_role("button", name=words.revoke_button).click())
    expect(dialog.get_by_role("heading", name=words.dialog_title)).to_be_visible()
    expect(dialog).to_contain_text(secret[:12])
    screenshot(page, f"api-tokens-revoke-{words.language}.png")
    dialog.get_by_role("button", name=words.confirm).click()
    expect(page.get_by_role("status").filter(has_text=words.revoked_message)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Comptabilité")).to_contain_text(words.revoked_state)
    expect(page.get_by_role("button", name=words.revoke_button)).to_have_count(0)
    assert ApiToken.objects.get().revoked_at is not None

    status, body = _api_status(live_server.url, secret)
    assert status == 401 and body["message"]
