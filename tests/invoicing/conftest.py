"""Worlds the invoice tests need: units with and without a primary resident, drafts, other roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.invoicing.models import Invoice
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, OccupancyFactory, ResidentFactory, UnitFactory


@pytest.fixture
def today(prop: Property) -> dt.date:
    return today_in(prop.timezone)


@pytest.fixture
def unit(prop: Property) -> Unit:
    """Unit 101 with Marie Tremblay as primary resident (valid email)."""
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(
        unit=unit,
        resident=ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com"),
    )
    return unit


@pytest.fixture
def lonely_unit(prop: Property) -> Unit:
    """Unit 112: nobody is its primary resident."""
    return UnitFactory(property=prop, number="112")


@pytest.fixture
def draft(prop: Property, unit: Unit, manager: User, today: dt.date) -> Invoice:
    return InvoiceFactory(
        property=prop,
        unit=unit,
        title="Cotisations mensuelles du syndicat",
        amount=Decimal("250.00"),
        due_date=today + dt.timedelta(days=10),
        created_by=manager,
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
