"""Property pages: thin views over the selectors (reads) and services (changes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from logis.accounts import staff
from logis.accounts.models import Membership, User
from logis.accounts.organizations import organizations_administered
from logis.accounts.selectors import annotate_portal_access, has_two_factor
from logis.accounts.services import invite_resident
from logis.core import errors
from logis.core.dates import today_in
from logis.core.permissions import Action, Role
from logis.invoicing.models import Invoice
from logis.payments.selectors import unit_credit
from logis.properties import selectors, services
from logis.properties.access import PropertyRequest, property_view
from logis.properties.audit_display import describe_event
from logis.properties.forms import (
    ExistingResidentForm,
    LinkFields,
    MemberAddForm,
    MemberRoleForm,
    NewResidentForm,
    PaymentSettingsForm,
    PrimaryResidentForm,
    ResidentForm,
    SecuritySettingsForm,
    UnitForm,
    add_domain_errors,
)
from logis.properties.models import Occupancy, Resident, Unit
from logis.properties.portfolio import EMPTY as EMPTY_SUMMARY
from logis.properties.portfolio import portfolio_summaries, search_portfolio
from logis.reports.dashboard import dashboard_overview

UNITS_PER_PAGE = 50
RESIDENTS_PER_PAGE = 50
AUDIT_PER_PAGE = 25


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(request: HttpRequest, items: object, per_page: int) -> Page:
    paginator: Paginator[Any] = Paginator(items, per_page)  # type: ignore[arg-type]
    return paginator.get_page(request.GET.get("page"))


def _posted(request: HttpRequest) -> Any:
    """The POST data on a POST (even when empty: an empty form is still submitted), else None."""
    return request.POST if request.method == "POST" else None


def _require_action(request: PropertyRequest, action: Action) -> None:
    if action not in request.allowed:
        raise DjangoPermissionDenied


# --- Property list and dashboard --------------------------------------------------------------------


@login_required
def property_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    properties = list(selectors.properties_of(user))
    is_resident = Resident.objects.filter(user=user).exists()
    can_create = organizations_administered(user).exists()
    if not properties and is_resident and not can_create:
        # A resident has no management role: their place is the resident portal.
        return redirect("portal:home")
    roles = dict(Role.choices)
    for p in properties:
        p.my_role_label = roles.get(p.my_role, "")  # type: ignore[attr-defined]
    requiring = [p for p in properties if p.require_staff_mfa]
    # Each property's open and overdue balances and drafts, in one query for all of them.
    summaries = portfolio_summaries(properties)
    for p in properties:
        p.summary = summaries.get(p.pk, EMPTY_SUMMARY)  # type: ignore[attr-defined]
    search = search_portfolio(properties=properties, query=request.GET.get("q", ""))
    # A board member who also owns a unit reaches their own invoices from here.
    return render(
        request,
        "properties/property_list.html",
        {
            "properties": properties,
            "is_resident": is_resident,
            "two_factor_needed_by": requiring if requiring and not has_two_factor(user) else [],
            "can_create": can_create,
            "search": search,
        },
    )


@property_view()
def dashboard(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    counts = selectors.dashboard_counts(property=prop)
    context = {
        "counts": counts,
        "overview": dashboard_overview(property=prop, today=today_in(prop.timezone)),
        "without_primary": selectors.units_without_primary(property=prop, limit=10)
        if counts.units_without_primary
        else [],
        # A property without units yet opens on what to do first.
        "getting_started": selectors.getting_started(property=prop) if not counts.units else None,
    }
    return render(request, "properties/dashboard.html", context)


# --- Units ------------------------------------------------------------------------------------------


@property_view()
def units(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    page = _page(request, selectors.unit_list(property=prop), UNITS_PER_PAGE)
    return render(
        request,
        "properties/units.html",
        {"page": page, "shares": selectors.share_summary(property=prop)},
    )


@property_view()
@require_http_methods(["GET", "POST"])
def unit_add(request: PropertyRequest) -> HttpResponse:
    _require_action(request, Action.MANAGE_UNITS)
    form = UnitForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(
                actor=_actor(request),
                property=request.property,
                number=form.cleaned_data["number"],
                share=form.cleaned_data["share"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Unit %(number)s was added.") % {"number": unit.number})
            return redirect("properties:unit_detail", request.property.pk, unit.pk)
    return render(request, "properties/unit_form.html", {"form": form, "unit": None})


@property_view()
@require_http_methods(["GET", "POST"])
def unit_edit(request: PropertyRequest, unit_id: int) -> HttpResponse:
    unit = selectors.get_unit(property=request.property, unit_id=unit_id)
    _require_action(request, Action.MANAGE_UNITS)
    initial = {"number": unit.number, "share": _share_text(unit)}
    form = UnitForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.update_unit(
                actor=_actor(request),
                property=request.property,
                unit_id=unit.pk,
                number=form.cleaned_data["number"],
                share=form.cleaned_data["share"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Unit %(number)s was saved.") % {"number": unit.number})
            return redirect("properties:unit_detail", request.property.pk, unit.pk)
    return render(request, "properties/unit_form.html", {"form": form, "unit": unit})


def _share_text(unit: Unit) -> str:
    """The share as the user writes it (``4,1667`` in French), without useless zeros."""
    if unit.share is None:
        return ""
    return formats.number_format(Decimal(format(unit.share.normalize(), "f")))


@property_view()
@require_http_methods(["GET", "POST"])
def unit_detail(request: PropertyRequest, unit_id: int) -> HttpResponse:
    prop = request.property
    unit = selectors.get_unit(property=prop, unit_id=unit_id)
    occupancies = selectors.unit_occupancies(unit=unit)
    current = next((o for o in occupancies if o.is_primary), None)
    op = request.POST.get("op", "primary") if request.method == "POST" else None
    form = PrimaryResidentForm(
        _posted(request) if op == "primary" else None,
        residents=[(o.resident_id, o.resident.name) for o in occupancies],
        initial={"resident": current.resident_id if current else None},
    )
    link_form = None
    if Action.MANAGE_RESIDENTS in request.allowed:
        linked = {o.resident_id for o in occupancies}
        others = Resident.objects.filter(property=prop).exclude(pk__in=linked).order_by("name", "pk")
        link_form = ExistingResidentForm(
            _posted(request) if op == "link" else None,
            residents=[(r.pk, r.name) for r in others.only("pk", "name")],
            prefix="existing",
        )
    if request.method == "POST":
        _require_action(request, Action.MANAGE_RESIDENTS)
        if op == "link" and link_form is not None and link_form.is_valid():
            try:
                occupancy = services.link_resident(
                    actor=_actor(request),
                    property=prop,
                    resident_id=link_form.cleaned_data["resident"],
                    unit_id=unit.pk,
                    kind=link_form.cleaned_data["kind"],
                )
            except errors.ValidationError as exc:
                add_domain_errors(link_form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is now linked to unit %(unit)s.")
                    % {"name": occupancy.resident, "unit": unit},
                )
                return redirect("properties:unit_detail", prop.pk, unit.pk)
        elif op == "primary" and form.is_valid():
            try:
                services.set_primary_resident(
                    actor=_actor(request),
                    property=prop,
                    unit_id=unit.pk,
                    resident_id=form.cleaned_data["resident"],
                )
            except errors.ValidationError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request, _("The primary resident of unit %(number)s was saved.") % {"number": unit}
                )
                return redirect("properties:unit_detail", prop.pk, unit.pk)
    invoice_count = Invoice.objects.filter(property=prop, unit=unit).count()
    return render(
        request,
        "properties/unit_detail.html",
        {
            "unit": unit,
            "occupancies": occupancies,
            "primary": current,
            "form": form,
            "link_form": link_form,
            "invoice_count": invoice_count,
            "credit": unit_credit(unit=unit),
        },
    )


# --- Residents --------------------------------------------------------------------------------------


@property_view()
def residents(request: PropertyRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:120]
    page = _page(
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
    _require_action(request, Action.MANAGE_RESIDENTS)
    units_ = _units_for_choice(request)
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = int(request.GET["unit"])
    form = NewResidentForm(_posted(request), units=units_, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resident = _create_and_link(request, data)
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": resident.name})
            return redirect("properties:resident_detail", request.property.pk, resident.pk)
    return render(request, "properties/resident_form.html", {"form": form, "resident": None})


def _create_and_link(request: PropertyRequest, data: dict[str, Any]) -> Resident:
    """The resident and their first link are saved together, or not at all."""
    with transaction.atomic():
        resident = services.create_resident(
            actor=_actor(request),
            property=request.property,
            name=str(data["name"]),
            email=str(data.get("email") or ""),
            phone=str(data.get("phone") or ""),
            language=str(data["language"]),
        )
        if data.get("unit"):
            services.link_resident(
                actor=_actor(request),
                property=request.property,
                resident_id=resident.pk,
                unit_id=int(data["unit"]),
                kind=str(data["kind"]),
                primary=bool(data.get("primary")),
            )
    return resident


@property_view()
@require_http_methods(["GET", "POST"])
def resident_edit(request: PropertyRequest, resident_id: int) -> HttpResponse:
    resident = selectors.get_resident(property=request.property, resident_id=resident_id)
    _require_action(request, Action.MANAGE_RESIDENTS)
    initial = {
        "name": resident.name,
        "email": resident.email,
        "phone": resident.phone,
        "language": resident.language,
    }
    form = ResidentForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.update_resident(
                actor=_actor(request),
                property=request.property,
                resident_id=resident.pk,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                language=form.cleaned_data["language"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
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
            _posted(request),
            units=[u for u in _units_for_choice(request) if u.pk not in linked],
            prefix="link",
        )
    if request.method == "POST":
        _require_action(request, Action.MANAGE_RESIDENTS)
        assert form is not None
        if form.is_valid():
            try:
                occupancy = services.link_resident(
                    actor=_actor(request),
                    property=prop,
                    resident_id=resident.pk,
                    unit_id=form.cleaned_data["unit"],
                    kind=form.cleaned_data["kind"],
                    primary=form.cleaned_data["primary"],
                )
            except errors.ValidationError as exc:
                add_domain_errors(form, exc)
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
        sent = invite_resident(actor=_actor(request), property=request.property, resident_id=resident.pk)
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
    services.unlink_resident(actor=_actor(request), property=request.property, occupancy_id=occupancy.pk)
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
        actor=_actor(request),
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
        actor=_actor(request),
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


# --- Settings (the reports page is logis/reports) ---------------------------------------------------


@property_view()
def settings_index(request: PropertyRequest) -> HttpResponse:
    return render(request, "properties/settings_index.html")


@property_view()
@require_http_methods(["GET", "POST"])
def payment_settings(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    may_change = Action.MANAGE_PAYMENT_SETTINGS in request.allowed
    if request.method == "POST":
        _require_action(request, Action.MANAGE_PAYMENT_SETTINGS)
    form = PaymentSettingsForm.for_property(prop, _posted(request), read_only=not may_change)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_payment_settings(
                actor=_actor(request),
                property=prop,
                payments_enabled=form.cleaned_data["payments_enabled"],
                accepted_methods=form.cleaned_data["accepted_methods"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The payment settings were saved."))
            return redirect("properties:payment_settings", prop.pk)
    return render(request, "properties/payment_settings.html", {"form": form, "may_change": may_change})


@property_view()
@require_http_methods(["GET", "POST"])
def security_settings(request: PropertyRequest) -> HttpResponse:
    """Paramètres > Authentification à deux facteurs: whether the property requires it of its staff."""
    prop = request.property
    may_change = Action.MANAGE_SECURITY_SETTINGS in request.allowed
    if request.method == "POST":
        _require_action(request, Action.MANAGE_SECURITY_SETTINGS)
    form = SecuritySettingsForm.for_property(prop, _posted(request), read_only=not may_change)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_security_settings(
                actor=_actor(request), property=prop, require_staff_mfa=form.cleaned_data["require_staff_mfa"]
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The security settings were saved."))
            return redirect("properties:security_settings", prop.pk)
    return render(
        request,
        "properties/security_settings.html",
        {
            "form": form,
            "may_change": may_change,
            "staff": selectors.two_factor_summary(property=prop),
            "me_has_two_factor": has_two_factor(_actor(request)),
        },
    )


@property_view(Action.VIEW_AUDIT)
def audit_log(request: PropertyRequest) -> HttpResponse:
    page = _page(request, selectors.audit_events(property=request.property), AUDIT_PER_PAGE)
    rows = [describe_event(e, timezone=request.property.timezone) for e in page.object_list]
    return render(request, "properties/audit_log.html", {"page": page, "rows": rows})


@property_view(Action.MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def members(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    add_form = MemberAddForm(request.POST if request.POST.get("op") == "add" else None, prefix="add")
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "add" and add_form.is_valid():
                result = staff.invite_member(
                    actor=_actor(request),
                    property=prop,
                    email=add_form.cleaned_data["email"],
                    role=add_form.cleaned_data["role"],
                    language=add_form.cleaned_data.get("language") or "",
                )
                if result.membership is not None:
                    membership = result.membership
                    messages.success(
                        request,
                        _("%(user)s is now %(role)s.")
                        % {"user": membership.user.email, "role": membership.get_role_display().lower()},
                    )
                else:
                    messages.success(
                        request,
                        _("An invitation was sent to %(email)s.")
                        % {"email": add_form.cleaned_data["email"].lower()},
                    )
                return redirect("properties:members", prop.pk)
            if op in {"resend", "revoke"}:
                raw_id = request.POST.get("invitation", "")
                invitation_id = int(raw_id) if raw_id.isdigit() else 0
                try:
                    if op == "resend":
                        sent = staff.resend_staff_invitation(
                            actor=_actor(request), property=prop, invitation_id=invitation_id
                        )
                        messages.success(
                            request,
                            _("A new invitation was sent to %(email)s.") % {"email": sent.invitation.email},  # type: ignore[union-attr]
                        )
                    else:
                        revoked = staff.revoke_staff_invitation(
                            actor=_actor(request), property=prop, invitation_id=invitation_id
                        )
                        messages.success(
                            request, _("The invitation of %(email)s was revoked.") % {"email": revoked.email}
                        )
                except errors.NotFound as exc:
                    messages.error(request, str(exc.message))
                return redirect("properties:members", prop.pk)
            if op in {"role", "remove"}:
                raw_id = request.POST.get("membership", "")
                membership_id = int(raw_id) if raw_id.isdigit() else 0
                if op == "role":
                    role_form = MemberRoleForm(request.POST)
                    if not role_form.is_valid():
                        raise errors.ValidationError({"role": _("Choose a role.")})
                    membership = services.set_member_role(
                        actor=_actor(request),
                        property=prop,
                        membership_id=membership_id,
                        role=role_form.cleaned_data["role"],
                    )
                    messages.success(
                        request,
                        _("%(user)s is now %(role)s.")
                        % {"user": membership.user.email, "role": membership.get_role_display().lower()},
                    )
                else:
                    services.remove_member(actor=_actor(request), property=prop, membership_id=membership_id)
                    messages.success(request, _("The member was removed."))
                if not Membership.objects.filter(
                    property=prop, user=_actor(request), role=Role.ADMIN
                ).exists():
                    # Someone who just gave up their own administrator role can no longer see this page.
                    return redirect("properties:list")
                return redirect("properties:members", prop.pk)
        except errors.ValidationError as exc:
            if op == "add":
                add_domain_errors(add_form, exc)
            else:
                for message_list in exc.errors.values():
                    for message in message_list:
                        messages.error(request, str(message))
                return redirect("properties:members", prop.pk)
    return render(
        request,
        "properties/members.html",
        {
            "memberships": list(selectors.members_of(property=prop)),
            "invitations": staff.pending_invitations(property=prop),
            "now_": timezone.now(),
            "add_form": add_form,
            "roles": Role.choices,
        },
    )


@property_view(Action.MANAGE_ROLES)
def invitation_revoke_confirm(request: PropertyRequest, invitation_id: int) -> HttpResponse:
    """« Revoke this invitation? »: the confirmation before the link stops working."""
    invitation = next(
        (i for i in staff.pending_invitations(property=request.property) if i.pk == invitation_id), None
    )
    if invitation is None:
        raise Http404
    return render(request, "properties/invitation_revoke.html", {"invitation": invitation})
