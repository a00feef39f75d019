"""« Mes propriétés »: each property's open and overdue balances and drafts, in a number of queries that
does not grow with the number of properties; and a search for a unit or resident across them."""

from __future__ import annotations

import datetime as dt
import html
import re
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


def _rows(page: str) -> list[str]:
    """Each row of the properties table as its visible text, tags dropped."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "<b>Tour</b> & fils Administrateur 1, rue Principale · 3 unités 100,00 $ 200,50 $ 1",
                "Vide Gestionnaire 1 unité 0,00 $ 0,00 $ 0",
            ],
        ),
        (
            "en",
            [
                "<b>Tour</b> & fils Administrator 1, rue Principale · 3 units $100.00 $200.50 1",
                "Vide Manager 1 unit $0.00 $0.00 0",
            ],
        ),
    ],
)
def test_each_row_reads_name_role_place_and_balances_escaped(language: str, expected: list[str]) -> None:
    """The rows are written by the view (decision 0041), not the template: what a person reads, in
    each language, with a name that looks like markup shown as typed, never as markup."""
    user = UserFactory(language=language)
    client = Client()
    client.force_login(user)
    (busy,) = _portfolio(1, user)
    Property.objects.filter(pk=busy.pk).update(name="<b>Tour</b> & fils")
    empty = PropertyFactory(name="Vide", address="")
    UnitFactory(property=empty)
    MembershipFactory(user=user, property=empty, role=Role.MANAGER)
    page, _ = _get(client, "/p/")
    assert "<b>Tour</b>" not in page and "&lt;b&gt;Tour&lt;/b&gt; &amp; fils" in page
    assert [row.replace("\xa0", " ") for row in _rows(page)] == expected
    assert f'href="/p/{busy.pk}/"' in page and f'href="/p/{empty.pk}/"' in page
    # Overdue in red only where an invoice is overdue.
    assert page.count("text-end amount text-danger") == 1


def test_one_time_zone_and_several_give_the_same_overdue() -> None:
    """Properties all in one time zone take the query's short path (no condition per zone)."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    props = _portfolio(3, user)
    Property.objects.filter(pk__in=[p.pk for p in props]).update(timezone="America/Toronto")
    page, _ = _get(client, "/p/")
    assert page.count("200,50") == 3 and page.count("text-end amount text-danger") == 3


def test_the_search_ignores_accents_and_case_and_finds_a_unit_by_two_characters() -> None:
    user = UserFactory()
    mine = _portfolio(2, user)
    ResidentFactory(property=mine[0], name="Josée Côté", email="jc@example.com")
    ResidentFactory(property=mine[1], name="Hélène Bélanger", email="HB@Example.com")
    UnitFactory(property=mine[1], number="PH-12")
    client = Client()
    client.force_login(user)
    assert "Josée Côté" in _get(client, "/p/?q=cote")[0]
    assert "Josée Côté" in _get(client, "/p/?q=JOSEE COTE")[0]
    assert "Hélène Bélanger" in _get(client, "/p/?q=belanger")[0]
    assert "Hélène Bélanger" in _get(client, "/p/?q=hb@example")[0]
    assert "Unité PH-12" in _get(client, "/p/?q=ph")[0]  # shorter than a trigram: case ignored
    assert "Unité PH-12" in _get(client, "/p/?q=PH-12")[0]
