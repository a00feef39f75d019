"""Paramètres > Authentification à deux facteurs: a property may require two-factor authentication of
its staff. Only administrators change it; until a member turns it on, every page of that property sends
them to « Sécurité »; residents and their portal never are. Administrators see who has it on (Membres).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties import services
from logis.properties.models import Property
from tests.factories import (
    MembershipFactory,
    OccupancyFactory,
    PropertyFactory,
    UnitFactory,
    UserFactory,
    member,
)
from tests.roles import ROLES, Case, World, check_case, members_may, readable
from tests.two_factor import give_two_factor, sign_in_with_password

SECURITY = "/accounts/2fa/"


def security_settings_url(prop: Property) -> str:
    return reverse("properties:security_settings", args=[prop.pk])


def _with_admin_two_factor(world: World) -> dict[str, Any]:
    # The administrator who turns the policy on must use it already (see the rule below).
    admin = world.users[Role.ADMIN]
    assert admin is not None
    give_two_factor(admin)
    return {"require_staff_mfa": "on"}


CASES = [
    Case(
        "security settings page (read-only for non-admins)",
        "get",
        lambda w: security_settings_url(w.prop),
        readable(),
    ),
    Case(
        "require two-factor authentication",
        "post",
        lambda w: security_settings_url(w.prop),
        members_may({Role.ADMIN}),
        data=_with_admin_two_factor,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_only_administrators_change_the_two_factor_policy(case: Case, role: str, world: World) -> None:
    check_case(case, role, world)
    world.prop.refresh_from_db()
    if case.method == "post":
        assert world.prop.require_staff_mfa is (role == Role.ADMIN)


def test_the_service_refuses_other_roles(world: World) -> None:
    for role in (Role.MANAGER, Role.TREASURER, Role.BOARD):
        user = world.users[role]
        assert user is not None
        give_two_factor(user)
        with pytest.raises(PermissionDenied):
            services.update_security_settings(actor=user, property=world.prop, require_staff_mfa=True)
    with pytest.raises(PermissionDenied):
        services.update_security_settings(
            actor=world.users[Role.ADMIN], property=world.other_prop, require_staff_mfa=True
        )


def test_an_administrator_without_two_factor_cannot_require_it(
    prop: Property, admin_user: User, admin_client_: Client
) -> None:
    response = admin_client_.post(security_settings_url(prop), {"require_staff_mfa": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Activez d&#x27;abord l&#x27;authentification à deux facteurs pour votre propre compte" in html
    assert 'id="id_require_staff_mfa_error"' in html
    prop.refresh_from_db()
    assert prop.require_staff_mfa is False
    assert not AuditEvent.objects.filter(verb="property.security_settings_changed").exists()
    with pytest.raises(ValidationError):
        services.update_security_settings(actor=admin_user, property=prop, require_staff_mfa=True)


def test_requiring_it_and_lifting_it_is_audited(
    prop: Property, admin_user: User, admin_client_: Client
) -> None:
    give_two_factor(admin_user)
    response = admin_client_.post(security_settings_url(prop), {"require_staff_mfa": "on"})
    assert response.status_code == 302
    prop.refresh_from_db()
    assert prop.require_staff_mfa is True
    event = AuditEvent.objects.get(verb="property.security_settings_changed")
    assert event.actor == admin_user and event.property == prop
    assert event.before == {"require_staff_mfa": False} and event.after == {"require_staff_mfa": True}
    page = admin_client_.get(response["Location"]).content.decode()
    assert "Les paramètres de sécurité ont été enregistrés." in page
    # Saving the same value again writes nothing.
    admin_client_.post(security_settings_url(prop), {"require_staff_mfa": "on"})
    assert AuditEvent.objects.filter(verb="property.security_settings_changed").count() == 1
    admin_client_.post(security_settings_url(prop), {})
    prop.refresh_from_db()
    assert prop.require_staff_mfa is False
    assert AuditEvent.objects.filter(verb="property.security_settings_changed").count() == 2
    log = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert "Paramètres de sécurité modifiés" in log
    assert "Exiger l&#x27;authentification à deux facteurs pour le personnel" in log


def test_settings_page_reads_in_french_and_english(prop: Property, admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    index = client.get(reverse("properties:settings", args=[prop.pk])).content.decode()
    assert "Authentification à deux facteurs" in index and "Non exigée" in index
    html = client.get(security_settings_url(prop)).content.decode()
    assert "Exiger l&#x27;authentification à deux facteurs pour le personnel" in html
    assert "Membres qui utilisent l'authentification à deux facteurs : 0 sur 1." in html
    admin_user.language = "en"
    admin_user.save()
    html = client.get(security_settings_url(prop)).content.decode()
    assert "Require two-factor authentication for staff" in html
    assert "Members who use two-factor authentication: 0 of 1." in html


def test_non_administrators_see_the_policy_read_only(prop: Property, manager_client: Client) -> None:
    html = manager_client.get(security_settings_url(prop)).content.decode()
    assert "Seuls les administrateurs de la propriété peuvent modifier les paramètres de sécurité." in html
    assert "disabled" in html and ">Enregistrer</button>" not in html


# --- The policy at work ----------------------------------------------------------------------------


def _requiring(prop: Property) -> Property:
    prop.require_staff_mfa = True
    prop.save(update_fields=["require_staff_mfa"])
    return prop


STAFF_PAGES: list[tuple[str, list[Any]]] = [
    ("properties:dashboard", []),
    ("properties:units", []),
    ("properties:residents", []),
    ("properties:settings", []),
    ("properties:security_settings", []),
    ("invoicing:list", []),
    ("payments:list", []),
    ("properties:reports", []),
    ("reports:invoices_csv", []),
    ("billing:batches", []),
]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.TREASURER, Role.BOARD])
@pytest.mark.parametrize(("name", "args"), STAFF_PAGES, ids=[n for n, _ in STAFF_PAGES])
def test_staff_without_two_factor_are_sent_to_security_from_every_page(
    prop: Property, role: str, name: str, args: list[Any]
) -> None:
    _requiring(prop)
    user = member(prop, role)
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name, args=[prop.pk, *args]))
    assert response.status_code == 302 and response["Location"] == SECURITY


def test_changes_are_refused_too_and_the_message_says_why(prop: Property, manager: User) -> None:
    _requiring(prop)
    client = Client()
    client.force_login(manager)
    response = client.post(reverse("properties:unit_add", args=[prop.pk]), {"number": "999"})
    assert response.status_code == 302 and response["Location"] == SECURITY
    assert not prop.units.filter(number="999").exists()
    page = client.get(SECURITY).content.decode()
    assert (
        "Les Jardins du Parc exige l'authentification à deux facteurs pour son personnel : "
        "activez-la ci-dessous pour accéder à ses pages."
    ) in page


def test_the_message_in_english(prop: Property) -> None:
    _requiring(prop)
    user = member(prop, Role.MANAGER, language="en")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("properties:dashboard", args=[prop.pk]), follow=True).content.decode()
    assert (
        "Les Jardins du Parc requires two-factor authentication for its staff: turn it on below to reach "
        "its pages."
    ) in page


def test_a_partial_page_request_redirects_the_whole_page(prop: Property, manager: User) -> None:
    _requiring(prop)
    client = Client()
    client.force_login(manager)
    response = client.get(reverse("invoicing:create", args=[prop.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == SECURITY


def test_staff_with_two_factor_reach_the_pages(prop: Property, manager: User) -> None:
    _requiring(prop)
    give_two_factor(manager)
    client = Client()
    client.force_login(manager)
    assert client.get(reverse("properties:dashboard", args=[prop.pk])).status_code == 200
    assert client.get(reverse("invoicing:list", args=[prop.pk])).status_code == 200


def test_the_policy_of_one_property_leaves_the_others_alone(prop: Property, manager: User) -> None:
    _requiring(prop)
    other = PropertyFactory(name="Tour Horizon")
    MembershipFactory(user=manager, property=other, role=Role.MANAGER)
    client = Client()
    client.force_login(manager)
    assert client.get(reverse("properties:dashboard", args=[other.pk])).status_code == 200
    assert client.get(reverse("properties:dashboard", args=[prop.pk])).status_code == 302
    # « Mes propriétés » says which one asks for it.
    html = client.get(reverse("properties:list")).content.decode()
    assert "Les Jardins du Parc exige l'authentification à deux facteurs pour son personnel." in html
    assert f'href="{SECURITY}"' in html


def test_a_user_with_no_role_still_gets_404(prop: Property) -> None:
    _requiring(prop)
    client = Client()
    client.force_login(UserFactory())
    assert client.get(reverse("properties:dashboard", args=[prop.pk])).status_code == 404


def test_the_resident_portal_is_never_affected(prop: Property) -> None:
    _requiring(prop)
    occupancy = OccupancyFactory(unit=UnitFactory(property=prop))
    resident_user = UserFactory()
    occupancy.resident.user = resident_user
    occupancy.resident.save()
    client = Client()
    # A resident signs in with their password alone and reaches their portal.
    assert sign_in_with_password(client, resident_user.email) == reverse("properties:list")
    assert client.get(reverse("properties:list")).status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_board_member_who_is_also_a_resident_keeps_the_portal(prop: Property) -> None:
    _requiring(prop)
    board = member(prop, Role.BOARD)
    occupancy = OccupancyFactory(unit=UnitFactory(property=prop))
    occupancy.resident.user = board
    occupancy.resident.save()
    client = Client()
    client.force_login(board)
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.get(reverse("properties:dashboard", args=[prop.pk])).status_code == 302


# --- Members: who has it on ------------------------------------------------------------------------


def row_of(html: str, user: User) -> str:
    """The Members table's row of ``user``."""
    start = html.index(f'<th scope="row" class="fw-normal">{user.email}')
    return html[start:].split("</tr>")[0]


def test_members_page_shows_who_has_two_factor_on(prop: Property, admin_user: User, manager: User) -> None:
    give_two_factor(admin_user)
    client = Client()
    client.force_login(admin_user)
    html = client.get(reverse("properties:members", args=[prop.pk])).content.decode()
    assert '<th scope="col">Authentification à deux facteurs</th>' in html
    assert ">Activée</span>" in row_of(html, admin_user)
    assert ">Désactivée</span>" in row_of(html, manager)
    _requiring(prop)
    html = client.get(reverse("properties:members", args=[prop.pk])).content.decode()
    assert ">Désactivée — exigée</span>" in row_of(html, manager)
    admin_user.language = "en"
    admin_user.save()
    html = client.get(reverse("properties:members", args=[prop.pk])).content.decode()
    assert '<th scope="col">Two-factor authentication</th>' in html and "Off — required" in html


def _members_page_queries(client: Client, prop: Property) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("properties:members", args=[prop.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_members_page_queries_do_not_grow_with_members(prop: Property, admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    member(prop, Role.MANAGER)
    few = _members_page_queries(client, prop)
    for role in [Role.MANAGER, Role.TREASURER, Role.BOARD] * 4:
        user = member(prop, role)
        give_two_factor(user)
    assert _members_page_queries(client, prop) == few


# --- Demo data --------------------------------------------------------------------------------------


def test_demo_logins_work_without_a_code(db: None) -> None:
    call_command("load_demo", verbosity=0)
    assert not Property.objects.filter(require_staff_mfa=True).exists()
    for email in ("admin@example.com", "gestionnaire@example.com", "ca@example.com"):
        client = Client()
        assert sign_in_with_password(client, email, "demo1234") == reverse("properties:list")
        jardins = Property.objects.get(name="Les Jardins du Parc")
        assert client.get(reverse("properties:dashboard", args=[jardins.pk])).status_code == 200
