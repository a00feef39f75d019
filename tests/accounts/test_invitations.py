"""Resident invitations: a single-use link, valid 7 days, emailed in the resident's language, that lets
the person choose a password, signs them in and opens their portal. No shared passwords."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import Invitation, User
from logis.accounts.services import INVITATION_VALIDITY, hash_token, invite_resident
from logis.core.errors import InvalidTransition, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Resident
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, UserFactory, member
from tests.roles import ROLES, Case, World, check_case, members_may
from tests.smtp import SMTPServer, body_text, run_worker

NEW_PASSWORD = "Ch4ngement-de-toit"


@pytest.fixture
def marie(prop: Property) -> Resident:
    unit = UnitFactory(property=prop, number="101")
    resident = ResidentFactory(property=prop, name="Marie Tremblay", email="Marie@Example.com", language="fr")
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return resident


def _link_in(message: EmailMessage) -> str:
    match = re.search(r"https?://\S+/accounts/invitation/[\w-]+/", message.body_text)
    assert match, message.body_text
    return match.group(0)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _choose_password(client: Client, path: str, password: str = NEW_PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, {"password1": password, "password2": password if again is None else again})


# --- Inviting ------------------------------------------------------------------------------------


def test_invite_queues_one_email_in_french_with_a_single_use_link(manager: User, marie: Resident) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)

    [message] = EmailMessage.objects.all()
    assert message.kind == "resident_invitation"
    assert message.to_email == "marie@example.com"
    assert message.language == "fr"
    assert message.subject == "Votre portail résident — Les Jardins du Parc"
    assert "Bonjour Marie Tremblay," in message.body_text
    assert "Choisissez votre mot de passe avec ce lien :" in message.body_text
    assert _link_in(message) == sent.url
    assert f'href="{sent.url}"' in message.body_html
    assert '<html lang="fr">' in message.body_html


def test_invite_writes_the_email_in_english_for_an_english_resident(manager: User, prop: Property) -> None:
    john = ResidentFactory(property=prop, name="John Smith", email="john@example.com", language="en")
    invite_resident(actor=manager, property=prop, resident_id=john.pk)

    [message] = EmailMessage.objects.all()
    assert message.language == "en"
    assert message.subject == "Your resident portal — Les Jardins du Parc"
    assert "Hello John Smith," in message.body_text
    assert "This link works once and expires on" in message.body_text


def test_invitation_email_arrives_at_the_mail_server(
    manager: User, marie: Resident, smtp_server: SMTPServer
) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)

    run_worker()

    [received] = smtp_server.messages
    assert received["To"] == "marie@example.com"
    assert received["Subject"] == "Votre portail résident — Les Jardins du Parc"
    assert sent.url in body_text(received)
    assert sent.url in body_text(received, "html")


def test_only_a_hash_of_the_token_is_stored(manager: User, marie: Resident) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(sent.token)
    assert sent.token not in invitation.token_hash
    assert len(sent.token) >= 40


def test_invitation_expires_seven_days_after_it_is_sent(manager: User, marie: Resident) -> None:
    before = timezone.now()
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    assert dt.timedelta(days=7) == INVITATION_VALIDITY
    assert before + INVITATION_VALIDITY <= sent.invitation.expires_at <= timezone.now() + INVITATION_VALIDITY


def test_invite_is_recorded_in_the_audit_log(manager: User, marie: Resident) -> None:
    invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    event = AuditEvent.objects.get(verb="resident.invited")
    assert event.actor == manager
    assert event.property == marie.property
    assert event.after is not None and event.after["email"] == "marie@example.com"


def test_invite_requires_a_resident_with_an_email(manager: User, prop: Property) -> None:
    nobody = ResidentFactory(property=prop, name="Sans Courriel", email="")
    with pytest.raises(ValidationError) as exc:
        invite_resident(actor=manager, property=prop, resident_id=nobody.pk)
    assert "email" in exc.value.errors
    assert not Invitation.objects.exists()
    assert not EmailMessage.objects.exists()


def test_invite_refuses_a_resident_who_already_has_access(manager: User, marie: Resident) -> None:
    marie.user = cast(User, UserFactory(email="marie@example.com"))
    marie.save()
    with pytest.raises(InvalidTransition):
        invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize("role", [Role.TREASURER, Role.BOARD])
def test_invite_requires_the_manage_residents_role(role: str, marie: Resident) -> None:
    user = member(marie.property, role)
    with pytest.raises(PermissionDenied):
        invite_resident(actor=user, property=marie.property, resident_id=marie.pk)
    assert not Invitation.objects.exists()


def test_invite_cannot_reach_a_resident_of_another_property(manager: User, prop: Property) -> None:
    elsewhere = ResidentFactory(email="ailleurs@example.com")
    with pytest.raises(Exception) as exc:
        invite_resident(actor=manager, property=prop, resident_id=elsewhere.pk)
    assert type(exc.value).__name__ == "NotFound"


INVITE_CASES = [
    Case(
        "invite a resident",
        "post",
        lambda w: reverse("properties:resident_invite", args=[w.prop.pk, w.resident.pk]),
        members_may({Role.ADMIN, Role.MANAGER}),
    ),
    Case(
        "invite a resident of another property",
        "post",
        lambda w: reverse("properties:resident_invite", args=[w.prop.pk, w.other_resident.pk]),
        {**members_may({Role.ADMIN, Role.MANAGER}, ok=404)},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", INVITE_CASES, ids=lambda c: c.name)
def test_invite_role_table(case: Case, role: str, world: World) -> None:
    # The world's resident already has a login: give the invitation to a resident without one.
    world.resident.user = None
    world.resident.save()
    check_case(case, role, world)


# --- From the Résidents pages ----------------------------------------------------------------------


def test_residents_page_invites_in_one_click_and_shows_the_state(
    manager_client: Client, marie: Resident
) -> None:
    url = reverse("properties:residents", args=[marie.property_id])
    html = manager_client.get(url).content.decode()
    assert "Portail résident" in html
    assert ">Inviter<span" in html

    response = manager_client.post(
        reverse("properties:resident_invite", args=[marie.property_id, marie.pk]),
        {"next": "list"},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert "Une invitation au portail résident a été envoyée à marie@example.com." in html
    assert ">Invité</span>" in html
    assert ">Inviter de nouveau<span" in html


def test_resident_detail_shows_the_invite_button_or_why_not(manager_client: Client, prop: Property) -> None:
    with_email = ResidentFactory(property=prop, email="a@example.com")
    without = ResidentFactory(property=prop, email="")
    html = manager_client.get(
        reverse("properties:resident_detail", args=[prop.pk, with_email.pk])
    ).content.decode()
    assert "Inviter au portail résident</button>" in html
    html = manager_client.get(
        reverse("properties:resident_detail", args=[prop.pk, without.pk])
    ).content.decode()
    assert "Inviter au portail résident" not in html
    assert "Ajoutez une adresse courriel pour inviter ce résident au portail." in html


def test_inviting_a_resident_without_email_says_why(manager_client: Client, prop: Property) -> None:
    nobody = ResidentFactory(property=prop, name="Sans Courriel", email="")
    response = manager_client.post(
        reverse("properties:resident_invite", args=[prop.pk, nobody.pk]), follow=True
    )
    assert "Sans Courriel n&#x27;a pas d&#x27;adresse courriel" in response.content.decode()
    assert not Invitation.objects.exists()


def test_residents_page_query_count_does_not_grow_with_invitations(
    manager: User,
    manager_client: Client,
    prop: Property,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    url = reverse("properties:residents", args=[prop.pk])
    ResidentFactory(property=prop)
    manager_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        manager_client.get(url)
    for _ in range(8):
        resident = ResidentFactory(property=prop)
        invite_resident(actor=manager, property=prop, resident_id=resident.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url)


# --- Accepting ------------------------------------------------------------------------------------


def test_invitation_link_lets_the_resident_choose_a_password_and_signs_them_in(
    manager: User, marie: Resident
) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    client = Client()

    page = client.get(_path(sent.url))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Bienvenue, Marie Tremblay" in html
    assert 'value="marie@example.com"' in html
    assert page["Referrer-Policy"] == "same-origin"

    response = _choose_password(client, _path(sent.url))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    user = User.objects.get(email="marie@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert user.language == "fr"
    marie.refresh_from_db()
    assert marie.user == user
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert home.wsgi_request.user == user
    assert "Bienvenue ! Votre mot de passe est enregistré" in home.content.decode()
    assert AuditEvent.objects.filter(verb="resident.invitation_accepted", actor=user).exists()


def test_invitation_page_speaks_the_residents_language(manager: User, prop: Property) -> None:
    john = ResidentFactory(property=prop, name="John Smith", email="john@example.com", language="en")
    sent = invite_resident(actor=manager, property=prop, resident_id=john.pk)
    html = Client().get(_path(sent.url)).content.decode()
    assert '<html lang="en">' in html
    assert "Welcome, John Smith" in html
    assert "Set my password" in html


def test_invitation_link_is_single_use(manager: User, marie: Resident) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    _choose_password(Client(), _path(sent.url))

    other = Client()
    page = other.get(_path(sent.url))
    assert page.status_code == 410
    assert "Cette invitation a déjà été utilisée" in page.content.decode()
    again = _choose_password(other, _path(sent.url), password="Autre-mot-de-passe-9")
    assert again.status_code == 410
    assert User.objects.get(email="marie@example.com").check_password(NEW_PASSWORD)


def test_invitation_link_expires(manager: User, marie: Resident) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client = Client()

    page = client.get(_path(sent.url))
    assert page.status_code == 410
    assert "Cette invitation a expiré" in page.content.decode()
    assert _choose_password(client, _path(sent.url)).status_code == 410
    assert not User.objects.filter(email="marie@example.com").exists()


def test_reinviting_invalidates_the_old_link(manager: User, marie: Resident) -> None:
    first = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    second = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    client = Client()

    old = client.get(_path(first.url))
    assert old.status_code == 410
    assert "Cette invitation a été remplacée" in old.content.decode()
    assert _choose_password(client, _path(first.url)).status_code == 410
    assert client.get(_path(second.url)).status_code == 200
    assert EmailMessage.objects.count() == 2


def test_a_wrong_token_answers_404_with_a_clear_page(manager: User, marie: Resident) -> None:
    invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    page = Client().get(reverse("accounts:invitation", args=["not-a-real-token"]))
    assert page.status_code == 404
    assert "Ce lien d'invitation n'est pas valide" in page.content.decode()


def test_changing_the_residents_email_invalidates_the_link(manager: User, marie: Resident) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    Resident.objects.filter(pk=marie.pk).update(email="autre@example.com")
    assert Client().get(_path(sent.url)).status_code == 410


def test_the_password_must_match_and_pass_the_rules_kept_beside_the_field(
    manager: User, marie: Resident
) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    client = Client()

    mismatch = _choose_password(client, _path(sent.url), again="autre-chose-123")
    assert mismatch.status_code == 200
    assert "Les deux mots de passe ne correspondent pas." in mismatch.content.decode()
    weak = _choose_password(client, _path(sent.url), password="12345678")
    assert weak.status_code == 200
    assert "is-invalid" in weak.content.decode()
    assert not User.objects.filter(email="marie@example.com").exists()
    assert client.get(_path(sent.url)).status_code == 200  # still usable


def test_an_existing_account_signs_in_to_accept(manager: User, marie: Resident) -> None:
    existing = UserFactory(email="marie@example.com")
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    anonymous = Client()
    page = anonymous.get(_path(sent.url))
    assert page.status_code == 200
    assert "Connectez-vous pour accepter" in page.content.decode()
    assert anonymous.post(_path(sent.url), {"password1": "x", "password2": "x"}).status_code == 200
    marie.refresh_from_db()
    assert marie.user is None

    client = Client()
    client.force_login(existing)
    assert "Accepter l'invitation" in client.get(_path(sent.url)).content.decode()
    response = client.post(_path(sent.url))
    assert response["Location"] == reverse("portal:home")
    marie.refresh_from_db()
    assert marie.user == existing
    assert existing.check_password("pw-123456")  # their password is unchanged


def test_someone_signed_in_as_another_user_cannot_accept(
    manager: User, manager_client: Client, marie: Resident
) -> None:
    sent = invite_resident(actor=manager, property=marie.property, resident_id=marie.pk)
    page = manager_client.get(_path(sent.url))
    assert "Vous êtes connecté en tant que gestionnaire@example.com" in page.content.decode()
    manager_client.post(_path(sent.url), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    marie.refresh_from_db()
    assert marie.user is None
