"""Creating and editing an invoice: the form, its lines (a formset that grows and shrinks without
JavaScript) and the checks of the service shown beside the fields."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from logis.core.errors import InvalidTransition, ValidationError
from logis.core.forms import add_service_errors
from logis.core.permissions import Action, Role
from logis.core.views import is_htmx
from logis.finances import selectors as finance_selectors
from logis.finances.models import ChargeCategory
from logis.invoicing import selectors, services
from logis.invoicing.forms import (
    LINES_PREFIX,
    InvoiceForm,
    lines_formset,
    posted_rows,
    style_line_form,
)
from logis.invoicing.lines import LineInput
from logis.invoicing.models import InvoiceStatus
from logis.invoicing.views import _get_detail, _payment_settings_url, _today
from logis.properties.access import PropertyRequest, property_view


def _invoice_form_context(request: PropertyRequest, form: InvoiceForm, lines: Any = None) -> dict[str, Any]:
    unit_id = form.data.get("unit") if form.is_bound else form.initial.get("unit")
    warning = (
        selectors.unit_email_warning(request.property, int(str(unit_id)))
        if str(unit_id or "").isdigit()
        else None
    )
    return {
        "form": form,
        "unit_warning": warning,
        "lines": lines,
        "default_category": finance_selectors.default_category(request.property),
    }


def _service_input(form: InvoiceForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "unit_id": data["unit"],
        "title": data["title"],
        "amount": data.get("amount"),
        "due_date": data["due_date"],
        "description": data.get("description", ""),
        "notify_resident": bool(data.get("notify_resident")),
    }


def _line_action(request: PropertyRequest) -> tuple[str, int] | None:
    """« Ajouter une ligne » (``add``) or « Retirer » a row (``remove``, its index): the form is shown
    again with one row more or less, nothing is saved and nothing is refused yet."""
    if "add_line" in request.POST:
        return "add", -1
    removed = str(request.POST.get("remove_line", ""))
    if removed.isdigit():
        return "remove", int(removed)
    return None


def _rows_after(request: PropertyRequest, action: tuple[str, int]) -> list[dict[str, str]]:
    rows = posted_rows(request.POST)
    kind, index = action
    if kind == "add":
        rows.append({"description": "", "category": "", "amount": ""})
    elif 0 <= index < len(rows):
        rows.pop(index)
    return rows


def _form_initial(request: PropertyRequest) -> dict[str, Any]:
    """What was typed in the invoice's own fields, to show it again unchanged (and without errors)."""
    post = request.POST
    initial: dict[str, Any] = {
        name: post.get(name, "") for name in ("unit", "title", "amount", "due_date", "description", "token")
    }
    initial["notify_resident"] = bool(post.get("notify_resident"))
    return initial


def _typed_lines(formset: Any) -> tuple[list[LineInput], list[int], bool]:
    """The rows that are not blank, as service input, the index in the formset of each, and whether all
    of them are valid (each invalid row already shows its errors)."""
    lines: list[LineInput] = []
    indexes: list[int] = []
    valid = True
    for i, form in enumerate(formset):
        if form.is_blank():
            continue
        if not form.is_valid():
            valid = False
            continue
        data = form.cleaned_data
        lines.append(
            LineInput(description=data["description"], category_id=data["category"], amount=data["amount"])
        )
        indexes.append(i)
    return lines, indexes, valid


def _add_line_errors(
    errors: dict[str, list[Any]], form: InvoiceForm, formset: Any, indexes: list[int | None]
) -> dict[str, list[Any]]:
    """Put the service's ``lines.<i>.<field>`` errors beside the fields of row ``indexes[i]`` (None: the
    first line of the create dialog, made of « Titre » and « Montant »); return the other errors."""
    rest: dict[str, list[Any]] = {}
    for key, messages_ in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(indexes):
            row, field = indexes[int(parts[1])], parts[2]
            if row is None:
                target = {"description": "title", "amount": "amount"}.get(field, "__all__")
                rest.setdefault(target, []).extend(messages_)
            else:
                row_form = formset.forms[row]
                for message in messages_:
                    row_form.add_error(field if field in row_form.fields else None, str(message))
        elif key == "lines":
            rest.setdefault("__all__", []).extend(messages_)
        else:
            rest[key] = messages_
    for row_form in formset:
        style_line_form(row_form)
    return rest


def _categories(request: PropertyRequest, keep: tuple[int, ...] = ()) -> list[ChargeCategory]:
    """Active categories, and those the draft's lines already use (a category deactivated since)."""
    return [c for c in finance_selectors.categories(request.property) if c.is_active or c.pk in keep]


@require_http_methods(["GET", "POST"])
@property_view(Action.CREATE_INVOICE)
def invoice_create(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    htmx = is_htmx(request)
    template = "invoicing/_create_dialog.html" if htmx else "invoicing/invoice_create.html"
    if not prop.payments_enabled:
        return render(
            request,
            "invoicing/payments_off.html",
            {"is_admin": request.role == Role.ADMIN, "payment_settings_url": _payment_settings_url(prop.pk)},
            status=403,
        )
    units = selectors.unit_options(prop)
    today = _today(request)
    warning_url = reverse("invoicing:unit_warning", args=[prop.pk])
    categories = _categories(request)
    if request.method == "GET":
        initial: dict[str, Any] = {}
        if str(request.GET.get("unit", "")).isdigit():
            initial["unit"] = request.GET["unit"]
        form = InvoiceForm(units=units, today=today, initial=initial, warning_url=warning_url)
        lines = lines_formset(categories=categories)
        return render(request, template, _invoice_form_context(request, form, lines))
    action = _line_action(request)
    if action is not None:
        form = InvoiceForm(units=units, today=today, initial=_form_initial(request), warning_url=warning_url)
        lines = lines_formset(
            categories=categories, rows=_rows_after(request, action), focus_last=action[0] == "add"
        )
        return render(request, template, _invoice_form_context(request, form, lines))
    form = InvoiceForm(request.POST, units=units, today=today, warning_url=warning_url)
    lines = lines_formset(request.POST, categories=categories)
    extra, indexes, lines_valid = _typed_lines(lines)
    if form.is_valid() and lines_valid:
        service_input = _service_input(form)
        line_inputs: list[LineInput] | None = None
        if extra:
            # The dialog's own « Titre » and « Montant » are the first line, in the default category.
            line_inputs = [LineInput(service_input["title"], None, service_input["amount"]), *extra]
            service_input["amount"] = None
        try:
            invoice = services.create_invoice(
                actor=request.user,
                property=prop,
                creation_token=form.cleaned_data.get("token"),
                lines=line_inputs,
                **service_input,
            )
        except ValidationError as exc:
            add_service_errors(form, _add_line_errors(exc.errors, form, lines, [None, *indexes]))
        except InvalidTransition as exc:
            add_service_errors(form, {"__all__": [exc.message]})
        else:
            messages.success(request, _("The invoice was created."))
            if htmx:
                response = render(request, "includes/messages.html")
                response["HX-Retarget"] = "#messages"
                response["HX-Reswap"] = "outerHTML"
                response["HX-Trigger"] = json.dumps(
                    {"closeDialog": True, "invoicesChanged": {"id": invoice.pk}}
                )
                return response
            return HttpResponseRedirect(reverse("invoicing:list", args=[prop.pk]))
    # Errors: the form again, with what was typed and a message beside each field.
    return render(request, template, _invoice_form_context(request, form, lines))


@require_http_methods(["GET", "POST"])
@property_view(Action.EDIT_INVOICE)
def invoice_edit(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    """A draft's fields and its lines (« Ajouter une ligne », « Retirer »); the amount is their total."""
    detail = _get_detail(request, invoice_id)
    invoice = detail.invoice
    if invoice.status != InvoiceStatus.DRAFT or invoice.amount_paid > 0 or detail.payments:
        messages.error(request, _("Only draft invoices without payments can be edited."))
        return HttpResponseRedirect(reverse("invoicing:detail", args=[request.property.pk, invoice.pk]))
    units = selectors.unit_options(request.property)
    today = _today(request)
    warning_url = reverse("invoicing:unit_warning", args=[request.property.pk])
    current = list(invoice.lines.order_by("position"))
    categories = _categories(request, keep=tuple(line.category_id for line in current))
    form_kwargs: dict[str, Any] = {
        "units": units,
        "today": today,
        "with_token": False,
        "warning_url": warning_url,
        "with_amount": False,
    }
    action = _line_action(request) if request.method == "POST" else None
    if request.method == "GET":
        form = InvoiceForm(
            initial={
                "unit": str(invoice.unit_id),
                "title": invoice.title,
                "due_date": invoice.due_date,
                "description": invoice.description,
                "notify_resident": invoice.notify_resident,
            },
            **form_kwargs,
        )
        rows = [
            {"description": line.description, "category": str(line.category_id), "amount": line.amount}
            for line in current
        ]
        lines = lines_formset(categories=categories, rows=rows)
    elif action is not None:
        form = InvoiceForm(initial=_form_initial(request), **form_kwargs)
        lines = lines_formset(
            categories=categories, rows=_rows_after(request, action), focus_last=action[0] == "add"
        )
    else:
        # A post without the lines (an older form, a script) changes the amount of a one-line draft.
        with_lines = f"{LINES_PREFIX}-TOTAL_FORMS" in request.POST
        form = InvoiceForm(request.POST, **{**form_kwargs, "with_amount": not with_lines})
        lines = lines_formset(request.POST if with_lines else None, categories=categories)
        typed, indexes, lines_valid = _typed_lines(lines) if with_lines else ([], [], True)
        if not with_lines:
            lines = None
        if form.is_valid() and lines_valid:
            try:
                services.update_invoice(
                    actor=request.user,
                    invoice_id=invoice.pk,
                    property=request.property,
                    lines=typed if with_lines else None,
                    **_service_input(form),
                )
            except ValidationError as exc:
                add_service_errors(form, _add_line_errors(exc.errors, form, lines, list(indexes)))
            except InvalidTransition as exc:
                add_service_errors(form, {"__all__": [exc.message]})
            else:
                messages.success(request, _("The invoice was saved."))
                return HttpResponseRedirect(
                    reverse("invoicing:detail", args=[request.property.pk, invoice.pk])
                )
    context = _invoice_form_context(request, form, lines)
    context["invoice"] = invoice
    context["editing"] = True
    return render(request, "invoicing/invoice_edit.html", context)
