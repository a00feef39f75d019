"""Paramètres: payments, two-factor authentication, the audit log, and members (roles and staff
invitations). « Paramètres > Propriété » is ``logis.properties.setup_views``."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from logis.accounts import staff
from logis.accounts.models import Membership
from logis.accounts.selectors import has_two_factor
from logis.core import errors
from logis.core.forms import add_service_errors
from logis.core.permissions import Action, Role
from logis.core.views import paginate, posted
from logis.properties import selectors, services
from logis.properties.access import PropertyRequest, property_view, require_action
from logis.properties.audit_display import describe_event
from logis.properties.forms import MemberAddForm, MemberRoleForm, PaymentSettingsForm, SecuritySettingsForm

AUDIT_PER_PAGE = 25


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
        require_action(request, Action.MANAGE_PAYMENT_SETTINGS)
    form = PaymentSettingsForm.for_property(prop, posted(request), read_only=not may_change)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_payment_settings(
                actor=request.user,
                property=prop,
                payments_enabled=form.cleaned_data["payments_enabled"],
                accepted_methods=form.cleaned_data["accepted_methods"],
                nsf_fee=form.cleaned_data["nsf_fee"]
                if form.cleaned_data["nsf_fee"] is not None
                else Decimal(0),
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
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
        require_action(request, Action.MANAGE_SECURITY_SETTINGS)
    form = SecuritySettingsForm.for_property(prop, posted(request), read_only=not may_change)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_security_settings(
                actor=request.user, property=prop, require_staff_mfa=form.cleaned_data["require_staff_mfa"]
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
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
            "me_has_two_factor": has_two_factor(request.user),
        },
    )


@property_view(Action.VIEW_AUDIT)
def audit_log(request: PropertyRequest) -> HttpResponse:
    page = paginate(request, selectors.audit_events(property=request.property), AUDIT_PER_PAGE)
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
                    actor=request.user,
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
                            actor=request.user, property=prop, invitation_id=invitation_id
                        )
                        messages.success(
                            request,
                            _("A new invitation was sent to %(email)s.") % {"email": sent.invitation.email},  # type: ignore[union-attr]
                        )
                    else:
                        revoked = staff.revoke_staff_invitation(
                            actor=request.user, property=prop, invitation_id=invitation_id
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
                        actor=request.user,
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
                    services.remove_member(actor=request.user, property=prop, membership_id=membership_id)
                    messages.success(request, _("The member was removed."))
                if not Membership.objects.filter(property=prop, user=request.user, role=Role.ADMIN).exists():
                    # Someone who just gave up their own administrator role can no longer see this page.
                    return redirect("properties:list")
                return redirect("properties:members", prop.pk)
        except errors.ValidationError as exc:
            if op == "add":
                add_service_errors(add_form, exc)
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
