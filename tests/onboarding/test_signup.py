"""Open sign-up (« Créer un compte »): a user, their organization and its first administrator, the
address confirmed by allauth's link before the first sign-in; and ``manage.py create_organization``
where sign-up is off."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from logis.accounts.models import Organization, OrganizationMembership, User
from logis.core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "Hélène",
    "last_name": "Gagnon",
    "email": "Helene@Example.com",
    "password1": "Toit-refait-2031",
    "password2": "Toit-refait-2031",
    "organization_kind": "syndicate",
    "organization_name": "Syndicat du 1200 Principale",
}


@pytest.fixture
def open_signup(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIS_SIGNUP = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _link(body: str) -> str:
    found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert found, body
    return found.group(0).split("testserver", 1)[-1]


def test_sign_in_page_offers_sign_up_only_when_open(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIS_SIGNUP = False
    page = client.get("/accounts/login/").content.decode()
    assert "Créer un compte" not in page
    assert client.get("/accounts/signup/").status_code == 200  # allauth's « sign-up closed » page
    assert not User.objects.exists()
    settings.LOGIS_SIGNUP = True
    page = client.get("/accounts/login/").content.decode()
    assert "Créer un compte" in page


def test_signup_closed_creates_nothing(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIS_SIGNUP = False
    client.post("/accounts/signup/", SIGNUP)
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_signup_creates_user_and_organization_then_requires_the_confirmation_link(
    client: Client, open_signup: None
) -> None:
    response = client.post("/accounts/signup/", SIGNUP, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "helene@example.com"
    assert (user.first_name, user.last_name, user.language) == ("Hélène", "Gagnon", "fr")
    organization = Organization.objects.get()
    assert organization.name == "Syndicat du 1200 Principale"
    assert OrganizationMembership.objects.filter(user=user, organization=organization, role="admin").exists()
    assert AuditEvent.objects.filter(verb="organization.created", object_id=str(organization.pk)).exists()
    assert not EmailAddress.objects.get(user=user).verified
    page = client.get(response["Location"]).content.decode()
    assert "Confirmez votre adresse courriel" in page

    # Not confirmed yet: signing in sends the person back to « confirm your address ».
    other = Client()
    response = other.post("/accounts/login/", {"login": "helene@example.com", "password": "Toit-refait-2031"})
    assert response.status_code == 302 and "confirm" in response["Location"]
    assert "_auth_user_id" not in other.session

    assert len(mail.outbox) >= 1
    link = _link(mail.outbox[0].body)
    page = client.get(link).content.decode()
    assert "Confirmer mon adresse" in page
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    response = Client().post(
        "/accounts/login/", {"login": "helene@example.com", "password": "Toit-refait-2031"}
    )
    assert response.status_code == 302 and response["Location"] == "/p/"


def test_signup_refusals_are_said_beside_the_fields_and_keep_what_was_typed(
    client: Client, open_signup: None
) -> None:
    UserFactory(email="pris@example.com")
    data = {**SIGNUP, "email": "pris@example.com", "organization_name": "   ", "password2": "autre"}
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Hélène"' in page
    assert page.count("invalid-feedback") >= 2
    assert not Organization.objects.exists()


def test_accounts_made_otherwise_are_confirmed(db: None) -> None:
    user = UserFactory(email="gestion@example.com")
    assert EmailAddress.objects.get(user=user).verified


def test_create_organization_command_makes_the_first_administrator(db: None) -> None:
    call_command(
        "create_organization",
        name="Gestion Boréale",
        kind="firm",
        email="Admin@Boreale.ca",
        password="Toit-2031-x",
    )
    user = User.objects.get(email="admin@boreale.ca")
    organization = Organization.objects.get(name="Gestion Boréale", kind="firm")
    assert OrganizationMembership.objects.filter(user=user, organization=organization).exists()
    assert Client().login(email="admin@boreale.ca", password="Toit-2031-x")
    with pytest.raises(CommandError):
        call_command("create_organization", name=" ", email="admin@boreale.ca")
    with pytest.raises(CommandError):
        call_command("create_organization", name="X", email="pas-un-courriel", password="Toit-2031-x")
