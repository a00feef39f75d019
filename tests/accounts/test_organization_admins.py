"""« Organisation »: an organization's administrators add another administrator among the people who hold
a role on one of its properties, remove one after a confirmation (never the last), rename it; every
change is audited; nobody else sees the page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import Organization, OrganizationMembership, User
from logis.accounts.org_admins import add_organization_admin, remove_organization_admin
from logis.accounts.organizations import create_organization
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.factories import PropertyFactory, UserFactory, member


@pytest.fixture
def founder(db: None) -> User:
    return UserFactory(email="helene@example.com", first_name="Hélène", last_name="Roy", language="fr")


@pytest.fixture
def organization(founder: User) -> Organization:
    return create_organization(actor=founder, name="Gestion Horizon", kind="firm")


@pytest.fixture
def building(organization: Organization, founder: User) -> Property:
    prop = PropertyFactory(name="Les Jardins", organization=organization)
    from tests.factories import MembershipFactory

    MembershipFactory(user=founder, property=prop, role=Role.ADMIN)
    return prop


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)
    return client


def test_an_administrator_adds_a_colleague_who_then_administers_it(
    organization: Organization, founder: User, building: Property
) -> None:
    paul = member(building, Role.MANAGER, email="paul@example.com")
    page = _client(founder).get(reverse("accounts:organization", args=[organization.pk])).content.decode()
    assert "Administrateurs de l’organisation" in page and "paul@example.com" in page
    response = _client(founder).post(
        reverse("accounts:organization", args=[organization.pk]), {"op": "add", "user": paul.pk}
    )
    assert response.status_code == 302
    assert OrganizationMembership.objects.filter(user=paul, organization=organization).exists()
    event = AuditEvent.objects.get(verb="organization.admin_added")
    assert (event.actor, event.after) == (founder, {"administrator": "paul@example.com"})
    followed = _client(paul).get(reverse("accounts:organizations"), follow=True).content.decode()
    assert "paul@example.com ajouté comme administrateur" in followed


def test_only_people_with_a_role_on_its_properties_can_be_chosen(
    organization: Organization, founder: User, building: Property
) -> None:
    stranger = UserFactory(email="stranger@example.com")
    member(building, Role.BOARD, email="board@example.com")  # a candidate: the form is shown
    elsewhere = member(PropertyFactory(name="Ailleurs"), Role.MANAGER, email="elsewhere@example.com")
    for user in (stranger, elsewhere, founder):
        with pytest.raises(ValidationError):
            add_organization_admin(actor=founder, organization_id=organization.pk, user_id=user.pk)
    response = _client(founder).post(
        reverse("accounts:organization", args=[organization.pk]), {"op": "add", "user": stranger.pk}
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert OrganizationMembership.objects.filter(organization=organization).count() == 1


def test_removing_asks_first_and_the_last_administrator_stays(
    organization: Organization, founder: User, building: Property
) -> None:
    paul = member(building, Role.MANAGER, email="paul@example.com")
    add_organization_admin(actor=founder, organization_id=organization.pk, user_id=paul.pk)
    paul_link = OrganizationMembership.objects.get(user=paul)
    confirm = _client(founder).get(
        reverse("accounts:organization_remove_admin", args=[organization.pk, paul_link.pk])
    )
    assert "Retirer paul@example.com des administrateurs de Gestion Horizon ?" in confirm.content.decode()
    assert OrganizationMembership.objects.filter(pk=paul_link.pk).exists()  # asking changes nothing
    _client(founder).post(
        reverse("accounts:organization", args=[organization.pk]), {"op": "remove", "membership": paul_link.pk}
    )
    assert not OrganizationMembership.objects.filter(pk=paul_link.pk).exists()
    assert AuditEvent.objects.get(verb="organization.admin_removed").before == {
        "administrator": "paul@example.com"
    }
    mine = OrganizationMembership.objects.get(user=founder)
    with pytest.raises(InvalidTransition):
        remove_organization_admin(actor=founder, organization_id=organization.pk, membership_id=mine.pk)
    response = _client(founder).post(
        reverse("accounts:organization", args=[organization.pk]),
        {"op": "remove", "membership": mine.pk},
        follow=True,
    )
    assert "Une organisation garde au moins un administrateur." in response.content.decode()
    assert OrganizationMembership.objects.filter(pk=mine.pk).exists()


def test_rename_keeps_what_was_typed_on_error(organization: Organization, founder: User) -> None:
    url = reverse("accounts:organization", args=[organization.pk])
    response = _client(founder).post(
        url, {"op": "rename", "organization_name": "   ", "organization_kind": "firm"}
    )
    assert response.status_code == 200
    _client(founder).post(
        url, {"op": "rename", "organization_name": "Gestion Horizon inc.", "organization_kind": "firm"}
    )
    organization.refresh_from_db()
    assert organization.name == "Gestion Horizon inc."
    assert AuditEvent.objects.get(verb="organization.updated").after == {
        "name": "Gestion Horizon inc.",
        "kind": "firm",
    }


def test_others_get_not_found(organization: Organization, building: Property) -> None:
    manager = member(building, Role.MANAGER, email="paul@example.com")
    url = reverse("accounts:organization", args=[organization.pk])
    assert _client(manager).get(url).status_code == 404
    assert (
        _client(manager)
        .post(url, {"op": "rename", "organization_name": "X", "organization_kind": "firm"})
        .status_code
        == 404
    )
    assert Client().get(url).status_code == 302  # sign in first
    with pytest.raises(NotFound):
        add_organization_admin(actor=manager, organization_id=organization.pk, user_id=manager.pk)
    assert _client(manager).get(reverse("accounts:organizations")).status_code == 200
