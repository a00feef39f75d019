"""Forms of the property pages: they read what was typed; the services decide what is allowed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logis.core import errors
from logis.core.forms import AmountField
from logis.core.language import Language
from logis.core.money import format_amount
from logis.core.permissions import Role
from logis.properties import rules
from logis.properties.models import OccupancyKind, PaymentMethod, Property, Unit


class UnitForm(forms.Form):
    number = forms.CharField(label=_("Unit number"), max_length=rules.UNIT_NUMBER_MAX)
    share = forms.CharField(
        label=_("Share (%)"),
        required=False,
        max_length=20,
        help_text=_("Optional. A percentage between 0 and 100, up to 4 decimals (e.g. 4.1667)."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def clean_number(self) -> str:
        try:
            return rules.clean_unit_number(self.cleaned_data["number"])
        except errors.ValidationError as exc:
            raise forms.ValidationError([str(m) for m in exc.errors["number"]]) from exc

    def clean_share(self) -> Decimal | None:
        try:
            return rules.parse_share(self.cleaned_data.get("share") or "")
        except errors.ValidationError as exc:
            raise forms.ValidationError([str(m) for m in exc.errors["share"]]) from exc


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=rules.RESIDENT_NAME_MAX)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter a valid email address, such as name@example.com.")},
        help_text=_("Invoices and notices are sent to this address."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=rules.PHONE_MAX,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices, initial=Language.FR)


class LinkFields(forms.Form):
    """Unit, link kind and primary flag; the unit is optional on the new-resident form."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=True, empty_value=None)
    kind = forms.ChoiceField(label=_("Link"), choices=OccupancyKind.choices, initial=OccupancyKind.OWNER)
    primary = forms.BooleanField(label=_("Primary resident"), required=False)

    def __init__(self, *args: Any, units: list[Unit], unit_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("Choose a unit") if unit_required else _("No unit"))]
        choices += [(u.pk, u.number) for u in units]
        unit_field: forms.TypedChoiceField = self.fields["unit"]  # type: ignore[assignment]
        unit_field.choices = choices
        unit_field.required = unit_required


class NewResidentForm(ResidentForm):
    """A resident, and optionally their first unit (as owner or tenant, primary or not)."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(
        label=_("Link"), choices=OccupancyKind.choices, initial=OccupancyKind.OWNER, required=False
    )
    primary = forms.BooleanField(
        label=_("Primary resident"),
        required=False,
        help_text=_("The primary resident receives the unit's invoices and emails."),
    )

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field: forms.TypedChoiceField = self.fields["unit"]  # type: ignore[assignment]
        unit_field.choices = [("", _("No unit")), *[(u.pk, u.number) for u in units]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["kind"] = data.get("kind") or OccupancyKind.OWNER
        if data.get("primary") and not data.get("unit"):
            self.add_error("unit", _("Choose the unit this resident is the primary resident of."))
        return data


class ExistingResidentForm(forms.Form):
    """Link a resident already known to the property to this unit (from the unit's page)."""

    resident = forms.TypedChoiceField(label=_("Existing resident"), coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Link"), choices=OccupancyKind.choices, initial=OccupancyKind.OWNER)

    def __init__(self, *args: Any, residents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["resident"]  # type: ignore[assignment]
        field.choices = [("", _("Choose a resident")), *residents]


class PrimaryResidentForm(forms.Form):
    resident = forms.TypedChoiceField(
        label=_("Primary resident"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, residents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["resident"]  # type: ignore[assignment]
        field.choices = [("", pgettext_lazy("primary resident", "None")), *residents]


class PaymentSettingsForm(forms.Form):
    payments_enabled = forms.BooleanField(label=_("Enable payments"), required=False)
    accepted_methods = forms.MultipleChoiceField(
        label=_("Accepted payment methods"),
        choices=PaymentMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    nsf_fee = AmountField(
        label=_("Fee for a refused payment (NSF)"),
        required=False,
        help_text=_(
            "Billed to the unit, as a late fee, when an automatic debit is refused by the bank. "
            "0 = no fee. The declaration of co-ownership must provide for it."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}
        ),
    )

    @classmethod
    def for_property(
        cls, prop: Property, data: Any = None, *, read_only: bool = False
    ) -> PaymentSettingsForm:
        form = cls(
            data,
            initial={
                "payments_enabled": prop.payments_enabled,
                "accepted_methods": list(prop.accepted_methods),
                "nsf_fee": format_amount(prop.nsf_fee).replace("$", "").strip(),
            },
        )
        if read_only:
            for field in form.fields.values():
                field.disabled = True
        return form


class SecuritySettingsForm(forms.Form):
    require_staff_mfa = forms.BooleanField(
        label=_("Require two-factor authentication for staff"),
        required=False,
        help_text=_(
            "Administrators, managers, treasurers and board members of this property then sign in with "
            "a code from an authenticator app after their password. Those who have not turned it on are "
            "sent to their Security page until they do. Residents are not affected."
        ),
    )

    @classmethod
    def for_property(
        cls, prop: Property, data: Any = None, *, read_only: bool = False
    ) -> SecuritySettingsForm:
        form = cls(data, initial={"require_staff_mfa": prop.require_staff_mfa})
        if read_only:
            for field in form.fields.values():
                field.disabled = True
        return form


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the user"),
        max_length=254,
        error_messages={"invalid": _("Enter a valid email address, such as name@example.com.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=[("", _("Mine")), *Language.choices],
        required=False,
        help_text=_("For a person without an account: the email and their account's language."),
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
