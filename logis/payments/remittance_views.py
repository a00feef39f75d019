"""Pages of a remittance (decision 0032): record one payment for several invoices of a unit (preview of
the imputation, then record), its receipt (page and PDF), and its reversal."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse as url_reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from logis.core import errors
from logis.core.dates import today_in
from logis.core.money import format_amount
from logis.core.permissions import Action
from logis.documents.pdf_receipt import imputation_rule_label, imputation_statements
from logis.documents.responses import remittance_pdf_response
from logis.documents.selectors import remittance_document
from logis.payments import remittances
from logis.payments.forms import RemittanceForm, ReversePaymentForm
from logis.payments.models import Remittance
from logis.payments.views import _add_errors
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Unit


def _unit(request: PropertyRequest, unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id, property=request.property).first()
    if unit is None:
        raise Http404
    return unit


@property_view(Action.RECORD_PAYMENT)
def record(request: PropertyRequest, unit_id: int) -> HttpResponse:
    """The form, then (« Aperçu ») the imputation Logis proposes, then (« Enregistrer ») the record."""
    unit = _unit(request, unit_id)
    invoices = remittances.open_invoices(unit=unit)
    choices = [
        (
            i.pk,
            _("#%(number)s %(title)s — due %(due)s, balance %(balance)s")
            % {
                "number": i.number,
                "title": i.title,
                "due": i.due_date.isoformat(),
                "balance": format_amount(i.balance),
            },
        )
        for i in invoices
    ]
    total = sum((i.balance for i in invoices), start=remittances.ZERO)
    initial = {"paid_on": today_in(request.property.timezone)}
    form = RemittanceForm(request.POST or None, initial=initial, invoices=choices)
    proposal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "record" in request.POST:
            try:
                remittance = remittances.record_remittance(
                    property=request.property,
                    unit_id=unit.pk,
                    actor=request.user,
                    amount=data["amount"],
                    paid_on=data["paid_on"],
                    method=data["method"],
                    reference=data["reference"],
                    note=data["note"],
                    payer=data["payer"],
                    designated=data["invoices"],
                    request_token=data.get("token"),
                )
            except errors.ValidationError as exc:
                _add_errors(form, exc)
            except errors.InvalidTransition as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Payment of %(amount)s recorded for %(count)s invoices.")
                    % {"amount": format_amount(remittance.amount), "count": remittance.payments.count()},
                )
                return HttpResponseRedirect(
                    url_reverse("payments:remittance", args=[request.property.pk, remittance.pk])
                )
        if data["amount"] > 0:
            proposal = remittances.propose(unit=unit, amount=data["amount"], designated=data["invoices"])
        else:
            form.add_error("amount", _("The amount must be greater than 0 $."))
    return render(
        request,
        "payments/remittance_form.html",
        {
            "form": form,
            "unit": unit,
            "invoices": invoices,
            "total": total,
            "proposal": proposal,
            "rule_labels": {
                "designated": imputation_rule_label("designated"),
                "fees_first": imputation_rule_label("fees_first"),
                "oldest_due": imputation_rule_label("oldest_due"),
            },
        },
    )


@require_GET
@property_view()
def detail(request: PropertyRequest, remittance_id: int) -> HttpResponse:
    """The receipt of a payment for several invoices, as a page."""
    document = remittance_document(
        remittances=Remittance.objects.filter(property=request.property), remittance_id=remittance_id
    )
    if document is None:
        raise Http404
    return render(
        request,
        "payments/remittance_detail.html",
        {
            "document": document,
            "remittance": document.remittance,
            "statements": imputation_statements(document),
            "shares": [(s, imputation_rule_label(s.rule)) for s in document.shares],
        },
    )


@require_GET
@property_view()
def pdf(request: PropertyRequest, remittance_id: int) -> HttpResponse:
    document = remittance_document(
        remittances=Remittance.objects.filter(property=request.property), remittance_id=remittance_id
    )
    if document is None:
        raise Http404
    return remittance_pdf_response(document)


@property_view(Action.RECORD_PAYMENT)
def reverse(request: PropertyRequest, remittance_id: int) -> HttpResponse:
    """Confirm, with a reason, that every payment of the remittance is reversed."""
    remittance = Remittance.objects.filter(pk=remittance_id, property=request.property).first()
    if remittance is None:
        raise Http404
    url = url_reverse("payments:remittance", args=[request.property.pk, remittance.pk])
    form = ReversePaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            remittances.reverse_remittance(
                property=request.property,
                remittance_id=remittance.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        except errors.InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The payment was reversed; its invoices are open again."))
            return HttpResponseRedirect(url)
    return render(
        request, "payments/remittance_reverse.html", {"form": form, "remittance": remittance, "back": url}
    )
