"""« Organisation »: its name and its administrators (logis/accounts/org_admins.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from logis.accounts import org_admins
from logis.accounts.models import OrganizationKind, User
from logis.accounts.organizations import ORGANIZATION_NAME_MAX, organizations_administered
from logis.core import errors
from logis.core.forms import StyledForm


class OrganizationForm(StyledForm):
    organization_name = forms.CharField(label=gettext_lazy("Name"), max_length=ORGANIZATION_NAME_MAX)
    organization_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of organization"), choices=OrganizationKind.choices
    )


class AddAdministratorForm(StyledForm):
    user = forms.TypedChoiceField(label=gettext_lazy("Person"), coerce=int, choices=())

    def __init__(self, *args: object, candidates: list[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["user"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—")] + [
            (u.pk, f"{u.get_full_name()} <{u.email}>" if u.get_full_name() else u.email) for u in candidates
        ]


def _page(user: User, organization_id: int) -> org_admins.OrganizationPage:
    try:
        return org_admins.organization_page(user=user, organization_id=organization_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _show(form: forms.Form, exc: errors.ValidationError) -> None:
    for field, texts in exc.errors.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, str(text))


@login_required
def organizations(request: HttpRequest) -> HttpResponse:
    """One organization: its page; several (a firm's staff in two): the list."""
    user: User = request.user  # type: ignore[assignment]
    administered = list(organizations_administered(user))
    if len(administered) == 1:
        return redirect("accounts:organization", administered[0].pk)
    return render(request, "accounts/organizations.html", {"organizations": administered})


@login_required
@require_http_methods(["GET", "POST"])
def organization(request: HttpRequest, organization_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = _page(user, organization_id)
    op = request.POST.get("op") if request.method == "POST" else None
    name_form = OrganizationForm(
        request.POST if op == "rename" else None,
        initial={"organization_name": page.organization.name, "organization_kind": page.organization.kind},
    )
    add_form = AddAdministratorForm(request.POST if op == "add" else None, candidates=page.candidates)
    if op == "rename" and name_form.is_valid():
        try:
            org_admins.rename_organization(
                actor=user,
                organization_id=organization_id,
                name=name_form.cleaned_data["organization_name"],
                kind=name_form.cleaned_data["organization_kind"],
            )
        except errors.ValidationError as exc:
            _show(name_form, exc)
        else:
            messages.success(request, _("The organization was saved."))
            return redirect("accounts:organization", organization_id)
    elif op == "add" and add_form.is_valid():
        try:
            added = org_admins.add_organization_admin(
                actor=user, organization_id=organization_id, user_id=add_form.cleaned_data["user"]
            )
        except errors.ValidationError as exc:
            _show(add_form, exc)
        else:
            messages.success(
                request, _("%(email)s now administers the organization.") % {"email": added.user.email}
            )
            return redirect("accounts:organization", organization_id)
    elif op == "remove":
        try:
            org_admins.remove_organization_admin(
                actor=user,
                organization_id=organization_id,
                membership_id=int(request.POST["membership"])
                if request.POST.get("membership", "").isdigit()
                else 0,
            )
        except (errors.InvalidTransition, errors.NotFound) as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The administrator was removed."))
            if not organizations_administered(user).filter(pk=organization_id).exists():
                return redirect("properties:list")
        return redirect("accounts:organization", organization_id)
    return render(
        request,
        "accounts/organization.html",
        {"page": page, "name_form": name_form, "add_form": add_form},
    )


@login_required
def remove_administrator(request: HttpRequest, organization_id: int, membership_id: int) -> HttpResponse:
    """The confirmation before removing an administrator (the POST goes to the organization's page)."""
    user: User = request.user  # type: ignore[assignment]
    page = _page(user, organization_id)
    membership = next((m for m in page.administrators if m.pk == membership_id), None)
    if membership is None:
        raise Http404(_("This administrator does not exist."))
    return render(
        request,
        "accounts/organization_remove.html",
        {"page": page, "membership": membership, "is_self": membership.user_id == user.pk},
    )
