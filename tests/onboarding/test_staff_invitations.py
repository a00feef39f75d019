"""Paramètres > Membres invites anyone by email with a role: a single-use, expiring link to create an
account (which lands on the property), resend and revoke (with confirmation), everything audited, the
email in the invitee's chosen language through the outbox."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from logis.accounts import staff
from logis.accounts.models import Membership, StaffInvitation, User
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.notifications.models import EmailMessage
from logis.properties.models import Property
from tests.factories import PropertyFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def building() -> Property:
    return PropertyFactory(name="Les Jardins du Parc")


@pytest.fixture
def admin(building: Property) -> User:
    return member(building, Role.ADMIN, email="admin@example.com", language="fr")


def _link_path(text: str) -> str:
    found = re.search(r"https?://[^\s]+/accounts/staff-invitation/[^\s/]+/", text)
    assert found, text
    return "/" + found.group(0).split("/", 3)[3]


def test_invite_sends_the_link_in_the_chosen_language_through_the_outbox(
    building: Property, admin: User
) -> None:
    result = staff.invite_member(
        actor=admin, property=building, email=" Marc@Example.com ", role=Role.TREASURER, language="en"
    )
    assert result.membership is None and result.invitation is not None
    message = EmailMessage.objects.get(to_email="marc@example.com")
    assert message.subject == "Invitation to manage Les Jardins du Parc on Logis"
    assert "as treasurer" in message.body_text and result.url in message.body_text
    assert AuditEvent.objects.filter(verb="member.invited", property=building).exists()
    with pytest.raises(ValidationError):
        staff.invite_member(actor=admin, property=building, email="marc@example.com", role=Role.BOARD)


def test_an_existing_account_gets_the_role_at_once(building: Property, admin: User) -> None:
    someone = UserFactory(email="deja@example.com")
    result = staff.invite_member(actor=admin, property=building, email="deja@example.com", role=Role.BOARD)
    assert result.membership is not None and result.membership.user == someone
    assert not StaffInvitation.objects.exists()


def test_only_those_who_manage_roles_invite(building: Property) -> None:
    manager = member(building, Role.MANAGER)
    with pytest.raises(PermissionDenied):
        staff.invite_member(actor=manager, property=building, email="x@example.com", role=Role.ADMIN)


def test_the_link_creates_a_confirmed_account_with_the_role_once(building: Property, admin: User) -> None:
    sent = staff.invite_member(
        actor=admin, property=building, email="marc@example.com", role=Role.MANAGER, language="fr"
    )
    client = Client()
    path = _link_path(sent.url)
    page = client.get(path).content.decode()
    assert "Rejoindre à titre de gestionnaire" in page
    response = client.post(
        path, {"first_name": "Marc", "last_name": "Roy", "password1": "court", "password2": "court"}
    )
    assert response.status_code == 200 and "password1_error" in response.content.decode()
    response = client.post(
        path,
        {
            "first_name": "Marc",
            "last_name": "Roy",
            "password1": "Toit-refait-2031",
            "password2": "Toit-refait-2031",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/p/{building.pk}/"
    user = User.objects.get(email="marc@example.com")
    assert Membership.objects.get(user=user, property=building).role == Role.MANAGER
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(response["Location"]).status_code == 200
    assert Client().get(path).status_code == 410  # single use
    with pytest.raises(InvalidTransition):
        staff.accept_staff_invitation(token=sent.token, password="Toit-refait-2031")
    assert AuditEvent.objects.filter(verb="member.invitation_accepted").exists()


def test_resend_replaces_the_link_and_revoke_ends_it(building: Property, admin: User) -> None:
    first = staff.invite_member(actor=admin, property=building, email="marc@example.com", role=Role.BOARD)
    assert first.invitation is not None
    second = staff.resend_staff_invitation(actor=admin, property=building, invitation_id=first.invitation.pk)
    assert Client().get(_link_path(first.url)).status_code == 404
    assert Client().get(_link_path(second.url)).status_code == 200
    assert EmailMessage.objects.filter(to_email="marc@example.com").count() == 2
    staff.revoke_staff_invitation(actor=admin, property=building, invitation_id=first.invitation.pk)
    assert Client().get(_link_path(second.url)).status_code == 410
    with pytest.raises(NotFound):
        staff.revoke_staff_invitation(actor=admin, property=building, invitation_id=first.invitation.pk)
    verbs = set(AuditEvent.objects.filter(property=building).values_list("verb", flat=True))
    assert {"member.invited", "member.invitation_resent", "member.invitation_revoked"} <= verbs


def test_an_expired_link_is_refused(building: Property, admin: User) -> None:
    sent = staff.invite_member(actor=admin, property=building, email="marc@example.com", role=Role.BOARD)
    StaffInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(_link_path(sent.url)).status_code == 410
    with pytest.raises(InvalidTransition):
        staff.accept_staff_invitation(token=sent.token, password="Toit-refait-2031")


def test_members_page_lists_pending_invitations_with_resend_and_revoke_after_confirmation(
    building: Property, admin: User
) -> None:
    client = Client()
    client.force_login(admin)
    url = f"/p/{building.pk}/settings/members/"
    response = client.post(
        url, {"op": "add", "add-email": "marc@example.com", "add-role": "treasurer", "add-language": "en"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Invitations en attente" in page and "marc@example.com" in page
    invitation = StaffInvitation.objects.get()
    confirm = client.get(f"{url}invitations/{invitation.pk}/revoke/").content.decode()
    assert "Révoquer l’invitation de marc@example.com" in confirm
    client.post(url, {"op": "resend", "invitation": invitation.pk})
    client.post(url, {"op": "revoke", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "Invitations en attente" not in client.get(url).content.decode()
    response = client.post(url, {"op": "add", "add-email": "pas-valide", "add-role": "treasurer"})
    assert response.status_code == 200 and 'value="pas-valide"' in response.content.decode()


def test_the_last_administrator_rule_still_holds(building: Property, admin: User) -> None:
    from logis.properties.services import remove_member

    membership = Membership.objects.get(user=admin, property=building)
    with pytest.raises(ValidationError):
        remove_member(actor=admin, property=building, membership_id=membership.pk)
