"""The managers' pages of automatic payment (decision 0031): every enrolled unit of the property with its
next debit and the latest debits, and stopping a unit's automatic payment with a reason the resident
receives."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from logis.core import errors
from logis.core.permissions import Action
from logis.payments import autopay
from logis.payments.forms import StopAutopayForm
from logis.payments.models import AutopayEnrolment, AutopayStatus
from logis.payments.selectors import property_autopay
from logis.payments.views import _add_errors
from logis.properties.access import PropertyRequest, property_view


@require_GET
@property_view()
def autopay_list(request: PropertyRequest) -> HttpResponse:
    data = property_autopay(
        property=request.property, after=request.GET.get("after"), before=request.GET.get("before")
    )
    return render(request, "payments/autopay_list.html", {"autopay": data, "page": data.enrolments})


@property_view(Action.RECORD_PAYMENT)
def stop(request: PropertyRequest, enrolment_id: int) -> HttpResponse:
    """Confirm, with a reason sent to the resident, that the unit's automatic payment stops."""
    enrolment = (
        AutopayEnrolment.objects.select_related("unit", "user")
        .filter(pk=enrolment_id, property=request.property)
        .first()
    )
    if enrolment is None:
        raise Http404
    back = reverse("properties:unit_detail", args=[request.property.pk, enrolment.unit_id])
    form = StopAutopayForm(request.POST or None)
    if enrolment.status != AutopayStatus.ACTIVE:
        form.add_error(None, _("Automatic payment is already stopped."))
    elif request.method == "POST" and form.is_valid():
        try:
            autopay.stop_enrolment_for_unit(
                actor=request.user,
                property=request.property,
                enrolment_id=enrolment.pk,
                reason=form.cleaned_data["reason"],
            )
        except errors.ValidationError as exc:
            _add_errors(form, exc)
        except errors.InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("Automatic payment of unit %(unit)s is stopped; the resident was told by email.")
                % {"unit": enrolment.unit.number},
            )
            return HttpResponseRedirect(back)
    return render(
        request,
        "payments/autopay_stop.html",
        {
            "form": form,
            "enrolment": enrolment,
            "back": back,
            "active": enrolment.status == AutopayStatus.ACTIVE,
        },
    )
