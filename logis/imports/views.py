"""Unités > Importer: upload, preview (nothing written), confirm, undo. Thin views over the services."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from logis.accounts.models import User
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.permissions import Action
from logis.core.views import is_htmx
from logis.imports import planning, services
from logis.imports.forms import ImportFileForm
from logis.imports.models import ImportBatch, ImportStatus
from logis.imports.parsing import TEMPLATE_EXAMPLES, TEMPLATE_HEADERS
from logis.properties.access import PropertyRequest, property_view

PREVIEW_CHANGES_SHOWN = 300
PREVIEW_ERRORS_SHOWN = 500


def _actor(request: PropertyRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _start_context(request: PropertyRequest, form: ImportFileForm) -> dict[str, object]:
    history = services.import_history(property=request.property)
    latest_applied = next((b for b in history if b.status == ImportStatus.APPLIED), None)
    return {"form": form, "history": history, "latest_applied": latest_applied}


@property_view(Action.MANAGE_UNITS)
@require_http_methods(["GET", "POST"])
def import_start(request: PropertyRequest) -> HttpResponse:
    form = ImportFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch, _plan = services.preview_import(
            actor=_actor(request), property=request.property, name=upload.name, data=upload.read()
        )
        return redirect("properties:imports:preview", request.property.pk, batch.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/start.html", _start_context(request, form), status=status)


def _batch(request: PropertyRequest, batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.filter(property=request.property, pk=batch_id).first()
    if batch is None:
        raise NotFound(_("This import does not exist."))
    return batch


@property_view(Action.MANAGE_UNITS)
def import_preview(request: PropertyRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    if batch.status == ImportStatus.EXPIRED:
        messages.error(request, _("This preview has expired: upload the file again."))
    if batch.status != ImportStatus.PREVIEWED:
        return redirect("properties:imports:start", request.property.pk)
    plan = planning.plan_import(property=request.property, name=batch.file_name, data=bytes(batch.content))
    context = {
        "batch": batch,
        "plan": plan,
        "errors": plan.errors[:PREVIEW_ERRORS_SHOWN],
        "changes": [c for c in plan.changes if c.action != "unchanged"][:PREVIEW_CHANGES_SHOWN],
        "form": ImportFileForm(),
    }
    return render(request, "imports/preview.html", context)


@require_POST
@property_view(Action.MANAGE_UNITS)
def import_apply(request: PropertyRequest, batch_id: int) -> HttpResponse:
    try:
        batch, plan = services.apply_import(
            actor=_actor(request), property=request.property, batch_id=batch_id
        )
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, str(exc.message))
        return redirect("properties:imports:start", request.property.pk)
    counts = batch.counts
    messages.success(
        request,
        _(
            "Import done: %(units)d units created, %(updated)d updated, %(residents)d residents created, "
            "%(balances)d opening balances."
        )
        % {
            "units": counts.get("units_created", 0),
            "updated": counts.get("units_updated", 0),
            "residents": counts.get("residents_created", 0),
            "balances": counts.get("balances_created", 0),
        },
    )
    if not plan.shares_balanced:
        messages.warning(
            request, _("Shares total %(total)s %% instead of 100 %%.") % {"total": plan.shares_total}
        )
    return redirect("properties:imports:start", request.property.pk)


@property_view(Action.MANAGE_UNITS)
@require_http_methods(["GET", "POST"])
def import_undo(request: PropertyRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    start = reverse("properties:imports:start", args=[request.property.pk])
    htmx = is_htmx(request)
    if request.method == "POST":
        try:
            services.undo_import(actor=_actor(request), property=request.property, batch_id=batch.pk)
        except InvalidTransition as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The import of %(file)s was undone.") % {"file": batch.file_name})
        if htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = start
            return response
        return HttpResponseRedirect(start)
    template = "imports/_undo_dialog.html" if htmx else "imports/undo.html"
    return render(request, template, {"batch": batch, "blocker": services.undo_blocker(batch=batch)})


@property_view(Action.MANAGE_UNITS)
def import_template(request: PropertyRequest, fmt: str) -> HttpResponse:
    """The template in the user's language, as CSV (UTF-8 with BOM, « ; » in French) or XLSX."""
    language = "fr" if (translation.get_language() or "fr").startswith("fr") else "en"
    header = TEMPLATE_HEADERS[language]
    rows = TEMPLATE_EXAMPLES[language]
    name = "modele-import" if language == "fr" else "import-template"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";" if language == "fr" else ",", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook  # type: ignore[import-untyped]

        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        data = io.BytesIO()
        book.save(data)
        response = HttpResponse(
            data.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        raise NotFound(_("This template does not exist."))
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
