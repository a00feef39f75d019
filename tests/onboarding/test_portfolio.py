"""« Mes propriétés »: each property's open and overdue balances and drafts, in a number of queries that
does not grow with the number of properties; and a search for a unit or resident across them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.factories import (
    InvoiceFactory,
    MembershipFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    open_invoice,
)

pytestmark = pytest.mark.django_db


def _portfolio(n: int, user) -> list[Property]:  # type: ignore[no-untyped-def]
    props = []
    for i in range(n):
        prop = PropertyFactory(
            name=f"Immeuble {i:02d}", timezone="America/Toronto" if i % 2 else "America/Vancouver"
        )
        MembershipFactory(user=user, property=prop, role=Role.MANAGER if i % 2 else Role.ADMIN)
        today = today_in(prop.timezone)
        open_invoice(prop, number=1, amount=Decimal("100.00"), due_date=today + dt.timedelta(days=5))
        open_invoice(
            prop,
            number=2,
            amount=Decimal("250.50"),
            amount_paid=Decimal("50.00"),
            due_date=today - dt.timedelta(days=3),
        )
        InvoiceFactory(property=prop, amount=Decimal("75.00"))
        props.append(prop)
    return props


def _get(client: Client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_each_property_shows_open_overdue_and_drafts_in_constant_queries() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)
    _portfolio(2, user)
    page, small = _get(client, "/p/")
    assert "100,00" in page and "200,50" in page
    _portfolio(6, user)
    page, large = _get(client, "/p/")
    assert large == small, f"{small} queries for 2 properties, {large} for 8"
    assert page.count("200,50") == 8


def test_search_across_properties_by_unit_name_or_email_only_in_mine() -> None:
    user = UserFactory()
    mine = _portfolio(2, user)
    UnitFactory(property=mine[0], number="PH-12")
    ResidentFactory(property=mine[1], name="Josée Côté", email="josee@example.com")
    stranger = PropertyFactory(name="Pas à moi")
    ResidentFactory(property=stranger, name="Josée Secrète", email="josee2@example.com")
    UnitFactory(property=stranger, number="PH-13")
    client = Client()
    client.force_login(user)
    page, _ = _get(client, "/p/?q=josee")
    assert "Josée Côté" in page and "Secrète" not in page
    page, _ = _get(client, "/p/?q=PH-1")
    assert "Unité PH-12" in page and "PH-13" not in page
    page, _ = _get(client, "/p/?q=zzz")
    assert "Aucune unité ni aucun résident ne correspond." in page
