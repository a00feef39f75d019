"""Unités: the list of units, adding one and editing its number and share. (A unit's own page, which
also shows its invoices and credit, is ``logis.dashboard.views.unit_detail``.)"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from logis.core import errors
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.core.views import paginate, posted
from logis.properties import selectors, services
from logis.properties.access import PropertyRequest, property_view, require_action
from logis.properties.forms import UnitForm
from logis.properties.models import Unit

UNITS_PER_PAGE = 50


# --- Units ------------------------------------------------------------------------------------------


@property_view()
def units(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    page = paginate(request, selectors.unit_list(property=prop), UNITS_PER_PAGE)
    return render(
        request,
        "properties/units.html",
        {"page": page, "shares": selectors.share_summary(property=prop)},
    )


@property_view()
@require_http_methods(["GET", "POST"])
def unit_add(request: PropertyRequest) -> HttpResponse:
    require_action(request, Action.MANAGE_UNITS)
    form = UnitForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(
                actor=request.user,
                property=request.property,
                number=form.cleaned_data["number"],
                share=form.cleaned_data["share"],
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Unit %(number)s was added.") % {"number": unit.number})
            return redirect("properties:unit_detail", request.property.pk, unit.pk)
    return render(request, "properties/unit_form.html", {"form": form, "unit": None})


@property_view()
@require_http_methods(["GET", "POST"])
def unit_edit(request: PropertyRequest, unit_id: int) -> HttpResponse:
    unit = selectors.get_unit(property=request.property, unit_id=unit_id)
    require_action(request, Action.MANAGE_UNITS)
    initial = {"number": unit.number, "share": share_text(unit)}
    form = UnitForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.update_unit(
                actor=request.user,
                property=request.property,
                unit_id=unit.pk,
                number=form.cleaned_data["number"],
                share=form.cleaned_data["share"],
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Unit %(number)s was saved.") % {"number": unit.number})
            return redirect("properties:unit_detail", request.property.pk, unit.pk)
    return render(request, "properties/unit_form.html", {"form": form, "unit": unit})


def share_text(unit: Unit) -> str:
    """The share as the user writes it (``4,1667`` in French), without useless zeros."""
    if unit.share is None:
        return ""
    return formats.number_format(Decimal(format(unit.share.normalize(), "f")))
