"""Table-driven role checks: who may GET each page and POST each form, as PRODUCT.md's role table says.

A row is a ``Case``: a name, a method, how to build the URL (and the POST data) from a ``World``, and
the expected status code per role. Other apps add their own rows in their own test files::

    from tests.roles import ROLES, Case, World, build_world, check_case, members_may, readable

    CASES = [
        Case("invoice list", "get", lambda w: reverse("invoicing:list", args=[w.prop.pk]), readable()),
        Case("create invoice", "post", lambda w: ..., members_may({"admin", "manager", "treasurer"}),
             data=lambda w: {...}),
    ]

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
    def test_role_table(case: Case, role: str, world: World, client: Client) -> None:
        check_case(case, role, world, client)

``world`` is a fixture of tests/conftest.py (or call ``build_world()``): a property, one user per
role, a unit, a resident linked to it, and a second property with its own unit and resident.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.test import Client

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.properties.models import Occupancy, Property, Resident, Unit
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    member,
)

# Roles on the property, then people without one: a user with no role, a resident (portal only, no
# role on the property) and someone not signed in.
MEMBER_ROLES: tuple[str, ...] = (Role.ADMIN, Role.MANAGER, Role.TREASURER, Role.BOARD)
ROLES: tuple[str, ...] = (*MEMBER_ROLES, "none", "resident", "anonymous")

# Redirect of an anonymous visitor to the login page.
LOGIN_REDIRECT = 302


@dataclass
class World:
    prop: Property
    users: dict[str, User | None]
    unit: Unit
    resident: Resident
    occupancy: Occupancy
    other_prop: Property
    other_unit: Unit
    other_resident: Resident
    extra: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    prop = PropertyFactory(name="Les Jardins du Parc", payments_enabled=True)
    users: dict[str, User | None] = {role: member(prop, role) for role in MEMBER_ROLES}
    users["none"] = cast(User, UserFactory())
    unit = UnitFactory(property=prop, number="101")
    occupancy = OccupancyFactory(unit=unit, is_primary=True)
    resident_user = cast(User, UserFactory())
    occupancy.resident.user = resident_user
    occupancy.resident.save()
    users["resident"] = resident_user
    users["anonymous"] = None
    other = PropertyFactory(name="Ailleurs")
    other_unit = UnitFactory(property=other, number="A")
    other_resident = ResidentFactory(property=other)
    return World(
        prop=prop,
        users=users,
        unit=unit,
        resident=occupancy.resident,
        occupancy=occupancy,
        other_prop=other,
        other_unit=other_unit,
        other_resident=other_resident,
    )


def readable(ok: int = 200) -> dict[str, int]:
    """Every role may see it; no role → 404; anonymous → login."""
    return members_may(MEMBER_ROLES, ok=ok)


def members_may(roles: Collection[str], ok: int = 302, denied: int = 403) -> dict[str, int]:
    """``roles`` get ``ok``, other roles ``denied``; no role (and residents) 404; anonymous → login."""
    expected = {role: (ok if role in roles else denied) for role in MEMBER_ROLES}
    expected.update({"none": 404, "resident": 404, "anonymous": LOGIN_REDIRECT})
    return expected


def nobody(status: int = 404) -> dict[str, int]:
    """Nobody reaches it (objects of another property): ``status`` for everyone signed in."""
    return {**dict.fromkeys(ROLES, status), "anonymous": LOGIN_REDIRECT}


@dataclass(frozen=True)
class Case:
    name: str
    method: str  # "get" or "post"
    url: Callable[[World], str]
    expect: Mapping[str, int]
    data: Callable[[World], dict[str, Any]] | None = None

    def __str__(self) -> str:
        return self.name


def client_for(role: str, world: World) -> Client:
    client = Client()
    user = world.users.get(role)
    if user is not None:
        client.force_login(user)
    return client


def check_case(case: Case, role: str, world: World, client: Client | None = None) -> None:
    """Run one row for one role and assert the status code the table expects."""
    client = client_for(role, world) if client is None else client
    user = world.users.get(role)
    if user is not None:
        client.force_login(user)
    url = case.url(world)
    if case.method == "get":
        response = client.get(url)
    else:
        response = client.post(url, case.data(world) if case.data else {})
    expected = case.expect[role]
    assert response.status_code == expected, (
        f"{case.name} as {role}: {case.method.upper()} {url} "
        f"answered {response.status_code}, expected {expected}"
    )
    if role == "anonymous" and expected == LOGIN_REDIRECT:
        assert "/accounts/login/" in response["Location"]
