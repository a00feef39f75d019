"""A resident with a login, linked to their units; invoices in every state for the portal tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest
from django.test import Client

from logis.accounts.models import User
from logis.properties.models import Property, Resident, Unit
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, UserFactory
from tests.payments.stripe_fake import stripe_fake_fixture  # noqa: F401 (the fake of Stripe, fixture "stripe_fake")


def link(user: User, unit: Unit, *, primary: bool = True, **resident: object) -> Resident:
    """Make ``user`` a resident of ``unit`` (one Resident row per property, reused)."""
    found = Resident.objects.filter(user=user, property=unit.property).first()
    if found is None:
        found = cast(
            Resident, ResidentFactory(property=unit.property, user=user, email=user.email, **resident)
        )
    OccupancyFactory(unit=unit, resident=found, is_primary=primary)
    return found


@pytest.fixture(autouse=True)
def _stripe_demo(settings) -> None:  # type: ignore[no-untyped-def]
    """Online payment in demo mode, as in `make run` (without Stripe keys and without DEBUG it is off)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_DEMO = True


@pytest.fixture
def unit(prop: Property) -> Unit:
    return UnitFactory(property=prop, number="101")


@pytest.fixture
def resident_user(unit: Unit) -> User:
    user = UserFactory(email="marie@example.com", first_name="Marie", last_name="Tremblay")
    link(user, unit, name="Marie Tremblay")
    return user


@pytest.fixture
def resident_client(resident_user: User) -> Client:
    client = Client()
    client.force_login(resident_user)
    return client


@pytest.fixture
def linker() -> Callable[..., Resident]:
    return link
