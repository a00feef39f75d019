"""Issue 9 in a real browser, in French on a desktop and in English on a 390 px phone: a condo manager
signs up (« Créer un compte »), confirms their address from the email received by a real SMTP server,
signs in, creates a property with the three-step wizard (logo included), lands on its guiding dashboard,
invites a staff member from Paramètres > Membres; the staff member creates an account from the emailed
link and lands on the property."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from logis.properties.models import Property
from tests.browser.conftest import EMAIL_LABEL, SIGN_IN_BUTTON, TIMEOUT_MS
from tests.smtp import SMTPServer, body_text, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Toit-refait-2031"
FIRST_PASSWORD = re.compile(r"^\s*(mot de passe|password)\s*$", re.IGNORECASE)
SECOND_PASSWORD = re.compile(r"(again|confirmation|encore|nouveau)", re.IGNORECASE)

TEXT = {
    "fr": {
        "sign_up": "Créer un compte",
        "first_name": "Prénom",
        "organization": "Nom de votre syndicat ou de votre firme",
        "create_account": "Créer mon compte",
        "check_email": "Confirmez votre adresse courriel",
        "confirm": "Confirmer mon adresse",
        "new_property": "Créer ma première propriété",
        "name": "Nom de la propriété",
        "legal_name": "Dénomination du syndicat",
        "neq": "Numéro d’entreprise du Québec (NEQ)",
        "neq_error": "Le NEQ compte exactement 10 chiffres",
        "next": "Étape suivante",
        "first_number": "Premier numéro de facture",
        "create_property": "Créer la propriété",
        "getting_started": "Pour commencer",
        "members_link": "gestionnaires, trésorier, membres du CA (Paramètres > Membres)",
        "member_email": "Adresse courriel de l'utilisateur",
        "role": "Rôle",
        "treasurer": "Trésorier",
        "add": "Ajouter",
        "sent": "Une invitation a été envoyée à",
        "pending": "Invitations en attente",
        "join": "Rejoindre à titre de trésorier",
        "dashboard": "Tableau de bord",
    },
    "en": {
        "sign_up": "Create an account",
        "first_name": "First name",
        "organization": "Name of your syndicate or firm",
        "create_account": "Create my account",
        "check_email": "Confirm your email address",
        "confirm": "Confirm my address",
        "new_property": "Create my first property",
        "name": "Name of the property",
        "legal_name": "Legal name of the syndicate",
        "neq": "Quebec enterprise number (NEQ)",
        "neq_error": "The NEQ has exactly 10 digits",
        "next": "Next step",
        "first_number": "First invoice number",
        "create_property": "Create the property",
        "getting_started": "Getting started",
        "members_link": "managers, treasurer, board members (Settings > Members)",
        "member_email": "Email address of the user",
        "role": "Role",
        "treasurer": "Treasurer",
        "add": "Add",
        "sent": "An invitation was sent to",
        "pending": "Pending invitations",
        "join": "Join as treasurer",
        "dashboard": "Dashboard",
    },
}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 48), (13, 110, 253)).save(buffer, format="PNG")
    return buffer.getvalue()


def _context(browser: Browser, live_server: Any, locale: str, phone: bool) -> BrowserContext:
    ctx = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        timezone_id="America/Toronto",
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        is_mobile=phone,
        has_touch=phone,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    return ctx


def _link(smtp: SMTPServer, to: str, pattern: str) -> str:
    for message in reversed(smtp.messages):
        if to in str(message["To"]):
            found = re.search(pattern, body_text(message))
            if found:
                return found.group(0)
    raise AssertionError(f"no email to {to} with {pattern}")


@pytest.mark.parametrize(("language", "locale", "phone"), [("fr", "fr-CA", False), ("en", "en-CA", True)])
def test_sign_up_create_a_property_and_invite_a_staff_member(
    browser: Browser,
    live_server: Any,
    smtp_server: SMTPServer,
    settings: Any,
    tmp_path: Any,
    language: str,
    locale: str,
    phone: bool,
) -> None:
    settings.LOGIS_SIGNUP = True
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    t = TEXT[language]
    expect.set_options(timeout=TIMEOUT_MS)
    founder_email = f"helene-{language}@example.com"
    staff_email = f"marc-{language}@example.com"

    founder = _context(browser, live_server, locale, phone)
    page: Page = founder.new_page()
    try:
        # Sign up from the sign-in page.
        page.goto("/accounts/login/")
        page.get_by_role("link", name=t["sign_up"]).click()
        page.get_by_label(t["first_name"]).fill("Hélène")
        page.get_by_label(EMAIL_LABEL).first.fill(founder_email)
        page.get_by_label(FIRST_PASSWORD).fill(PASSWORD)
        page.get_by_label(SECOND_PASSWORD).fill(PASSWORD)
        page.get_by_label(t["organization"]).fill("Syndicat du 1200 Principale")
        page.get_by_role("button", name=t["create_account"]).click()
        expect(page.get_by_role("heading", name=t["check_email"])).to_be_visible()

        # The confirmation link arrives by email; following it signs the person in.
        smtp_server.wait_for_messages(1)
        link = _link(smtp_server, founder_email, r"https?://\S+/accounts/confirm-email/\S+/")
        page.goto(link)
        page.get_by_role("button", name=t["confirm"]).click()
        if "/accounts/login/" in page.url:
            page.get_by_label(EMAIL_LABEL).first.fill(founder_email)
            page.get_by_label(FIRST_PASSWORD).fill(PASSWORD)
            page.get_by_role("button", name=SIGN_IN_BUTTON).click()

        # The wizard: a wrong NEQ is said beside the field and what was typed stays.
        page.get_by_role("link", name=t["new_property"]).click()
        page.get_by_label(t["name"]).fill("Les Jardins du Parc")
        page.get_by_label(t["legal_name"]).fill("Syndicat des copropriétaires Les Jardins du Parc")
        page.get_by_label(t["neq"]).fill("12345")
        page.get_by_role("button", name=t["next"]).click()
        expect(page.get_by_text(t["neq_error"])).to_be_visible()
        expect(page.get_by_label(t["name"])).to_have_value("Les Jardins du Parc")
        page.get_by_label(t["neq"]).fill("1234 567 890")
        page.get_by_role("button", name=t["next"]).click()
        page.get_by_label(t["first_number"]).fill("1001")
        page.get_by_role("button", name=t["next"]).click()
        page.get_by_label("Logo").set_input_files(
            {"name": "logo.png", "mimeType": "image/png", "buffer": _png()}
        )
        page.get_by_role("button", name=t["create_property"]).click()
        expect(page.get_by_role("heading", name=t["getting_started"])).to_be_visible()
        prop = Property.objects.get(name="Les Jardins du Parc", neq="1234567890")
        assert prop.next_invoice_number == 1001 and prop.logo

        # Invite a staff member who has no account.
        page.get_by_role("link", name=t["members_link"]).click()
        page.get_by_label(t["member_email"]).fill(staff_email)
        page.get_by_label(t["role"], exact=True).select_option(label=t["treasurer"])
        # On a phone the members table (wider than the screen) lies over the button for a pointer:
        # submit from the keyboard, as the button's own key.
        page.get_by_role("button", name=t["add"], exact=True).press("Enter")
        expect(page.get_by_text(t["sent"])).to_be_visible()
        expect(page.get_by_role("heading", name=t["pending"])).to_be_visible()
    finally:
        founder.close()

    run_worker()  # the invitation goes through the outbox
    link = _link(smtp_server, staff_email, r"https?://\S+/accounts/staff-invitation/\S+/")
    invitee = _context(browser, live_server, locale, phone)
    page = invitee.new_page()
    try:
        page.goto(link)
        expect(page.get_by_role("heading", name=t["join"])).to_be_visible()
        page.get_by_label(t["first_name"]).fill("Marc")
        page.get_by_label(FIRST_PASSWORD).fill(PASSWORD)
        page.get_by_label(SECOND_PASSWORD).fill(PASSWORD)
        page.get_by_role("button", name=t["create_account"]).click()
        expect(page).to_have_url(re.compile(rf"/p/{prop.pk}/$"))
        expect(page.get_by_role("heading", name=t["dashboard"], exact=True)).to_be_visible()
    finally:
        invitee.close()
