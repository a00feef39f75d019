"""Résidents: the list, adding (with a first unit), editing, inviting to the portal, and the links
between residents and units (unlink, primary resident, who receives the emails)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from logis.accounts.selectors import annotate_portal_access
from logis.accounts.services import invite_resident
from logis.core import errors
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.core.views import paginate, posted
from logis.properties import selectors, services
from logis.properties.access import PropertyRequest, property_view, require_action
from logis.properties.forms import LinkFields, NewResidentForm, ResidentForm
from logis.properties.models import Occupancy, OccupancyKind, Unit

RESIDENTS_PER_PAGE = 50


# --- Residents --------------------------------------------------------------------------------------


@property_view()
def residents(request: PropertyRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:120]
    page = paginate(
        request, selectors.resident_list(property=request.property, search=search), RESIDENTS_PER_PAGE
    )
    annotate_portal_access(page.object_list)
    return render(request, "properties/residents.html", {"page": page, "q": search})


def _units_for_choice(request: PropertyRequest) -> list[Unit]:
    return list(
        Unit.objects.filter(property=request.property).only("pk", "number").order_by("sort_key", "pk")
    )


@property_view()
@require_http_methods(["GET", "POST"])
def resident_add(request: PropertyRequest) -> HttpResponse:
    require_action(request, Action.MANAGE_RESIDENTS)
    units_ = _units_for_choice(request)
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = int(request.GET["unit"])
    form = NewResidentForm(posted(request), units=units_, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resident = services.create_resident_in_unit(
                actor=request.user,
                property=request.property,
                name=str(data["name"]),
                email=str(data.get("email") or ""),
                phone=str(data.get("phone") or ""),
                language=str(data["language"]),
                unit_id=int(data["unit"]) if data.get("unit") else None,
                kind=str(data.get("kind") or OccupancyKind.OWNER),
                primary=bool(data.get("primary")),
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": resident.name})
            return redirect("properties:resident_detail", request.property.pk, resident.pk)
    return render(request, "properties/resident_form.html", {"form": form, "resident": None})


@property_view()
@require_http_methods(["GET", "POST"])
def resident_edit(request: PropertyRequest, resident_id: int) -> HttpResponse:
    resident = selectors.get_resident(property=request.property, resident_id=resident_id)
    require_action(request, Action.MANAGE_RESIDENTS)
    initial = {
        "name": resident.name,
        "email": resident.email,
        "phone": resident.phone,
        "language": resident.language,
    }
    form = ResidentForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.update_resident(
                actor=request.user,
                property=request.property,
                resident_id=resident.pk,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                language=form.cleaned_data["language"],
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": resident.name})
            return redirect("properties:resident_detail", request.property.pk, resident.pk)
    return render(request, "properties/resident_form.html", {"form": form, "resident": resident})


@property_view()
@require_http_methods(["GET", "POST"])
def resident_detail(request: PropertyRequest, resident_id: int) -> HttpResponse:
    prop = request.property
    resident = selectors.get_resident(property=prop, resident_id=resident_id)
    occupancies = selectors.resident_occupancies(resident=resident)
    linked = {o.unit_id for o in occupancies}
    can_manage = Action.MANAGE_RESIDENTS in request.allowed
    form = None
    if can_manage or request.method == "POST":
        form = LinkFields(
            posted(request),
            units=[u for u in _units_for_choice(request) if u.pk not in linked],
            prefix="link",
        )
    if request.method == "POST":
        require_action(request, Action.MANAGE_RESIDENTS)
        assert form is not None
        if form.is_valid():
            try:
                occupancy = services.link_resident(
                    actor=request.user,
                    property=prop,
                    resident_id=resident.pk,
                    unit_id=form.cleaned_data["unit"],
                    kind=form.cleaned_data["kind"],
                    primary=form.cleaned_data["primary"],
                )
            except errors.ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is now linked to unit %(unit)s.")
                    % {"name": resident.name, "unit": occupancy.unit},
                )
                return redirect("properties:resident_detail", prop.pk, resident.pk)
    annotate_portal_access([resident])
    return render(
        request,
        "properties/resident_detail.html",
        {"resident": resident, "occupancies": occupancies, "form": form},
    )


@property_view(Action.MANAGE_RESIDENTS)
@require_POST
def resident_invite(request: PropertyRequest, resident_id: int) -> HttpResponse:
    """Email the resident a single-use link to set their password for the resident portal."""
    resident = selectors.get_resident(property=request.property, resident_id=resident_id)
    try:
        sent = invite_resident(actor=request.user, property=request.property, resident_id=resident.pk)
    except (errors.ValidationError, errors.InvalidTransition) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("An invitation to the resident portal was sent to %(email)s.")
            % {"email": sent.invitation.email},
        )
    if request.POST.get("next") == "list":
        return redirect("properties:residents", request.property.pk)
    return redirect("properties:resident_detail", request.property.pk, resident.pk)


@property_view(Action.MANAGE_RESIDENTS)
@require_POST
def occupancy_unlink(request: PropertyRequest, occupancy_id: int) -> HttpResponse:
    occupancy = (
        Occupancy.objects.filter(pk=occupancy_id, unit__property=request.property)
        .select_related("unit", "resident")
        .first()
    )
    if occupancy is None:
        raise errors.NotFound
    services.unlink_resident(actor=request.user, property=request.property, occupancy_id=occupancy.pk)
    messages.success(
        request,
        _("%(name)s is no longer linked to unit %(unit)s.")
        % {"name": occupancy.resident, "unit": occupancy.unit},
    )
    if request.POST.get("next") == "unit":
        return redirect("properties:unit_detail", request.property.pk, occupancy.unit_id)
    return redirect("properties:resident_detail", request.property.pk, occupancy.resident_id)


@property_view(Action.MANAGE_RESIDENTS)
@require_POST
def occupancy_make_primary(request: PropertyRequest, occupancy_id: int) -> HttpResponse:
    occupancy = (
        Occupancy.objects.filter(pk=occupancy_id, unit__property=request.property)
        .select_related("unit", "resident")
        .first()
    )
    if occupancy is None:
        raise errors.NotFound
    services.set_primary_resident(
        actor=request.user,
        property=request.property,
        unit_id=occupancy.unit_id,
        resident_id=occupancy.resident_id,
    )
    messages.success(
        request,
        _("%(name)s is now the primary resident of unit %(unit)s.")
        % {"name": occupancy.resident, "unit": occupancy.unit},
    )
    if request.POST.get("next") == "unit":
        return redirect("properties:unit_detail", request.property.pk, occupancy.unit_id)
    return redirect("properties:resident_detail", request.property.pk, occupancy.resident_id)


@property_view(Action.MANAGE_RESIDENTS)
@require_POST
def occupancy_emails(request: PropertyRequest, occupancy_id: int) -> HttpResponse:
    """« Recevoir les factures et reçus par courriel », for one resident of one unit."""
    occupancy = services.set_receives_emails(
        actor=request.user,
        property=request.property,
        occupancy_id=occupancy_id,
        receives=request.POST.get("receives_emails") == "1",
    )
    if occupancy.receives_emails or occupancy.is_primary:
        message = _("%(name)s receives the invoices and receipts of unit %(unit)s by email.")
    else:
        message = _("%(name)s no longer receives the invoices and receipts of unit %(unit)s by email.")
    messages.success(request, message % {"name": occupancy.resident, "unit": occupancy.unit})
    if request.POST.get("next") == "unit":
        return redirect("properties:unit_detail", request.property.pk, occupancy.unit_id)
    return redirect("properties:resident_detail", request.property.pk, occupancy.resident_id)
