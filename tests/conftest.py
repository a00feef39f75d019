from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.test import Client

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.factories import PropertyFactory, member
from tests.roles import World, build_world
from tests.smtp import smtp_server  # noqa: F401 (a fixture: any test may request smtp_server)
from tests.watchdog import Deadline, stop_the_run

# The slowest test takes about 30 s; one still running after this is stuck, not slow.
TEST_LIMIT_S = float(os.environ.get("LOGIS_TEST_LIMIT_S", "300"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked ``slow`` (the state machines, the every-page tours, the migration tests…) first.

    ``make test`` runs the suite on every core (pytest-xdist, ``--dist worksteal``): a worker that picked
    a 90-second test last would keep the run going alone; started first, they overlap the many short ones.
    The sort is stable, so every other test keeps its order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _stop_a_stuck_run(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that never ends stops the run with every thread's stack, instead of holding CI until it
    gives up with nothing to show (tests/watchdog.py)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    message = f"TEST STUCK: {request.node.nodeid} was still running after {TEST_LIMIT_S:.0f} s."
    with Deadline(TEST_LIMIT_S, lambda: stop_the_run(message, capture)):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def prop(db: None) -> Property:
    return PropertyFactory(name="Les Jardins du Parc")


@pytest.fixture
def manager(prop: Property) -> User:
    return member(prop, Role.MANAGER, email="gestionnaire@example.com")


@pytest.fixture
def admin_user(prop: Property) -> User:
    return member(prop, Role.ADMIN, email="admin@example.com")


@pytest.fixture
def manager_client(manager: User) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def world(db: None) -> World:
    """A property with one user per role, a unit, a linked resident, and another property (tests/roles.py)."""
    return build_world()
