"""Forms of Paramètres > Fonds et catégories."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from logis.core.forms import add_service_errors as add_domain_errors
from logis.finances.models import ChargeCategory, Fund, TaxRegistration
from logis.finances.services import NAME_MAX

__all__ = ["CategoryForm", "FundForm", "TaxRegistrationForm", "add_domain_errors"]


class FundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, data: Any = None, *, fund: Fund | None = None, prefix: str | None = None) -> None:
        initial = {"name": fund.display_name, "is_active": fund.is_active} if fund else {"is_active": True}
        super().__init__(data, initial=initial, prefix=prefix)
        self.fields["name"].widget.attrs["maxlength"] = str(NAME_MAX)
        if fund is None:
            del self.fields["is_active"]
            self.fields["name"].required = True
        elif fund.is_legal:
            self.fields["name"].help_text = _("Leave empty to use the usual name in each language.")
            del self.fields["is_active"]


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX, required=False)
    fund = forms.TypedChoiceField(label=_("Fund"), coerce=int)
    taxable = forms.BooleanField(
        label=_("Taxable: add GST (5 %) and QST (9.975 %) to its lines"), required=False
    )
    is_default = forms.BooleanField(label=_("Default category of new invoices"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        data: Any = None,
        *,
        funds: list[Fund],
        category: ChargeCategory | None = None,
        prefix: str | None = None,
    ) -> None:
        if category is not None:
            initial: dict[str, Any] = {
                "name": category.display_name,
                "fund": category.fund_id,
                "taxable": category.taxable,
                "is_default": category.is_default,
                "is_active": category.is_active,
            }
        else:
            initial = {"fund": next((f.pk for f in funds if f.kind == "operating"), None)}
        super().__init__(data, initial=initial, prefix=prefix)
        self.fields["name"].widget.attrs["maxlength"] = str(NAME_MAX)
        fund_field: Any = self.fields["fund"]
        fund_field.choices = [
            (f.pk, f.display_name)
            for f in funds
            if f.is_active or (category is not None and category.fund_id == f.pk)
        ]
        if category is None:
            del self.fields["is_active"]
            self.fields["name"].required = True
        elif category.code:
            self.fields["name"].help_text = _("Leave empty to use the usual name in each language.")


class TaxRegistrationForm(forms.Form):
    gst_number = forms.CharField(
        label=_("GST registration number"),
        required=False,
        max_length=20,
        help_text=_("For example 123456789RT0001. Leave empty if the syndicate is not registered."),
    )
    qst_number = forms.CharField(
        label=_("QST registration number"),
        required=False,
        max_length=20,
        help_text=_("For example 1234567890TQ0001. Leave empty if the syndicate is not registered."),
    )

    def __init__(self, data: Any = None, *, registration: TaxRegistration) -> None:
        super().__init__(
            data, initial={"gst_number": registration.gst_number, "qst_number": registration.qst_number}
        )
