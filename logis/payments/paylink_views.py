"""The manager's side of « Voir et payer » links: revoke those of an invoice (confirmed in a dialog)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from logis.core import errors
from logis.core.permissions import Action
from logis.core.views import is_htmx
from logis.invoicing.models import Invoice
from logis.payments import paylinks
from logis.properties.access import PropertyRequest, property_view


@require_http_methods(["GET", "POST"])
@property_view(Action.RECORD_PAYMENT)
def revoke(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    invoice = Invoice.objects.filter(pk=invoice_id, property=request.property).first()
    if invoice is None:
        raise Http404
    invoice_url = reverse("invoicing:detail", args=[request.property.pk, invoice.pk])
    error = ""
    if request.method == "POST":
        try:
            count = paylinks.revoke_pay_links(
                actor=request.user,
                property=request.property,
                invoice_id=invoice.pk,
            )
        except errors.InvalidTransition as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d pay link revoked: it no longer opens the invoice.",
                    "%(count)d pay links revoked: they no longer open the invoice.",
                    count,
                )
                % {"count": count},
            )
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = invoice_url
                return response
            return HttpResponseRedirect(invoice_url)
    links = paylinks.active_links(invoice)
    if not links and not error:
        error = _("This invoice has no pay link to revoke.")
    context = {
        "invoice": invoice,
        "links": links,
        "error": error,
        "action": reverse("payments:revoke_pay_links", args=[request.property.pk, invoice.pk]),
        "dialog_title": _("Revoke the pay links"),
        "submit_label": _("Revoke the pay links"),
        "submit_class": "btn-danger",
        "fields_template": "payments/_revoke_pay_links_fields.html",
    }
    template = "payments/_dialog.html" if is_htmx(request) else "payments/dialog_page.html"
    return render(request, template, context)
