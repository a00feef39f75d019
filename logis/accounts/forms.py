"""Forms of the accounts app: the password an invited person chooses, the sign-up details."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from logis.accounts.models import OrganizationKind, User
from logis.accounts.organizations import clean_organization, create_organization
from logis.core.errors import ValidationError
from logis.core.forms import StyledForm


class ChoosePasswordForm(StyledForm):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        return data


class SignupDetailsForm(forms.Form):
    """What allauth's sign-up form asks besides the email and password (ACCOUNT_SIGNUP_FORM_CLASS):
    the person's name and their organization, of which they become the first administrator."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    organization_name = forms.CharField(
        label=_("Name of your syndicate or firm"),
        max_length=120,
        help_text=_("For example: Syndicat des copropriétaires du 1200, rue Principale."),
    )
    organization_kind = forms.ChoiceField(
        label=_("You are"),
        choices=OrganizationKind.choices,
        initial=OrganizationKind.SYNDICATE,
        widget=forms.RadioSelect,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "organization_name" in data and "organization_kind" in data:
            try:
                data["organization_name"], data["organization_kind"] = clean_organization(
                    data["organization_name"], data["organization_kind"]
                )
            except ValidationError as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        self.add_error(field, str(message))
        return data

    def signup(self, request: HttpRequest, user: User) -> None:
        """Called by allauth once the user is saved: their organization, with them as administrator."""
        create_organization(
            actor=user,
            name=self.cleaned_data["organization_name"],
            kind=self.cleaned_data["organization_kind"],
        )


class StaffAccountForm(ChoosePasswordForm):
    """An invited staff member's name and password."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
