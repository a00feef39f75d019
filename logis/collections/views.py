"""Paramètres > Rappels et frais de retard, and « Envoyer un rappel » on an invoice. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from logis.collections import reminders, selectors
from logis.collections.forms import LateFeePolicyForm, ReminderConfirmForm, ReminderPolicyForm
from logis.collections.policy_setup import PolicyErrors, update_collection_policies
from logis.core import errors
from logis.core.dates import today_in
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.core.views import is_htmx
from logis.invoicing.models import Invoice
from logis.properties.access import PropertyRequest, property_view
from logis.properties.selectors import primary_resident


@require_http_methods(["GET", "POST"])
@property_view()
def policy_settings(request: PropertyRequest) -> HttpResponse:
    """Both policies on one page, one form: administrators change them, other roles read them."""
    prop = request.property
    may_change = Action.MANAGE_PAYMENT_SETTINGS in request.allowed
    if request.method == "POST" and not may_change:
        raise errors.PermissionDenied(_("Only administrators of the property may change these settings."))
    data = request.POST if request.method == "POST" else None
    reminder_form = ReminderPolicyForm.for_policy(
        selectors.reminder_policy_for(prop), data, read_only=not may_change
    )
    fee_form = LateFeePolicyForm.for_policy(
        selectors.late_fee_policy_for(prop), data, read_only=not may_change
    )
    if data is not None:
        reminders_ok, fees_ok = reminder_form.is_valid(), fee_form.is_valid()
        if reminders_ok and fees_ok:
            fee = fee_form.cleaned_data
            try:
                update_collection_policies(
                    actor=request.user,
                    property=prop,
                    reminder={
                        "enabled": reminder_form.cleaned_data["enabled"],
                        "days_before": reminder_form.cleaned_data["days_before"],
                        "days_after": reminder_form.cleaned_data["days_after"],
                    },
                    late_fee={
                        "enabled": fee["enabled"],
                        "mode": fee["mode"],
                        "fixed_amount": fee["fixed_amount"],
                        "yearly_rate": fee["yearly_rate"],
                        "grace_days": fee["grace_days"],
                        "title_pattern": fee["title_pattern"],
                        "notify_resident": fee["notify_resident"],
                        "applies_from": fee["applies_from"],
                    },
                )
            except PolicyErrors as exc:
                if exc.reminder is not None:
                    add_service_errors(reminder_form, exc.reminder)
                if exc.late_fee is not None:
                    add_service_errors(fee_form, exc.late_fee)
            else:
                messages.success(request, _("The reminder and late fee settings were saved."))
                return redirect("collections:settings", prop.pk)
    return render(
        request,
        "collections/settings.html",
        {"reminder_form": reminder_form, "fee_form": fee_form, "may_change": may_change},
    )


def _redirect(url: str, htmx: bool) -> HttpResponse:
    if htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@require_http_methods(["GET", "POST"])
@property_view(Action.PUBLISH_INVOICE)
def send_reminder(request: PropertyRequest, invoice_id: int) -> HttpResponse:
    """« Envoyer un rappel »: a confirmation (dialog or page), then one reminder queued."""
    prop = request.property
    invoice = Invoice.objects.filter(property=prop, pk=invoice_id).select_related("unit", "property").first()
    if invoice is None:
        raise Http404
    detail_url = reverse("invoicing:detail", args=[prop.pk, invoice.pk])
    htmx = is_htmx(request)
    form = ReminderConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reminder = reminders.send_manual_reminder(
                actor=request.user,
                invoice_id=invoice.pk,
                property=prop,
                token=form.cleaned_data.get("token"),
            )
        except (errors.InvalidTransition, errors.ValidationError) as exc:
            messages.error(request, str(exc.message))
        else:
            assert reminder.email is not None
            messages.success(request, _("Reminder queued to %(email)s.") % {"email": reminder.email.to_email})
        return _redirect(detail_url, htmx)
    blocker = reminders.reminder_blocker(invoice)
    resident = primary_resident(invoice.unit) if blocker is None else None
    template = "collections/_remind_dialog.html" if htmx else "collections/remind.html"
    return render(
        request,
        template,
        {
            "invoice": invoice,
            "form": form,
            "blocker": blocker,
            "to": resident.email if resident else None,
            "today": today_in(prop.timezone),
        },
    )
