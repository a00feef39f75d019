"""The Factures pages. Thin: forms read input, services change state, selectors read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, ValidationError
from logis.core.forms import add_service_errors
from logis.core.links import path_maker
from logis.core.permissions import Action, Role
from logis.core.views import is_htmx
from logis.documents.responses import invoice_pdf_response
from logis.documents.selectors import invoice_document
from logis.finances import selectors as finance_selectors
from logis.invoicing import selectors, services
from logis.invoicing.emails import invoice_email_blocker
from logis.invoicing.forms import (
    InvoiceFilterForm,
    VoidForm,
)
from logis.invoicing.lines import lines_summary
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.access import PropertyRequest, property_view
from logis.properties.selectors import primary_resident


def _today(request: PropertyRequest) -> dt.date:
    return today_in(request.property.timezone)


def _payment_settings_url(property_id: int) -> str:
    try:
        return reverse("properties:payment_settings", args=[property_id])
    except NoReverseMatch:
        return reverse("properties:settings", args=[property_id])


def _list_context(request: PropertyRequest) -> dict[str, Any]:
    prop = request.property
    today = _today(request)
    units = selectors.unit_options(prop)
    form = InvoiceFilterForm(request.GET or None, units=units)
    filters = form.filters()
    summary = selectors.invoice_summary(prop, today)
    queryset = selectors.invoice_list(prop, today, filters).only(*selectors.LIST_COLUMNS)
    page = selectors.invoice_keyset_page(
        queryset,
        filters.sort,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        count=selectors.known_list_count(summary, filters),
    )
    # Each row's link built from one reversed path (decision 0041), not one {% url %} per row.
    detail_path = path_maker("invoicing:detail", 2)
    for invoice in page.object_list:
        invoice.detail_url = detail_path(prop.pk, invoice.pk)  # type: ignore[attr-defined]
    can_create = Action.CREATE_INVOICE in request.allowed
    cards = [
        (selectors.BILLED, pgettext("invoice card", "Total"), summary.total),
        (InvoiceStatus.OPEN.value, pgettext("invoice card", "Open"), summary.open),
        (InvoiceStatus.OVERDUE.value, pgettext("invoice card", "Overdue"), summary.overdue),
        (InvoiceStatus.PAID.value, pgettext("invoice card", "Paid"), summary.paid),
    ]
    columns = [
        ("number", pgettext("invoice", "No."), ""),
        ("unit", pgettext("invoice", "Unit"), ""),
        ("title", pgettext("invoice", "Title"), ""),
        ("amount", pgettext("invoice", "Amount"), "text-end"),
        ("balance", pgettext("invoice", "Balance due"), "text-end"),
        ("due", pgettext("invoice", "Due date"), ""),
        ("status", pgettext("invoice", "Status"), ""),
    ]
    return {
        "columns": columns,
        "cards": [
            {"key": key, "label": label, "card": card, "active": filters.status == key}
            for key, label, card in cards
        ],
        "filter_form": form,
        "filters": filters,
        "summary": summary,
        "page": page,
        "invoices": page.object_list,
        "has_invoices": summary.counts[""] > 0,
        "show_create": can_create and prop.payments_enabled,
        "payments_off": not prop.payments_enabled,
        "can_create_role": can_create,
        "is_admin": request.role == Role.ADMIN,
        "can_publish": Action.PUBLISH_INVOICE in request.allowed,
        "payment_settings_url": _payment_settings_url(prop.pk),
        "sort": filters.sort,
        "today": today,
        "list_url": request.get_full_path(),
    }


@require_GET
@property_view()
def invoice_list(request: PropertyRequest) -> HttpResponse:
    context = _list_context(request)
    partial = (
        is_htmx(request)
        and request.headers.get("HX-Target") == "invoice-results"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
    template = "invoicing/_results.html" if partial else "invoicing/invoice_list.html"
    response = render(request, template, context)
    # The same address answers the whole page or only the cards and list: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_GET
@property_view(Action.CREATE_INVOICE)
def unit_warning(request: PropertyRequest) -> HttpResponse:
    unit = request.GET.get("unit", "")
    warning = selectors.unit_email_warning(request.property, int(unit)) if unit.isdigit() else None
    return render(request, "invoicing/_unit_warning.html", {"unit_warning": warning})


def _get_detail(request: PropertyRequest, invoice_id: int) -> selectors.InvoiceDetail:
    detail = selectors.invoice_detail(request.property, invoice_id, _today(request))
    if detail is None:
        raise Http404
    return detail


def _email_plan(invoice: Invoice) -> dict[str, Any]:
    """What publishing will do about email: whether one will be sent, to whom, or why not."""
    if not invoice.notify_resident:
        return {"requested": False, "blocker": None, "to": None}
    blocker = invoice_email_blocker(invoice)
    resident = primary_resident(invoice.unit) if blocker is None else None
    return {"requested": True, "blocker": blocker, "to": resident.email if resident else None}


@require_GET
@property_view()
def invoice_detail(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    detail = _get_detail(request, invoice_id)
    invoice = detail.invoice
    allowed = request.allowed
    status = invoice.status
    has_payments = invoice.amount_paid > 0 or bool(detail.payments)
    context = {
        "invoice": invoice,
        "history": detail.history,
        "emails": detail.emails,
        "email_being_prepared_to": detail.email_being_prepared_to,
        "payments": detail.payments,
        "can_edit": Action.EDIT_INVOICE in allowed and status == InvoiceStatus.DRAFT and not has_payments,
        "can_publish": Action.PUBLISH_INVOICE in allowed and status == InvoiceStatus.DRAFT,
        # An open invoice with payments may be voided: what it received becomes the unit's credit.
        "can_void": Action.VOID_INVOICE in allowed and status in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN),
        "has_payments": has_payments,
        "can_record_payment": Action.RECORD_PAYMENT in allowed and status == InvoiceStatus.OPEN,
        "can_reverse_payments": Action.RECORD_PAYMENT in allowed,
        "lines_summary": lines_summary(invoice),
        "tax_registration": finance_selectors.tax_registration(request.property),
    }
    return render(request, "invoicing/invoice_detail.html", context)


@require_GET
@property_view()
def invoice_pdf(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    """The invoice as a PDF in the reader's language, drafts and void ones included (marked as such)."""
    document = invoice_document(
        invoices=Invoice.objects.filter(property=request.property), invoice_id=invoice_id
    )
    if document is None:
        raise Http404
    return invoice_pdf_response(document)


def publish_message(result: services.PublishResult) -> str:
    invoice = result.invoice
    text = _("Invoice no. %(number)s was published.") % {"number": invoice.number}
    if result.email_to is not None:
        return text + " " + _("Email queued to %(email)s.") % {"email": result.email_to}
    if result.email_blocker:
        return text + " " + _("No email will be sent: %(reason)s") % {"reason": result.email_blocker}
    return text + " " + _("No email was requested for this invoice.")


@require_http_methods(["GET", "POST"])
@property_view(Action.PUBLISH_INVOICE)
def invoice_publish(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    detail = _get_detail(request, invoice_id)
    invoice = detail.invoice
    detail_url = reverse("invoicing:detail", args=[request.property.pk, invoice.pk])
    if request.method == "POST":
        try:
            result = services.publish_invoice(
                actor=request.user,
                invoice_id=invoice.pk,
                property=request.property,
            )
        except InvalidTransition as exc:
            messages.error(request, str(exc.message))
        else:
            level = messages.SUCCESS if result.email_blocker is None else messages.WARNING
            messages.add_message(request, level, publish_message(result))
        return HttpResponseRedirect(detail_url)
    if invoice.status != InvoiceStatus.DRAFT:
        messages.error(request, _("Only draft invoices can be published."))
        return HttpResponseRedirect(detail_url)
    template = "invoicing/_publish_dialog.html" if is_htmx(request) else "invoicing/invoice_publish.html"
    return render(
        request,
        template,
        {
            "invoice": invoice,
            "email_plan": _email_plan(invoice),
            "due_passed": invoice.due_date < _today(request),
        },
    )


@require_http_methods(["GET", "POST"])
@property_view(Action.VOID_INVOICE)
def invoice_void(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    detail = _get_detail(request, invoice_id)
    invoice = detail.invoice
    detail_url = reverse("invoicing:detail", args=[request.property.pk, invoice.pk])
    htmx = is_htmx(request)
    template = "invoicing/_void_dialog.html" if htmx else "invoicing/invoice_void.html"
    form = VoidForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.void_invoice(
                actor=request.user,
                invoice_id=invoice.pk,
                property=request.property,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except InvalidTransition as exc:
            messages.error(request, str(exc.message))
            return _redirect(detail_url, htmx)
        else:
            messages.success(request, _("The invoice was voided."))
            return _redirect(detail_url, htmx)
    return render(request, template, {"invoice": invoice, "form": form})


def _redirect(url: str, htmx: bool) -> HttpResponse:
    if htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@require_POST
@property_view(Action.PUBLISH_INVOICE)
def invoice_bulk_publish(request: PropertyRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    list_url = reverse("invoicing:list", args=[request.property.pk])
    if not back.startswith(list_url):
        back = list_url
    ids = [int(v) for v in request.POST.getlist("invoice") if v.isdigit()]
    try:
        results = services.publish_invoices(
            actor=request.user,
            property=request.property,
            invoice_ids=ids,
        )
    except (InvalidTransition, ValidationError) as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(back)
    numbers = [r.invoice.number for r in results]
    queued = sum(1 for r in results if r.email_to is not None)
    blocked = [r for r in results if r.email_blocker]
    text = ngettext(
        "%(count)d invoice was published (no. %(first)s).",
        "%(count)d invoices were published (nos. %(first)s to %(last)s).",
        len(results),
    ) % {"count": len(results), "first": numbers[0], "last": numbers[-1]}
    text += " " + ngettext("%(count)d email queued.", "%(count)d emails queued.", queued) % {"count": queued}
    for r in blocked:
        text += " " + _("No. %(number)s: no email — %(reason)s") % {
            "number": r.invoice.number,
            "reason": r.email_blocker,
        }
    messages.add_message(request, messages.WARNING if blocked else messages.SUCCESS, text)
    return HttpResponseRedirect(back)
