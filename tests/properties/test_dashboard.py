"""Dashboard and the list of my properties."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.properties.models import Property
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, UserFactory


def test_dashboard_counts_units_residents_and_units_without_primary(
    prop: Property, manager_client: Client
) -> None:
    with_primary = UnitFactory(property=prop, number="101")
    OccupancyFactory(unit=with_primary, resident=ResidentFactory(property=prop))
    lonely = UnitFactory(property=prop, number="112")
    ResidentFactory(property=prop)
    url = reverse("properties:dashboard", args=[prop.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = manager_client.get(url)
    html = response.content.decode()
    assert (
        len(ctx.captured_queries) <= 15
    )  # constant: tests/reports/test_dashboard.py (+1: excess online payments, +1: credit refunded, 0030)
    assert html.count('<p class="fs-4 mb-1">2</p>') == 2  # units, and residents
    assert "1 unité n'a pas de résident principal" in html
    assert reverse("properties:unit_detail", args=[prop.pk, lonely.pk]) in html
    for name in ("invoicing:list", "properties:units", "properties:residents"):
        assert reverse(name, args=[prop.pk]) in html


def test_a_user_without_property_sees_a_helpful_empty_state(client: Client, db: None) -> None:
    user = UserFactory(email="seul@example.com")
    client.force_login(user)
    html = client.get(reverse("properties:list")).content.decode()
    assert "Vous n'avez encore de rôle sur aucune propriété." in html
    assert "seul@example.com" in html


def test_my_properties_shows_my_role(prop: Property, manager_client: Client) -> None:
    html = manager_client.get(reverse("properties:list")).content.decode()
    assert "Les Jardins du Parc" in html and "Gestionnaire" in html


def test_a_resident_without_role_is_sent_to_the_portal(prop: Property, client: Client) -> None:
    user = UserFactory()
    ResidentFactory(property=prop, user=user)
    client.force_login(user)
    response = client.get(reverse("properties:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_a_member_who_is_also_a_resident_finds_the_link_to_their_invoices(
    prop: Property, manager, manager_client: Client
) -> None:
    portal = reverse("portal:home")
    assert f'href="{portal}"' not in manager_client.get(reverse("properties:list")).content.decode()
    ResidentFactory(property=prop, user=manager)
    html = manager_client.get(reverse("properties:list")).content.decode()
    assert f'href="{portal}"' in html
    assert "Mes factures de résident" in html
