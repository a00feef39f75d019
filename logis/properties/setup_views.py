"""The property set-up wizard (« Nouvelle propriété »), Paramètres > Propriété, and the logo file.

The wizard keeps the steps already filled in the session and writes nothing until its last step: one
service call (``setup.create_property``) creates the property, its first administrator and its logo.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from logis.accounts.models import User
from logis.accounts.organizations import organizations_administered
from logis.core import errors
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.properties import setup
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Property, Province
from logis.properties.setup_forms import (
    DEFAULTS_FIELDS,
    IDENTITY_FIELDS,
    DefaultsForm,
    IdentityForm,
    LogoForm,
    PropertyProfileForm,
)

SESSION_KEY = "logis_new_property"
STEPS = 3


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _step(request: HttpRequest) -> int:
    raw = request.POST.get("step") if request.method == "POST" else request.GET.get("step")
    return int(raw) if raw in {"1", "2", "3"} else 1


def _render(
    request: HttpRequest, step: int, form: Any, saved: dict[str, Any], status: int = 200
) -> HttpResponse:
    titles = {1: _("The property"), 2: _("Dates, numbers and language"), 3: _("Logo")}
    return render(
        request,
        "properties/setup/wizard.html",
        {
            "step": step,
            "steps": [(n, titles[n]) for n in range(1, STEPS + 1)],
            "step_title": titles[step],
            "form": form,
            "saved": saved,
            "province_label": dict(Province.choices).get(saved.get("province") or Province.QC, ""),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_property(request: HttpRequest) -> HttpResponse:
    """Three short steps: identity (name, legal name, NEQ, address), defaults (time zone, language,
    fiscal year, first invoice number), logo; then the property opens on its dashboard."""
    user = _actor(request)
    organizations = [(o.pk, o.name) for o in organizations_administered(user)]
    if not organizations:
        raise DjangoPermissionDenied
    saved: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
    if request.method == "GET" and request.GET.get("restart"):
        saved = {}
        request.session.pop(SESSION_KEY, None)
    step = _step(request)
    if step > 1 and not saved.get("name"):
        return redirect("properties:new")
    if step == 3 and "timezone" not in saved:
        return redirect(f"{request.path}?step=2")
    data = request.POST if request.method == "POST" else None
    if step == 1:
        form: Any = IdentityForm(data, initial=saved, organizations=organizations)
        fields = ["organization", *IDENTITY_FIELDS]
    elif step == 2:
        form = DefaultsForm(data, initial=saved, current_timezone=saved.get("timezone"))
        fields = DEFAULTS_FIELDS
    else:
        form = LogoForm(data, request.FILES if data is not None else None)
        fields = []
    if request.method == "GET" or not form.is_valid():
        return _render(request, step, form, saved)
    if step < STEPS:
        saved.update({k: form.cleaned_data[k] for k in fields if k in form.cleaned_data})
        request.session[SESSION_KEY] = saved
        return redirect(f"{request.path}?step={step + 1}")
    try:
        profile = setup.clean_profile(**{k: saved.get(k, "") for k in IDENTITY_FIELDS + DEFAULTS_FIELDS})
    except errors.ValidationError:
        return redirect("properties:new")
    try:
        prop = setup.create_property(
            actor=user,
            organization_id=saved.get("organization") or organizations[0][0],
            profile=profile,
            logo=form.cleaned_data.get("logo"),
        )
    except errors.ValidationError as exc:
        add_service_errors(form, exc)
        return _render(request, step, form, saved)
    except (errors.NotFound, errors.PermissionDenied) as exc:
        raise DjangoPermissionDenied from exc
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("%(name)s is ready. Here is what to do first.") % {"name": prop.name})
    return redirect("properties:dashboard", prop.pk)


@property_view()
@require_http_methods(["GET", "POST"])
def property_settings(request: PropertyRequest) -> HttpResponse:
    """Paramètres > Propriété: what the wizard asked, editable by administrators, read-only for others."""
    prop = request.property
    may_change = Action.MANAGE_PROPERTY in request.allowed
    if request.method == "POST" and not may_change:
        raise DjangoPermissionDenied
    initial = {
        **{f: getattr(prop, f) for f in IDENTITY_FIELDS if f != "first_invoice_number"},
        "timezone": prop.timezone,
        "province": prop.province,
        "language": prop.language,
        "fiscal_year_start_month": prop.fiscal_year_start_month,
        "first_invoice_number": str(prop.next_invoice_number),
    }
    form = PropertyProfileForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=initial,
        current_timezone=prop.timezone,
    )
    numbering_started = setup.invoice_numbering_started(prop)
    if numbering_started:
        form.fields["first_invoice_number"].label = _("Next invoice number")
        form.fields["first_invoice_number"].disabled = True
        form.fields["first_invoice_number"].help_text = _(
            "Invoices are already numbered: the numbering continues without gaps."
        )
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            profile = setup.clean_profile(**form.profile_values())
            setup.update_property_profile(
                actor=_actor(request),
                property=prop,
                profile=profile,
                logo=form.cleaned_data.get("logo"),
                remove_logo=form.cleaned_data.get("remove_logo", False),
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The property settings were saved."))
            return redirect("properties:property_settings", prop.pk)
    return render(
        request,
        "properties/setup/property_settings.html",
        {"form": form, "may_change": may_change, "numbering_started": numbering_started},
    )


@require_GET
def logo(request: HttpRequest, name: str) -> HttpResponseBase:
    """A property's logo, for pages and emails (mail readers fetch it without signing in). Only a file
    that is some property's current logo is served: nothing else under MEDIA_ROOT is reachable."""
    path = f"logos/{name}"
    if "/" in name or not Property.objects.filter(logo=path).exists():
        raise Http404
    try:
        handle = default_storage.open(path, "rb")
    except OSError as exc:
        raise Http404 from exc
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
