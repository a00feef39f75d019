"""Who may use « Unités > Importer »: administrators and managers; other roles 403; no role 404; an import
of another property answers 404 to everyone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from logis.core.permissions import Role
from logis.imports.models import ImportBatch
from tests.roles import ROLES, Case, World, check_case, members_may

EDITORS = {Role.ADMIN, Role.MANAGER}


def _url(name: str, *args: object) -> object:
    return lambda w: reverse(f"properties:imports:{name}", args=[w.prop.pk, *args])


def _other_batch(w: World) -> str:
    admin = w.users[Role.ADMIN]
    assert admin is not None
    batch = ImportBatch.objects.create(
        property=w.other_prop,
        file_name="x.csv",
        file_sha256="0" * 64,
        content=b"",
        created_by=admin,
    )
    return reverse("properties:imports:preview", args=[w.prop.pk, batch.pk])


CASES = [
    Case("import page", "get", _url("start"), members_may(EDITORS, ok=200)),  # type: ignore[arg-type]
    Case("import template", "get", _url("template", "csv"), members_may(EDITORS, ok=200)),  # type: ignore[arg-type]
    # Roles that may import find nothing (404); the others are refused the page itself (403).
    Case("another property's import", "get", _other_batch, members_may(EDITORS, ok=404)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_import_pages_by_role(case: Case, role: str, world: World) -> None:
    check_case(case, role, world)
