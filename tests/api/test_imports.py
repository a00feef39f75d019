"""POST /api/v1/properties/{id}/imports: the same import as the page, ``dry_run=1`` for the preview."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from logis.core.permissions import Role
from logis.properties.models import Unit
from tests.imports.helpers import csv_bytes
from tests.roles import World

GOOD = [["201", "10", "Owner", "Ana", "Roy", "ana@example.com", "yes", "250.00", "2026-01-01"]]
BAD = [["201", "3,5 %", "Owner", "Ana", "Roy", "not-an-email", "", "", ""]]
EN = ["Unit", "Share", "Role", "First name", "Last name", "Email", "Primary", "Opening balance",
      "Balance date"]  # fmt: skip


def _post(api: Any, world: World, data: bytes, query: str = "") -> Any:
    return api.client.post(
        f"/api/v1/properties/{world.prop.pk}/imports{query}",
        {"file": SimpleUploadedFile("units.csv", data)},
        headers=api.headers,
    )


def test_dry_run_answers_the_preview_and_writes_nothing(world: World, api_for: Any) -> None:
    response = _post(api_for(Role.MANAGER, "en"), world, csv_bytes(BAD, header=EN, sep=","), "?dry_run=1")
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["imported"] is False
    assert body["errors"] == [
        {"line": 2, "column": "Email", "message": "Enter a valid email address, such as name@example.com."}
    ]
    assert not Unit.objects.filter(property=world.prop, number="201").exists()


def test_import_writes_and_refusal_writes_nothing(world: World, api_for: Any) -> None:
    api = api_for(Role.MANAGER, "fr")
    refused = _post(api, world, csv_bytes(BAD, header=EN, sep=","))
    assert refused.status_code == 422
    assert refused.json()["row_errors"][0]["column"] == "Email"
    assert not Unit.objects.filter(property=world.prop, number="201").exists()
    created = _post(api, world, csv_bytes(GOOD, header=EN, sep=","))
    assert created.status_code == 201, created.content
    assert created.json()["counts"]["units_created"] == 1
    assert Unit.objects.filter(property=world.prop, number="201").exists()
    again = _post(api, world, csv_bytes(GOOD, header=EN, sep=","))
    assert again.json()["counts"]["units_created"] == 0


def test_treasurer_may_not_import(world: World, api_for: Any) -> None:
    response = _post(api_for(Role.TREASURER), world, csv_bytes(GOOD, header=EN, sep=","))
    assert response.status_code == 403
