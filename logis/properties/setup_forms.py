"""Forms of the property set-up wizard and of Paramètres > Propriété. They read what was typed; the
rules (NEQ, time zone, numbering, logo) are ``logis.properties.setup``'s, so both say the same thing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from logis.core import errors
from logis.core.language import Language
from logis.properties import setup
from logis.properties.models import Province

IDENTITY_FIELDS = ["name", "legal_name", "neq", "address"]
DEFAULTS_FIELDS = ["timezone", "province", "language", "fiscal_year_start_month", "first_invoice_number"]
# A placeholder for the fields of another step when one step is checked alone.
_OTHER_STEPS: dict[str, Any] = {
    "name": "x",
    "timezone": setup.DEFAULT_TIMEZONE,
    "province": Province.QC,
    "language": Language.FR,
    "fiscal_year_start_month": 1,
    "first_invoice_number": 1,
}


def _timezone_choices(current: str | None = None) -> list[tuple[str, str]]:
    zones = list(setup.CANADIAN_TIMEZONES)
    if current and current not in zones:
        zones.append(current)
    return [(zone, zone.replace("_", " ")) for zone in zones]


class _ProfileFields(forms.Form):
    """Checks its fields with ``setup.clean_profile``; each refusal beside its field."""

    own_fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {**_OTHER_STEPS, **{k: data.get(k, "") for k in self.own_fields}}
        try:
            setup.clean_profile(**values)
        except errors.ValidationError as exc:
            for field, messages in exc.errors.items():
                if field in self.own_fields and field in self.fields and field not in self.errors:
                    for message in messages:
                        self.add_error(field, str(message))
        return data


class IdentityForm(_ProfileFields):
    own_fields = IDENTITY_FIELDS

    organization = forms.TypedChoiceField(label=_("Organization"), coerce=int, required=False)
    name = forms.CharField(
        label=_("Name of the property"),
        max_length=setup.NAME_MAX,
        help_text=_("As people call it: « Les Jardins du Parc »."),
        error_messages={"required": _("Enter the name of the property.")},
    )
    legal_name = forms.CharField(
        label=_("Legal name of the syndicate"),
        max_length=setup.LEGAL_NAME_MAX,
        required=False,
        help_text=_("As registered: « Syndicat des copropriétaires Les Jardins du Parc »."),
    )
    neq = forms.CharField(
        label=_("Quebec enterprise number (NEQ)"),
        max_length=20,
        required=False,
        help_text=_("10 digits, from the Registraire des entreprises. Optional."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    address = forms.CharField(label=_("Address"), max_length=setup.ADDRESS_MAX, required=False)

    def __init__(self, *args: Any, organizations: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organizations and len(organizations) > 1:
            self.fields["organization"].choices = [("", "—"), *organizations]  # type: ignore[attr-defined]
            self.fields["organization"].required = True
        else:
            del self.fields["organization"]


class DefaultsForm(_ProfileFields):
    own_fields = DEFAULTS_FIELDS

    timezone = forms.ChoiceField(
        label=_("Time zone"),
        initial=setup.DEFAULT_TIMEZONE,
        help_text=_("Quebec: America/Toronto. Due dates and « overdue » follow this zone."),
    )
    province = forms.ChoiceField(
        label=_("Province or territory"),
        choices=Province.choices,
        initial=Province.QC,
        required=False,  # a form posted without it (an older page): Quebec, as before
        help_text=_("In Quebec, invoices and receipts are in French, with English beside if asked."),
    )
    language = forms.ChoiceField(
        label=_("Language of documents"),
        choices=Language.choices,
        initial=Language.FR,
        help_text=_("Of invoices and emails, for residents who have not chosen theirs."),
    )
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("First month of the fiscal year"), coerce=int, choices=[], initial=1
    )
    first_invoice_number = forms.CharField(
        label=_("First invoice number"),
        initial="1",
        max_length=12,
        help_text=_("Continue your current numbering: the next invoice published gets this number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, current_timezone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _timezone_choices(current_timezone)  # type: ignore[attr-defined]
        self.fields["fiscal_year_start_month"].choices = [  # type: ignore[attr-defined]
            (n, str(MONTHS[n]).capitalize()) for n in range(1, 13)
        ]  # type: ignore[attr-defined]


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most 1 MB. Shown on invoices, receipts and emails. Optional."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )


class PropertyProfileForm(IdentityForm, DefaultsForm, LogoForm):
    """Paramètres > Propriété: every field of the wizard on one page."""

    own_fields = IDENTITY_FIELDS + DEFAULTS_FIELDS
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    field_order = [*IDENTITY_FIELDS, *DEFAULTS_FIELDS, "logo", "remove_logo"]

    def __init__(self, *args: Any, current_timezone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, current_timezone=current_timezone, **kwargs)
        self.fields["logo"].widget = forms.FileInput(attrs={"accept": "image/png,image/jpeg"})

    def profile_values(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in IDENTITY_FIELDS + DEFAULTS_FIELDS}
