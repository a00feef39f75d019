"""The manager's side of online payments: refund one through Stripe (the « Rembourser » action)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from logis.core import errors
from logis.core.forms import AmountField, StyledForm
from logis.core.money import format_amount
from logis.core.permissions import Action
from logis.core.views import is_htmx
from logis.payments import availability, online_refunds
from logis.payments.models import Payment
from logis.properties.access import PropertyRequest, property_view


class OnlineRefundForm(StyledForm):
    amount = AmountField(label=gettext_lazy("Amount refunded"), max_length=32)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


@property_view(Action.RECORD_PAYMENT)
def refund_online(request: PropertyRequest, payment_id: int) -> HttpResponse:
    payment = (
        Payment.objects.select_related("invoice").filter(pk=payment_id, property=request.property).first()
    )
    if payment is None:
        raise Http404
    invoice_url = reverse("invoicing:detail", args=[request.property.pk, payment.invoice_id])
    refundable = payment.amount - online_refunds.refunded_so_far(payment)
    initial = {"amount": format_amount(refundable).replace("$", "").strip()}
    if request.GET.get("overpaid"):
        # « Refund the excess to the card »: the excess the invoice page offers, the reason written.
        for payment_, excess in online_refunds.overpayments_to_refund(payment.invoice):
            if payment_.pk == payment.pk:
                initial = {
                    "amount": format_amount(excess).replace("$", "").strip(),
                    "reason": _("Paid twice: the excess is refunded to the card."),
                }
    form = OnlineRefundForm(request.POST or None, initial=initial)
    if not online_refunds.refundable_online(payment) or refundable <= 0:
        # add_error() needs the form cleaned (bound) or at least its cleaned data (a link to a cheque's
        # refund, or a POST to it): without them it raised AttributeError, a 500.
        form.is_valid()
        form.cleaned_data = getattr(form, "cleaned_data", {})
        form.add_error(
            None,
            online_refunds.share_refund_refusal(payment)
            or _("Only a received online payment can be refunded through Stripe."),
        )
    elif request.method == "POST" and form.is_valid():
        try:
            refund = online_refunds.refund_online_payment(
                property=request.property,
                payment_id=payment.pk,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except errors.ValidationError as exc:
            for field, field_errors in exc.errors.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, str(message))
        except errors.InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("Refund of %(amount)s made through Stripe.") % {"amount": format_amount(refund.amount)},
            )
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = invoice_url
                return response
            return HttpResponseRedirect(invoice_url)
    context = {
        "form": form,
        "payment": payment,
        "refundable": refundable,
        "demo": availability.demo_mode(),
        "action": reverse("payments:refund_online", args=[request.property.pk, payment.pk]),
        "dialog_title": _("Refund through Stripe"),
        "submit_label": pgettext("payment", "Refund"),
        "submit_class": "btn-danger",
        "fields_template": "payments/_online_refund_fields.html",
    }
    template = "payments/_dialog.html" if is_htmx(request) else "payments/dialog_page.html"
    return render(request, template, context)
