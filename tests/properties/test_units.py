"""Units: natural order, unique numbers, shares, forms that say what is wrong beside the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties import services
from logis.properties.models import Property, Unit, natural_key
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member


def units_url(prop: Property) -> str:
    return reverse("properties:units", args=[prop.pk])


def add_url(prop: Property) -> str:
    return reverse("properties:unit_add", args=[prop.pk])


def test_unit_numbers_sort_naturally() -> None:
    numbers = ["PH-1", "101", "10", "2", "B-3", "B-12", "1a"]
    assert sorted(numbers, key=natural_key) == ["1a", "2", "10", "101", "B-3", "B-12", "PH-1"]


def test_units_list_is_in_natural_order(prop: Property, manager_client: Client) -> None:
    for number in ["PH-1", "101", "10", "2"]:
        UnitFactory(property=prop, number=number)
    html = manager_client.get(units_url(prop)).content.decode()
    positions = [html.index(f">{n}</a>") for n in ["2", "10", "101", "PH-1"]]
    assert positions == sorted(positions)


def test_units_list_shows_share_primary_resident_and_sum(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101", share=Decimal("60.5"))
    UnitFactory(property=prop, number="102", share=Decimal("39.5"))
    OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Marie Tremblay"), is_primary=True
    )
    response = manager_client.get(units_url(prop))
    html = response.content.decode()
    assert "Marie Tremblay" in html
    assert "60,5" in html
    assert "100&nbsp;%" in html
    assert "Aucun résident principal" in html  # unit 102
    assert 'id="shares-warning"' not in html


def test_units_list_warns_when_shares_do_not_total_100(prop: Property, manager_client: Client) -> None:
    UnitFactory(property=prop, number="101", share=Decimal("60"))
    UnitFactory(property=prop, number="102", share=Decimal("30"))
    html = manager_client.get(units_url(prop)).content.decode()
    assert 'id="shares-warning"' in html
    assert "Les quotes-parts totalisent 90 % au lieu de 100 %." in html


def test_units_list_warns_when_some_units_have_no_share(prop: Property, manager_client: Client) -> None:
    UnitFactory(property=prop, number="101", share=Decimal("100"))
    UnitFactory(property=prop, number="102")
    html = manager_client.get(units_url(prop)).content.decode()
    assert "Seulement 1 unité sur 2 a une quote-part." in html


def test_units_list_does_not_warn_when_shares_are_unused(prop: Property, manager_client: Client) -> None:
    UnitFactory(property=prop, number="101")
    html = manager_client.get(units_url(prop)).content.decode()
    assert 'id="shares-warning"' not in html


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_units_list_query_count_is_constant_for_5_or_50_units(prop: Property, manager_client: Client) -> None:
    def add_units(start: int, count: int) -> None:
        for i in range(start, start + count):
            unit = UnitFactory(property=prop, number=str(i), share=Decimal("1"))
            OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop))

    add_units(1, 5)
    with_5 = _count_queries(manager_client, units_url(prop))
    add_units(6, 45)
    with_50 = _count_queries(manager_client, units_url(prop))
    assert with_5 == with_50 <= 8


def test_units_list_is_paginated(prop: Property, manager_client: Client) -> None:
    for i in range(60):
        UnitFactory(property=prop, number=str(i + 1))
    html = manager_client.get(units_url(prop)).content.decode()
    assert ">50</a>" in html and ">51</a>" not in html
    html2 = manager_client.get(units_url(prop) + "?page=2").content.decode()
    assert ">51</a>" in html2


def test_add_unit_saves_trimmed_number_and_french_share(prop: Property, manager_client: Client) -> None:
    response = manager_client.post(add_url(prop), {"number": "  PH-2 ", "share": "4,1667"})
    unit = Unit.objects.get(property=prop)
    assert response.status_code == 302
    assert response["Location"] == reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    assert unit.number == "PH-2"
    assert unit.share == Decimal("4.1667")
    follow = manager_client.get(response["Location"])
    assert "L&#x27;unité PH-2 a été ajoutée." in follow.content.decode()


def _field_error(html: str, field_id: str) -> str:
    """The message shown beside a field (its invalid-feedback element)."""
    marker = f'id="{field_id}_error">'
    assert marker in html, f"no error beside {field_id}"
    start = html.index(marker) + len(marker)
    return html[start : html.index("</div>", start)]


@pytest.mark.parametrize(
    ("data", "field", "french", "english"),
    [
        ({"number": ""}, "id_number", "Ce champ est obligatoire.", "This field is required."),
        ({"number": "   "}, "id_number", "Ce champ est obligatoire.", "This field is required."),
        ({"number": "X" * 21}, "id_number", "au plus 20 caractères", "at most 20 characters"),
        (
            {"number": "1", "share": "abc"},
            "id_share",
            "Entrez un pourcentage comme 4,1667.",
            "such as 4.1667",
        ),
        ({"number": "1", "share": "100,5"}, "id_share", "entre 0 et 100", "between 0 and 100"),
        ({"number": "1", "share": "-1"}, "id_share", "pourcentage", "percentage"),
        ({"number": "1", "share": "1,23456"}, "id_share", "au plus 4 décimales", "at most 4 decimals"),
    ],
)
def test_add_unit_refuses_bad_input_beside_the_field_in_both_languages(
    data: dict[str, str],
    field: str,
    french: str,
    english: str,
    prop: Property,
    manager: User,
    manager_client: Client,
) -> None:
    response = manager_client.post(add_url(prop), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert french in _field_error(html, field).replace("&#x27;", "'")
    assert 'aria-invalid="true"' in html and "is-invalid" in html
    # What was typed is kept.
    if data.get("number", "").strip():
        assert f'value="{data["number"]}"' in html
    manager.language = "en"
    manager.save()
    html_en = manager_client.post(add_url(prop), data).content.decode()
    assert english in _field_error(html_en, field)
    assert not Unit.objects.filter(property=prop).exists()


@pytest.mark.parametrize("typed", ["101", " 101 ", "101 ", "ph-1", "PH-1"])
def test_unit_numbers_are_unique_in_the_property_whatever_the_case_or_spaces(
    typed: str, prop: Property, manager_client: Client
) -> None:
    UnitFactory(property=prop, number="101")
    UnitFactory(property=prop, number="PH-1")
    response = manager_client.post(add_url(prop), {"number": typed})
    assert response.status_code == 200
    assert "existe déjà dans cette propriété" in _field_error(response.content.decode(), "id_number")
    assert Unit.objects.filter(property=prop).count() == 2


def test_same_unit_number_is_allowed_in_another_property(prop: Property, manager: User) -> None:
    UnitFactory(property=PropertyFactory(), number="101")
    unit = services.create_unit(actor=manager, property=prop, number="101")
    assert unit.number == "101"


def test_database_refuses_a_duplicate_number_even_across_case(prop: Property) -> None:
    UnitFactory(property=prop, number="ph-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(property=prop, number="PH-1")


def test_create_unit_turns_the_database_race_into_a_field_error(prop: Property, manager: User) -> None:
    """Two managers adding the same number at once: the loser gets the message, not a 500."""
    unit = Unit(property=prop, number="7")
    unit.save()
    with pytest.raises(ValidationError) as exc:
        services._save_unit(Unit(property=prop, number="7"), "7")
    assert "number" in exc.value.errors
    assert Unit.objects.filter(property=prop).count() == 1


def test_edit_unit_keeps_the_number_unique_and_audits_the_change(
    prop: Property, manager: User, manager_client: Client
) -> None:
    unit = UnitFactory(property=prop, number="101", share=Decimal("10"))
    UnitFactory(property=prop, number="102")
    edit = reverse("properties:unit_edit", args=[prop.pk, unit.pk])
    html = manager_client.post(edit, {"number": "102", "share": ""}).content.decode()
    assert "existe déjà" in _field_error(html, "id_number")
    response = manager_client.post(edit, {"number": "101A", "share": "12,5"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.number, unit.share) == ("101A", Decimal("12.5000"))
    event = AuditEvent.objects.get(verb="unit.updated")
    assert event.actor == manager
    assert event.property == prop
    assert event.before == {"number": "101", "share": "10.0000"}
    assert event.after == {"number": "101A", "share": "12.5000"}


def test_edit_form_shows_the_share_as_french_people_write_it(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101", share=Decimal("4.1667"))
    html = manager_client.get(reverse("properties:unit_edit", args=[prop.pk, unit.pk])).content.decode()
    assert 'value="4,1667"' in html


def test_create_unit_writes_an_audit_event(prop: Property, manager: User) -> None:
    unit = services.create_unit(actor=manager, property=prop, number="201", share="5")
    event = AuditEvent.objects.get(verb="unit.created")
    assert event.object_id == str(unit.pk)
    assert event.before is None
    assert event.after == {"number": "201", "share": "5.0000"}


@pytest.mark.parametrize("role", [Role.TREASURER, Role.BOARD])
def test_only_admins_and_managers_may_create_units(role: str, prop: Property) -> None:
    with pytest.raises(PermissionDenied):
        services.create_unit(actor=member(prop, role), property=prop, number="1")
    assert not Unit.objects.exists()


def test_a_user_without_role_cannot_create_units_through_the_service(prop: Property) -> None:
    outsider = member(PropertyFactory(), Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.create_unit(actor=outsider, property=prop, number="1")


def test_unit_detail_lists_residents_primary_and_invoice_link(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Marie Tremblay"), is_primary=True
    )
    OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Luc Roy"), is_primary=False, kind="tenant"
    )
    html = manager_client.get(reverse("properties:unit_detail", args=[prop.pk, unit.pk])).content.decode()
    assert "Marie Tremblay" in html and "Luc Roy" in html
    assert "Locataire" in html and "Propriétaire" in html
    assert f"{reverse('invoicing:list', args=[prop.pk])}?unit={unit.pk}" in html
    assert "Principal" in html


def test_script_in_a_unit_number_is_shown_escaped(prop: Property, manager_client: Client) -> None:
    manager_client.post(add_url(prop), {"number": "<b>x</b>"})
    html = manager_client.get(units_url(prop)).content.decode()
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
