"""Residents: add/edit with validated input, links to units, one primary resident per unit (or none)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.errors import NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties import services
from logis.properties.models import Occupancy, Property, Resident
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member


def changes(values: Any) -> dict[str, Any]:
    """An audit event's before/after values (a dict; the JSON field is typed loosely)."""
    assert isinstance(values, dict)
    return values


def add_url(prop: Property) -> str:
    return reverse("properties:resident_add", args=[prop.pk])


def _field_error(html: str, field_id: str) -> str:
    marker = f'id="{field_id}_error">'
    assert marker in html, f"no error beside {field_id}"
    start = html.index(marker) + len(marker)
    return html[start : html.index("</div>", start)].replace("&#x27;", "'")


def _primary_of(unit_id: int) -> str | None:
    occupancy = Occupancy.objects.filter(unit_id=unit_id, is_primary=True).select_related("resident").first()
    return occupancy.resident.name if occupancy else None


def test_add_resident_with_a_unit_as_primary(prop: Property, manager: User, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    response = manager_client.post(
        add_url(prop),
        {
            "name": "  Marie   Tremblay ",
            "email": "Marie@Example.com",
            "phone": "514 555-0123",
            "language": "en",
            "unit": str(unit.pk),
            "kind": "tenant",
            "primary": "on",
        },
    )
    assert response.status_code == 302
    resident = Resident.objects.get(property=prop)
    assert (resident.name, resident.email, resident.phone, resident.language) == (
        "Marie Tremblay",
        "marie@example.com",
        "514 555-0123",
        "en",
    )
    link = Occupancy.objects.get(resident=resident)
    assert (link.unit, link.kind, link.is_primary) == (unit, "tenant", True)
    verbs = list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["resident.created", "resident.linked", "unit.primary_resident_set"]


def test_add_resident_without_unit(prop: Property, manager_client: Client) -> None:
    response = manager_client.post(add_url(prop), {"name": "Jean Gagnon", "language": "fr"})
    assert response.status_code == 302
    assert Resident.objects.get(property=prop).occupancies.count() == 0


@pytest.mark.parametrize(
    ("data", "field", "french", "english"),
    [
        ({"name": ""}, "id_name", "Ce champ est obligatoire.", "This field is required."),
        ({"name": "x" * 121}, "id_name", "au plus 120 caractères", "at most 120 characters"),
        (
            {"name": "A", "email": "pas-un-courriel"},
            "id_email",
            "adresse courriel valide",
            "valid email address",
        ),
        ({"name": "A", "email": "a@b"}, "id_email", "adresse courriel valide", "valid email address"),
        ({"name": "A", "phone": "<script>"}, "id_phone", "numéro de téléphone", "phone number"),
        ({"name": "A", "primary": "on"}, "id_unit", "Choisissez l'unité", "Choose the unit"),
    ],
)
def test_add_resident_refuses_bad_input_beside_the_field_in_both_languages(
    data: dict[str, str],
    field: str,
    french: str,
    english: str,
    prop: Property,
    manager: User,
    manager_client: Client,
) -> None:
    data = {"language": "fr", **data}
    html = manager_client.post(add_url(prop), data).content.decode()
    assert french in _field_error(html, field)
    if data["name"]:
        assert f'value="{data["name"]}"' in html  # what was typed is kept
    manager.language = "en"
    manager.save()
    html_en = manager_client.post(add_url(prop), data).content.decode()
    assert english in _field_error(html_en, field)
    assert not Resident.objects.exists()


def test_a_failed_link_saves_nothing_half_way(prop: Property, manager_client: Client) -> None:
    other_unit = UnitFactory(property=PropertyFactory(), number="999")
    html = manager_client.post(
        add_url(prop), {"name": "Marie", "language": "fr", "unit": str(other_unit.pk)}
    ).content.decode()
    assert "Sélectionnez un choix valide" in _field_error(html, "id_unit")
    assert not Resident.objects.exists()


def test_script_typed_into_a_name_is_shown_escaped(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    name = '<script>alert("x")</script>'
    manager_client.post(add_url(prop), {"name": name, "language": "fr", "unit": unit.pk, "primary": "on"})
    resident = Resident.objects.get()
    assert resident.name == name  # kept as typed: it is text, never markup
    for url in [
        reverse("properties:residents", args=[prop.pk]),
        reverse("properties:resident_detail", args=[prop.pk, resident.pk]),
        reverse("properties:units", args=[prop.pk]),
        reverse("properties:unit_detail", args=[prop.pk, unit.pk]),
    ]:
        html = manager_client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert" in html, url


def test_edit_resident_audits_before_and_after(prop: Property, manager: User, manager_client: Client) -> None:
    resident = ResidentFactory(property=prop, name="Marie", email="m@example.com", language="fr")
    response = manager_client.post(
        reverse("properties:resident_edit", args=[prop.pk, resident.pk]),
        {"name": "Marie Tremblay", "email": "m@example.com", "phone": "", "language": "en"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="resident.updated")
    assert event.actor == manager
    assert changes(event.before)["name"] == "Marie" and changes(event.after)["name"] == "Marie Tremblay"
    assert changes(event.before)["language"] == "fr" and changes(event.after)["language"] == "en"


def test_residents_list_search_by_name_or_email(prop: Property, manager_client: Client) -> None:
    ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com")
    ResidentFactory(property=prop, name="Jean Gagnon", email="jg@courriel.example")
    url = reverse("properties:residents", args=[prop.pk])
    html = manager_client.get(url, {"q": "tremb"}).content.decode()
    assert "Marie Tremblay" in html and "Jean Gagnon" not in html
    html = manager_client.get(url, {"q": "courriel.example"}).content.decode()
    assert "Jean Gagnon" in html and "Marie Tremblay" not in html


def test_residents_list_shows_units_and_primary_marker(prop: Property, manager_client: Client) -> None:
    resident = ResidentFactory(property=prop, name="Marie Tremblay", phone="514 555-0000")
    OccupancyFactory(unit=UnitFactory(property=prop, number="101"), resident=resident, is_primary=True)
    OccupancyFactory(unit=UnitFactory(property=prop, number="205"), resident=resident, is_primary=False)
    html = manager_client.get(reverse("properties:residents", args=[prop.pk])).content.decode()
    assert "514 555-0000" in html and "101" in html and "205" in html
    assert html.count(">Principal<") == 1


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_residents_list_query_count_is_constant_for_5_or_50_residents(
    prop: Property, manager_client: Client
) -> None:
    def add(start: int, count: int) -> None:
        for i in range(start, start + count):
            OccupancyFactory(
                unit=UnitFactory(property=prop, number=str(i)), resident=ResidentFactory(property=prop)
            )

    add(1, 5)
    url = reverse("properties:residents", args=[prop.pk])
    with_5 = _count_queries(manager_client, url)
    add(6, 45)
    assert _count_queries(manager_client, url) == with_5 <= 8


def test_setting_a_new_primary_resident_unsets_the_old_one(prop: Property, manager: User) -> None:
    unit = UnitFactory(property=prop, number="101")
    first = OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Marie"), is_primary=True
    )
    second = OccupancyFactory(
        unit=unit, resident=ResidentFactory(property=prop, name="Jean"), is_primary=False
    )
    services.set_primary_resident(
        actor=manager, property=prop, unit_id=unit.pk, resident_id=second.resident_id
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    event = AuditEvent.objects.get(verb="unit.primary_resident_set")
    assert changes(event.before)["primary_resident_name"] == "Marie"
    assert changes(event.after)["primary_resident_name"] == "Jean"


def test_a_unit_may_have_no_primary_resident(prop: Property, manager: User, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop), is_primary=True)
    response = manager_client.post(
        reverse("properties:unit_detail", args=[prop.pk, unit.pk]), {"resident": ""}
    )
    assert response.status_code == 302
    assert _primary_of(unit.pk) is None


def test_choose_primary_resident_on_the_unit_page(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Marie"), is_primary=True)
    jean = OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Jean"), is_primary=False)
    url = reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    assert manager_client.post(url, {"resident": jean.resident_id}).status_code == 302
    assert _primary_of(unit.pk) == "Jean"


def test_primary_resident_must_be_linked_to_the_unit(prop: Property, manager: User) -> None:
    unit = UnitFactory(property=prop, number="101")
    stranger = ResidentFactory(property=prop)
    with pytest.raises(ValidationError):
        services.set_primary_resident(actor=manager, property=prop, unit_id=unit.pk, resident_id=stranger.pk)


def test_database_allows_one_primary_resident_per_unit(prop: Property) -> None:
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop), is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop), is_primary=True)


def test_link_as_primary_replaces_the_current_primary(
    prop: Property, manager: User, manager_client: Client
) -> None:
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Marie"), is_primary=True)
    jean = ResidentFactory(property=prop, name="Jean")
    response = manager_client.post(
        reverse("properties:resident_detail", args=[prop.pk, jean.pk]),
        {"link-unit": unit.pk, "link-kind": "tenant", "link-primary": "on"},
    )
    assert response.status_code == 302
    assert _primary_of(unit.pk) == "Jean"
    assert Occupancy.objects.filter(unit_id=unit.pk).count() == 2


def test_a_resident_is_linked_once_per_unit(prop: Property, manager: User) -> None:
    unit = UnitFactory(property=prop, number="101")
    link = OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop))
    with pytest.raises(ValidationError) as exc:
        services.link_resident(actor=manager, property=prop, resident_id=link.resident_id, unit_id=unit.pk)
    assert "unit" in exc.value.errors


def test_unlink_removes_the_link_and_the_primary_with_it(
    prop: Property, manager: User, manager_client: Client
) -> None:
    unit = UnitFactory(property=prop, number="101")
    link = OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop), is_primary=True)
    response = manager_client.post(reverse("properties:occupancy_unlink", args=[prop.pk, link.pk]))
    assert response.status_code == 302
    assert not Occupancy.objects.filter(pk=link.pk).exists()
    assert _primary_of(unit.pk) is None
    assert changes(AuditEvent.objects.get(verb="resident.unlinked").before)["is_primary"] is True


def test_make_primary_button(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Marie"), is_primary=True)
    jean = OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Jean"), is_primary=False)
    manager_client.post(reverse("properties:occupancy_make_primary", args=[prop.pk, jean.pk]))
    assert _primary_of(unit.pk) == "Jean"


@pytest.mark.parametrize("role", [Role.TREASURER, Role.BOARD])
def test_only_admins_and_managers_change_residents(role: str, prop: Property) -> None:
    actor = member(prop, role)
    unit = UnitFactory(property=prop)
    resident = ResidentFactory(property=prop)
    with pytest.raises(PermissionDenied):
        services.create_resident(actor=actor, property=prop, name="X")
    with pytest.raises(PermissionDenied):
        services.link_resident(actor=actor, property=prop, resident_id=resident.pk, unit_id=unit.pk)
    with pytest.raises(PermissionDenied):
        services.set_primary_resident(actor=actor, property=prop, unit_id=unit.pk, resident_id=None)


def test_a_resident_of_another_property_cannot_be_linked(prop: Property, manager: User) -> None:
    unit = UnitFactory(property=prop)
    foreign = ResidentFactory(property=PropertyFactory())
    with pytest.raises(NotFound):
        services.link_resident(actor=manager, property=prop, resident_id=foreign.pk, unit_id=unit.pk)


def test_link_an_existing_resident_from_the_unit_page(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    jean = ResidentFactory(property=prop, name="Jean Gagnon")
    url = reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    html = manager_client.get(url).content.decode()
    assert '<label class="form-label" for="id_existing-resident">Résident existant</label>' in html
    response = manager_client.post(
        url, {"op": "link", "existing-resident": jean.pk, "existing-kind": "tenant"}
    )
    assert response.status_code == 302
    link = Occupancy.objects.get(unit_id=unit.pk)
    assert (link.resident_id, link.kind, link.is_primary) == (jean.pk, "tenant", False)
    html = manager_client.get(url).content.decode()
    assert "Jean Gagnon" in html and 'id="id_existing-resident"' not in html  # nobody left to link


def test_linking_from_the_unit_page_without_choosing_says_so(prop: Property, manager_client: Client) -> None:
    unit = UnitFactory(property=prop, number="101")
    ResidentFactory(property=prop)
    url = reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    html = manager_client.post(
        url, {"op": "link", "existing-resident": "", "existing-kind": "owner"}
    ).content.decode()
    assert "Ce champ est obligatoire." in _field_error(html, "id_existing-resident")
    assert not Occupancy.objects.exists()
