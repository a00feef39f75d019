from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse as url_reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from logis.core import errors, keyset
from logis.core.dates import today_in
from logis.core.forms import StyledForm
from logis.core.money import format_amount
from logis.core.permissions import Action
from logis.core.views import is_htmx
from logis.documents.responses import receipt_pdf_response
from logis.documents.selectors import receipt_document
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import credits, services
from logis.payments.forms import (
    ApplyCreditForm,
    PaymentFilterForm,
    RecordPaymentForm,
    RefundCreditForm,
    RefundPaymentForm,
    ReversePaymentForm,
)
from logis.payments.models import Payment
from logis.payments.selectors import (
    PaymentFilters,
    credit_refund_date,
    credit_refund_list,
    payment_list,
    payment_totals,
    property_credit,
    property_payment_totals,
)
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Unit


def _done(request: PropertyRequest, url: str) -> HttpResponse:
    """After a dialog's successful POST: htmx follows HX-Redirect, a plain form the 302."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


# The Paiements list's order (``payment_list``): newest payment date first, then newest record.
PAYMENT_ORDER = [("paid_on", True), ("id", True)]
CREDIT_REFUNDS_SHOWN = 50


def _invoice_url(request: PropertyRequest, invoice_id: int) -> str:
    return url_reverse("invoicing:detail", args=[request.property.pk, invoice_id])


@property_view()
def payments_list(request: PropertyRequest) -> HttpResponse:
    units = list(
        Unit.objects.filter(property=request.property).order_by("sort_key").values_list("pk", "number")
    )
    form = PaymentFilterForm(request.GET or None, units=units)
    filters = PaymentFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = PaymentFilters(
            method=data["method"],
            kind=data["kind"],
            status=data["status"],
            unit_id=data["unit"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    payments = payment_list(property=request.property, filters=filters)
    credit_refunds = credit_refund_list(property=request.property, filters=filters)
    # No filter: the property's few summary rows, not every payment (docs/decisions/0033).
    if filters == PaymentFilters():
        totals = property_payment_totals(property=request.property)
    else:
        totals = payment_totals(payments, credit_refunds)
    # By cursor (keyset): 50 rows after or before the last one shown, no COUNT, no OFFSET (decision 0026).
    page = keyset.page(
        payments,
        PAYMENT_ORDER,
        size=50,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    unit_credit = property_credit(property=request.property)
    credit_refunded = credits.credit_refunded(property=request.property)
    # Credit given back by hand is money out without a Payment row: listed beside the payments, newest
    # first, its latest entries (the CSV has all of them).
    refund_rows = [
        (entry, credit_refund_date(entry, request.property))
        for entry in credit_refunds[:CREDIT_REFUNDS_SHOWN]
    ]
    has_any = (
        bool(page.object_list)
        or bool(unit_credit or credit_refunded)
        or Payment.objects.filter(property=request.property).exists()
    )
    return render(
        request,
        "payments/payment_list.html",
        {
            "form": form,
            "page": page,
            "totals": totals,
            "has_any": has_any,
            "unit_credit": unit_credit,
            "credit_refunded": credit_refunded,
            "credit_refund_rows": refund_rows,
            "more_credit_refunds": len(refund_rows) == CREDIT_REFUNDS_SHOWN,
        },
    )


@require_GET
@property_view()
def receipt_pdf(request: PropertyRequest, payment_id: int) -> HttpResponse:
    """The receipt of a payment received, as a PDF in the reader's language; none for a pending or
    failed online payment, a reversal or a refund (404)."""
    document = receipt_document(
        payments=Payment.objects.filter(property=request.property), payment_id=payment_id
    )
    if document is None:
        raise Http404
    return receipt_pdf_response(document)


@property_view(Action.RECORD_PAYMENT)
def record(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    invoice = Invoice.objects.select_related("unit").filter(pk=invoice_id, property=request.property).first()
    if invoice is None:
        raise Http404
    if invoice.status != InvoiceStatus.OPEN:
        messages.error(request, _("Only a published invoice with a balance due can receive a payment."))
        return _done(request, _invoice_url(request, invoice.pk))
    initial = {
        "paid_on": today_in(request.property.timezone),
        "amount": format_amount(invoice.balance).replace("$", "").strip(),
    }
    form = RecordPaymentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.record_payment(
                property=request.property,
                invoice_id=invoice.pk,
                actor=request.user,
                amount=data["amount"],
                paid_on=data["paid_on"],
                method=data["method"],
                reference=data["reference"],
                note=data["note"],
                request_token=data.get("token"),
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        except errors.InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            invoice.refresh_from_db()
            if invoice.status == InvoiceStatus.PAID:
                messages.success(
                    request,
                    _("Payment of %(amount)s recorded. The invoice is paid.")
                    % {"amount": format_amount(payment.amount)},
                )
            else:
                messages.success(
                    request,
                    _("Payment of %(amount)s recorded. Balance due: %(balance)s.")
                    % {"amount": format_amount(payment.amount), "balance": format_amount(invoice.balance)},
                )
            return _done(request, _invoice_url(request, invoice.pk))
    template = "payments/_record_dialog.html" if is_htmx(request) else "payments/record_page.html"
    return render(request, template, {"form": form, "invoice": invoice})


@property_view(Action.RECORD_PAYMENT)
def reverse(request: PropertyRequest, payment_id: int) -> HttpResponse:
    payment = (
        Payment.objects.select_related("invoice").filter(pk=payment_id, property=request.property).first()
    )
    if payment is None:
        raise Http404
    form = ReversePaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reverse_payment(
                property=request.property,
                payment_id=payment.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        except errors.InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The payment was reversed; the invoice is open again."))
            return _done(request, _invoice_url(request, payment.invoice_id))
    template = "payments/_reverse_dialog.html" if is_htmx(request) else "payments/reverse_page.html"
    return render(request, template, {"form": form, "payment": payment})


def _add_errors(form: StyledForm, exc: errors.ValidationError) -> None:
    """A service's refusal shown beside its field, marked invalid like a form error."""
    for field, field_errors in exc.errors.items():
        name = field if field in form.fields else None
        for message in field_errors:
            form.add_error(name, str(message))
        if name is not None:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"
            widget.attrs["aria-invalid"] = "true"
            widget.attrs["aria-describedby"] = f"{form[name].auto_id}-error"


def _dialog(request: PropertyRequest, context: dict[str, object]) -> HttpResponse:
    """The htmx dialog, or the same fields as a plain page when JavaScript is off."""
    template = "payments/_dialog.html" if is_htmx(request) else "payments/dialog_page.html"
    return render(request, template, context)


@property_view(Action.RECORD_PAYMENT)
def refund(request: PropertyRequest, payment_id: int) -> HttpResponse:
    payment = (
        Payment.objects.select_related("invoice").filter(pk=payment_id, property=request.property).first()
    )
    if payment is None:
        raise Http404
    refundable = services.refundable_amount(payment)
    initial = {"amount": format_amount(refundable).replace("$", "").strip(), "method": payment.method}
    form = RefundPaymentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refund = services.refund_payment(
                property=request.property,
                payment_id=payment.pk,
                actor=request.user,
                amount=data["amount"],
                reason=data["reason"],
                method=data["method"],
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        except errors.InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request, _("Refund of %(amount)s recorded.") % {"amount": format_amount(refund.amount)}
            )
            return _done(request, _invoice_url(request, payment.invoice_id))
    return _dialog(
        request,
        {
            "form": form,
            "payment": payment,
            "refundable": refundable,
            "action": url_reverse("payments:refund", args=[request.property.pk, payment.pk]),
            "dialog_title": _("Refund a payment"),
            "submit_label": _("Record the refund"),
            "submit_class": "btn-danger",
            "fields_template": "payments/_refund_fields.html",
        },
    )


@property_view(Action.RECORD_PAYMENT)
def apply_credit(request: PropertyRequest, unit_id: int) -> HttpResponse:
    unit = Unit.objects.filter(pk=unit_id, property=request.property).first()
    if unit is None:
        raise Http404
    unit_url = url_reverse("properties:unit_detail", args=[request.property.pk, unit.pk])
    available = credits.credit_balance(unit=unit)
    invoices = credits.open_invoices_for_credit(unit=unit)
    if available <= 0 or not invoices:
        messages.error(request, _("This unit has no credit to apply, or no open invoice."))
        return _done(request, unit_url)
    choices = [
        (
            i.pk,
            _("#%(number)s %(title)s — balance %(balance)s")
            % {"number": i.number, "title": i.title, "balance": format_amount(i.balance)},
        )
        for i in invoices
    ]
    first = invoices[0]
    initial = {
        "invoice": first.pk,
        "amount": format_amount(min(available, first.balance)).replace("$", "").strip(),
    }
    form = ApplyCreditForm(request.POST or None, invoices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = credits.apply_credit(
                property=request.property,
                unit_id=unit.pk,
                invoice_id=data["invoice"],
                amount=data["amount"],
                actor=request.user,
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Credit of %(amount)s applied to invoice #%(number)s.")
                % {"amount": format_amount(payment.amount), "number": payment.invoice.number},
            )
            return _done(request, unit_url)
    return _dialog(
        request,
        {
            "form": form,
            "unit": unit,
            "credit": available,
            "action": url_reverse("payments:apply_credit", args=[request.property.pk, unit.pk]),
            "dialog_title": _("Apply the credit"),
            "submit_label": _("Apply the credit"),
            "fields_template": "payments/_apply_credit_fields.html",
        },
    )


@property_view(Action.RECORD_PAYMENT)
def refund_credit(request: PropertyRequest, unit_id: int) -> HttpResponse:
    unit = Unit.objects.filter(pk=unit_id, property=request.property).first()
    if unit is None:
        raise Http404
    unit_url = url_reverse("properties:unit_detail", args=[request.property.pk, unit.pk])
    available = credits.credit_balance(unit=unit)
    if available <= 0:
        messages.error(request, _("This unit has no credit to refund."))
        return _done(request, unit_url)
    initial = {"amount": format_amount(available).replace("$", "").strip(), "method": "cheque"}
    form = RefundCreditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = credits.refund_credit(
                property=request.property,
                unit_id=unit.pk,
                amount=data["amount"],
                method=data["method"],
                reason=data["reason"],
                actor=request.user,
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("Refund of %(amount)s recorded.") % {"amount": format_amount(-entry.amount)}
            )
            return _done(request, unit_url)
    return _dialog(
        request,
        {
            "form": form,
            "unit": unit,
            "credit": available,
            "action": url_reverse("payments:refund_credit", args=[request.property.pk, unit.pk]),
            "dialog_title": _("Refund the credit"),
            "submit_label": _("Record the refund"),
            "submit_class": "btn-danger",
            "fields_template": "payments/_refund_credit_fields.html",
        },
    )
