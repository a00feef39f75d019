"""Each role's rights on each page and form of the foundation (PRODUCT.md's role table).

Admin: everything, including Settings > Payments, the audit log and members. Manager: units and
residents. Treasurer and board member: read only here. No role on the property (or a resident, who
only has the portal): 404 on every page and object of it. Anonymous: sent to the login page.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.permissions import Role
from tests.factories import UnitFactory
from tests.roles import ROLES, Case, World, check_case, client_for, members_may, nobody, readable

ADMIN_ONLY = {Role.ADMIN}
UNIT_EDITORS = {Role.ADMIN, Role.MANAGER}
RESIDENT_EDITORS = {Role.ADMIN, Role.MANAGER}


def url(name: str, *args: object) -> object:
    return lambda w: reverse(f"properties:{name}", args=[w.prop.pk, *[a(w) for a in args]])  # type: ignore[operator]


def _unit(w: World) -> int:
    return w.unit.pk


def _resident(w: World) -> int:
    return w.resident.pk


def _occupancy(w: World) -> int:
    return w.occupancy.pk


def _other_unit(w: World) -> int:
    return w.other_unit.pk


def _other_resident(w: World) -> int:
    return w.other_resident.pk


def _resident_data(w: World) -> dict[str, str]:
    return {"name": "Nouvelle Personne", "email": "nouvelle@example.com", "phone": "", "language": "fr"}


CASES = [
    # Pages anyone with a role may read.
    Case("dashboard", "get", url("dashboard"), readable()),
    Case("units list", "get", url("units"), readable()),
    Case("unit detail", "get", url("unit_detail", _unit), readable()),
    Case("residents list", "get", url("residents"), readable()),
    Case("resident detail", "get", url("resident_detail", _resident), readable()),
    Case("reports", "get", url("reports"), readable()),
    Case("settings", "get", url("settings"), readable()),
    Case("payment settings (read-only for non-admins)", "get", url("payment_settings"), readable()),
    # Forms: only the roles that may change.
    Case("add unit form", "get", url("unit_add"), members_may(UNIT_EDITORS, ok=200)),
    Case("edit unit form", "get", url("unit_edit", _unit), members_may(UNIT_EDITORS, ok=200)),
    Case("add resident form", "get", url("resident_add"), members_may(RESIDENT_EDITORS, ok=200)),
    Case("edit resident form", "get", url("resident_edit", _resident), members_may(RESIDENT_EDITORS, ok=200)),
    Case("audit log", "get", url("audit"), members_may(ADMIN_ONLY, ok=200)),
    Case("members", "get", url("members"), members_may(ADMIN_ONLY, ok=200)),
    # Changes.
    Case("add unit", "post", url("unit_add"), members_may(UNIT_EDITORS), data=lambda w: {"number": "202"}),
    Case(
        "edit unit",
        "post",
        url("unit_edit", _unit),
        members_may(UNIT_EDITORS),
        data=lambda w: {"number": "101A", "share": "5"},
    ),
    Case("add resident", "post", url("resident_add"), members_may(RESIDENT_EDITORS), data=_resident_data),
    Case(
        "edit resident",
        "post",
        url("resident_edit", _resident),
        members_may(RESIDENT_EDITORS),
        data=_resident_data,
    ),
    Case(
        "link resident to a unit",
        "post",
        url("resident_detail", _resident),
        members_may(RESIDENT_EDITORS),
        data=lambda w: {"link-unit": UnitFactory(property=w.prop, number="303").pk, "link-kind": "tenant"},
    ),
    Case("choose no primary resident", "post", url("unit_detail", _unit), members_may(RESIDENT_EDITORS)),
    Case("make primary", "post", url("occupancy_make_primary", _occupancy), members_may(RESIDENT_EDITORS)),
    Case("unlink resident", "post", url("occupancy_unlink", _occupancy), members_may(RESIDENT_EDITORS)),
    Case(
        "payment settings",
        "post",
        url("payment_settings"),
        members_may(ADMIN_ONLY),
        data=lambda w: {"payments_enabled": "on", "accepted_methods": ["card", "cheque"]},
    ),
    Case(
        "add member",
        "post",
        url("members"),
        members_may(ADMIN_ONLY),
        data=lambda w: {"op": "add", "add-email": w.users["none"].email, "add-role": "board"},  # type: ignore[union-attr]
    ),
    Case(
        "change a role",
        "post",
        url("members"),
        members_may(ADMIN_ONLY),
        data=lambda w: {
            "op": "role",
            "membership": w.users[Role.BOARD].memberships.get().pk,  # type: ignore[union-attr]
            "role": "treasurer",
        },
    ),
    # Objects of another property: 404 whatever the role, even with a guessed id.
    Case("unit of another property", "get", url("unit_detail", _other_unit), nobody()),
    Case("edit a unit of another property", "get", url("unit_edit", _other_unit), nobody()),
    Case(
        "post to a unit of another property",
        "post",
        url("unit_edit", _other_unit),
        nobody(),
        data=lambda w: {"number": "Z"},
    ),
    Case("resident of another property", "get", url("resident_detail", _other_resident), nobody()),
    Case("edit a resident of another property", "get", url("resident_edit", _other_resident), nobody()),
    Case(
        "another property's dashboard",
        "get",
        lambda w: reverse("properties:dashboard", args=[w.other_prop.pk]),
        nobody(),
    ),
    Case(
        "unlink on another property",
        "post",
        lambda w: reverse("properties:occupancy_unlink", args=[w.other_prop.pk, w.occupancy.pk]),
        nobody(),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_role_table(case: Case, role: str, world: World) -> None:
    check_case(case, role, world)


def test_my_properties_lists_only_the_properties_i_hold_a_role_on(world: World, client: Client) -> None:
    client.force_login(world.users[Role.MANAGER])  # type: ignore[arg-type]
    response = client.get(reverse("properties:list"))
    assert response.status_code == 200
    assert world.prop.name in response.content.decode()
    assert world.other_prop.name not in response.content.decode()


def test_board_member_sees_no_add_or_edit_buttons(world: World, client: Client) -> None:
    client.force_login(world.users[Role.BOARD])  # type: ignore[arg-type]
    pages = [
        reverse("properties:units", args=[world.prop.pk]),
        reverse("properties:unit_detail", args=[world.prop.pk, world.unit.pk]),
        reverse("properties:residents", args=[world.prop.pk]),
        reverse("properties:resident_detail", args=[world.prop.pk, world.resident.pk]),
        reverse("properties:payment_settings", args=[world.prop.pk]),
        reverse("properties:dashboard", args=[world.prop.pk]),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        for label in (
            "Ajouter une unité",
            "Ajouter un résident",
            "Modifier",
            "Enregistrer",
            "Retirer le lien",
        ):
            assert label not in html, f"{label!r} shown to a board member on {page}"


def test_404_and_403_pages_say_what_happened_in_the_users_language(world: World) -> None:
    outsider = client_for("none", world)
    response = outsider.get(reverse("properties:units", args=[world.prop.pk]))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    board = client_for(Role.BOARD, world)
    response = board.get(reverse("properties:unit_add", args=[world.prop.pk]))
    assert response.status_code == 403
    assert "Votre rôle sur cette propriété ne permet pas cette action." in response.content.decode()
