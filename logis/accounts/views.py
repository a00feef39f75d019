from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from logis.accounts.forms import ChoosePasswordForm, StaffAccountForm
from logis.accounts.models import User
from logis.accounts.services import (
    InvitationState,
    accept_invitation,
    accept_invitation_as,
    find_invitation,
    invitation_state,
    set_user_language,
)
from logis.accounts.staff import (
    accept_staff_invitation,
    accept_staff_invitation_as,
    find_staff_invitation,
    staff_invitation_state,
)
from logis.core.errors import DomainError, ValidationError
from logis.core.permissions import Role


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user's choice is kept on their profile."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        set_user_language(user=request.user, language=language)  # type: ignore[arg-type]
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _invitation_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, f"accounts/{template}", context, status=status)
    # The token is in the address: never send it to another site as a referrer. ("no-referrer" would
    # also blank the Origin of the form's own POST, which the CSRF check then refuses.)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invited resident chooses a password (or signs in to their account) and lands in the portal."""
    found = find_invitation(token=token)
    if found is None:
        return _invitation_page(request, "invitation_invalid.html", {"state": "unknown"}, status=404)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.user.is_authenticated:
        # Nobody chose a language yet: the page speaks the resident's.
        translation.activate(found.resident.language)
        request.LANGUAGE_CODE = found.resident.language
    state = invitation_state(found)
    context: dict[str, Any] = {
        "invitation": found,
        "resident": found.resident,
        "property": found.resident.property,
    }
    if state != InvitationState.VALID:
        return _invitation_page(request, "invitation_invalid.html", {**context, "state": state}, status=410)
    existing = User.objects.filter(email__iexact=found.email).first()
    user = request.user if request.user.is_authenticated else None
    if existing is not None:
        if user is None or user.pk != existing.pk:
            return _invitation_page(request, "invitation_sign_in.html", {**context, "signed_in_as": user})
        if request.method == "POST":
            try:
                accept_invitation_as(token=token, user=existing)
            except DomainError as exc:
                return _invitation_page(
                    request,
                    "invitation_invalid.html",
                    {**context, "state": "error", "error": exc.message},
                    410,
                )
            messages.success(
                request,
                _("You now have access to the resident portal of %(property)s.")
                % {"property": found.resident.property.name},
            )
            return redirect("portal:home")
        return _invitation_page(request, "invitation_join.html", context)
    if user is not None:
        return _invitation_page(request, "invitation_sign_in.html", {**context, "signed_in_as": user})
    form = ChoosePasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = accept_invitation(token=token, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, str(error))
        except DomainError as exc:
            return _invitation_page(
                request, "invitation_invalid.html", {**context, "state": "error", "error": exc.message}, 410
            )
        else:
            login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
            translation.activate(new_user.language)
            messages.success(request, _("Welcome! Your password is set: this is your resident portal."))
            response = redirect("portal:home")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, new_user.language, max_age=365 * 24 * 3600, samesite="Lax"
            )
            return response
    return _invitation_page(request, "invitation_accept.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invited staff member creates their account (or joins with the one they signed in with) and
    lands on the property's dashboard."""
    found = find_staff_invitation(token=token)
    if found is None:
        return _invitation_page(request, "staff_invitation.html", {"state": "unknown"}, status=404)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.user.is_authenticated:
        translation.activate(found.language)
        request.LANGUAGE_CODE = found.language
    state = staff_invitation_state(found)
    context: dict[str, Any] = {
        "invitation": found,
        "property": found.property,
        "state": state.value,
        "role_label": str(Role(found.role).label).lower(),
    }
    if state != InvitationState.VALID:
        return _invitation_page(request, "staff_invitation.html", context, status=410)
    user = request.user if request.user.is_authenticated else None
    existing = User.objects.filter(email__iexact=found.email).first()
    if existing is not None:
        if user is None or user.pk != existing.pk:
            return _invitation_page(request, "staff_invitation.html", {**context, "sign_in": True})
        if request.method == "POST":
            try:
                accept_staff_invitation_as(token=token, user=existing)
            except DomainError:
                return _invitation_page(request, "staff_invitation.html", {**context, "state": "error"}, 410)
            return redirect("properties:dashboard", found.property_id)
        return _invitation_page(request, "staff_invitation.html", {**context, "join_as": True})
    if user is not None:
        return _invitation_page(request, "staff_invitation.html", {**context, "sign_in": True})
    form = StaffAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = accept_staff_invitation(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, str(error))
        except DomainError:
            return _invitation_page(request, "staff_invitation.html", {**context, "state": "error"}, 410)
        else:
            login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
            translation.activate(new_user.language)
            messages.success(
                request,
                _("Welcome! You are now a member of %(property)s.") % {"property": found.property.name},
            )
            response = redirect("properties:dashboard", found.property_id)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, new_user.language, max_age=365 * 24 * 3600, samesite="Lax"
            )
            return response
    return _invitation_page(request, "staff_invitation.html", {**context, "form": form})
