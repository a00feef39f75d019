"""API v1: « Unités > Importer » (units, residents and opening balances from a CSV or XLSX file)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile

from logis.api.auth import property_for
from logis.api.common import WRITE_ERRORS, PropertyId
from logis.api.schemas import ImportOut, ImportRefusedOut
from logis.core.errors import ValidationError
from logis.core.permissions import Action
from logis.imports import services as import_services
from logis.imports.parsing import MAX_BYTES

router = Router()


def _import_body(
    batch_id: int, plan: import_services.ImportPlan, *, dry_run: bool, imported: bool
) -> dict[str, Any]:
    return {
        "id": batch_id,
        "dry_run": dry_run,
        "imported": imported,
        "rows": plan.rows,
        "counts": plan.counts,
        "errors": [{"line": e.line, "column": e.column, "message": e.message} for e in plan.errors],
        "unknown_columns": plan.unknown_columns,
        "notices": plan.notices,
        "shares_total": None if plan.shares_total is None else format(plan.shares_total, "f"),
        "shares_balanced": plan.shares_balanced,
    }


@router.post(
    "/properties/{int:property_id}/imports",
    response={200: ImportOut, 201: ImportOut, **WRITE_ERRORS, 422: ImportRefusedOut},
    summary="Import units, residents and opening balances",
    description=(
        "A CSV (UTF-8 or Windows-1252, ``,`` or ``;``) or XLSX file as « Unités > Importer » takes it "
        "(at most 10 MB). With ``dry_run=1`` nothing is written: 200 with what would be created, changed "
        "and refused. "
        "Otherwise 201 once imported in one transaction, or 422 with ``row_errors`` and nothing written."
    ),
    tags=["imports"],
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    property_id: int = PropertyId,
    dry_run: bool = Query(False, description="1: preview only, nothing is written."),  # type: ignore[type-arg]
) -> Status[dict[str, Any]]:
    access = property_for(request, property_id, Action.MANAGE_UNITS)
    if file.size is not None and file.size > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than %(max)d MB: split it.") % {"max": 10}})
    batch, plan = import_services.preview_import(
        actor=access.user, property=access.property, name=file.name or "import", data=file.read()
    )
    if dry_run:
        return Status(200, _import_body(batch.pk, plan, dry_run=True, imported=False))
    if not plan.ok:
        return Status(
            422,
            {
                "errors": {"file": [_("The file has refused rows: correct them and upload it again.")]},
                "row_errors": _import_body(batch.pk, plan, dry_run=False, imported=False)["errors"],
            },
        )
    applied, plan = import_services.apply_import(
        actor=access.user, property=access.property, batch_id=batch.pk
    )
    return Status(201, _import_body(applied.pk, plan, dry_run=False, imported=True))
