"""Forms of the batch and recurring dues pages; services check the same rules again."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logis.billing.models import AmountMode, ScheduleAmountMode, UnitScope
from logis.billing.recurring import MAX_LEAD_DAYS, ScheduleInput
from logis.core.dates import EARLIEST_DATE, latest_date
from logis.core.forms import AmountField, DateField, StyledForm
from logis.invoicing.models import DESCRIPTION_MAX

ISO_DATE = "%Y-%m-%d"
ISO_MONTH = "%Y-%m"


class UnitSelectionMixin:
    """Units chosen as all / only the checked ones / all but the checked ones; checkboxes drawn by the
    template (2,000 of them through Django's widget templates would be slow)."""

    data: Any
    is_bound: bool

    def setup_units(self, valid_ids: set[int]) -> None:
        self.valid_unit_ids = valid_ids

    def checked_unit_ids(self) -> set[int]:
        if self.is_bound:
            values = (
                self.data.getlist("units") if hasattr(self.data, "getlist") else self.data.get("units", [])
            )
            return {int(v) for v in values if str(v).isdigit()}
        initial: dict[str, Any] = getattr(self, "initial", {})
        return {int(v) for v in initial.get("units", [])}

    def clean_units_value(self) -> list[int]:
        checked = self.checked_unit_ids()
        unknown = checked - self.valid_unit_ids
        if unknown:
            raise forms.ValidationError(_("Choose units of this property."))
        return sorted(checked)


class BatchForm(UnitSelectionMixin, StyledForm):
    """Créer des factures en lot: units, title, amount (same or split by share), due date, description."""

    unit_scope = forms.ChoiceField(
        label=_("Units to bill"),
        choices=UnitScope.choices,
        initial=UnitScope.ALL,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=pgettext_lazy("invoice", "Title"), max_length=200)
    amount_mode = forms.ChoiceField(
        label=_("Amount"), choices=AmountMode.choices, initial=AmountMode.SAME, widget=forms.RadioSelect
    )
    amount = AmountField(label=_("Amount per unit, or total to split"))
    due_date = DateField(
        label=pgettext_lazy("invoice", "Due date"),
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    description = forms.CharField(
        label=pgettext_lazy("invoice", "Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notify_resident = forms.BooleanField(
        label=pgettext_lazy("invoice", "Send an email notification to the resident"), required=False
    )
    token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *, unit_ids: set[int], today: dt.date, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.unit_errors: list[str] = []
        self.today = today
        self.setup_units(unit_ids)
        self.fields["due_date"].widget.attrs["min"] = today.isoformat()
        self.fields["title"].widget.attrs["maxlength"] = "200"
        for name in ("unit_scope", "amount_mode"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        if data is None and not self.initial.get("token"):
            self.initial["token"] = uuid.uuid4()

    def clean_due_date(self) -> dt.date | None:
        due: dt.date | None = self.cleaned_data.get("due_date")
        if due is not None and due < self.today:
            raise forms.ValidationError(_("The due date must be today or later."), code="past")
        return due

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["units"] = self.clean_units_value()
        except forms.ValidationError as exc:
            self.unit_errors.extend(exc.messages)
        return data

    def is_valid(self) -> bool:
        return super().is_valid() and not self.unit_errors


class VoidBatchForm(StyledForm):
    reason = forms.CharField(
        label=pgettext_lazy("void reason", "Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )


class MonthField(DateField):
    """A month typed as ``2027-01`` (``<input type="month">``); cleans to its 1st day."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [ISO_MONTH, ISO_DATE])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}, format=ISO_MONTH))
        super().__init__(**kwargs)
        self.widget.attrs["min"] = EARLIEST_DATE.strftime(ISO_MONTH)
        self.widget.attrs["max"] = latest_date().strftime(ISO_MONTH)

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class ScheduleForm(UnitSelectionMixin, StyledForm):
    """A recurring dues schedule."""

    title_pattern = forms.CharField(
        label=pgettext_lazy("invoice", "Title"),
        max_length=200,
        help_text=_("{mois} is replaced by the month billed, for example « janvier 2027 »."),
    )
    amount_mode = forms.ChoiceField(
        label=_("Amount"),
        choices=ScheduleAmountMode.choices,
        initial=ScheduleAmountMode.FIXED,
        widget=forms.RadioSelect,
    )
    amount = AmountField(label=_("Amount per unit each month, or annual budget"))
    day_of_month = forms.IntegerField(
        label=_("Due on day of the month"),
        min_value=1,
        max_value=31,
        initial=1,
        help_text=_("In shorter months, the last day of the month."),
    )
    lead_days = forms.IntegerField(
        label=_("Create the invoices this many days before the due date"),
        min_value=0,
        max_value=MAX_LEAD_DAYS,
        initial=15,
    )
    start_month = MonthField(label=_("First month"))
    end_month = MonthField(label=_("Last month (optional)"), required=False)
    unit_scope = forms.ChoiceField(
        label=_("Units to bill"), choices=UnitScope.choices, initial=UnitScope.ALL, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=pgettext_lazy("invoice", "Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    auto_publish = forms.BooleanField(label=_("Publish the invoices automatically"), required=False)
    notify_resident = forms.BooleanField(
        label=pgettext_lazy("invoice", "Send an email notification to the resident"), required=False
    )

    def __init__(self, data: Any = None, *, unit_ids: set[int], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.unit_errors: list[str] = []
        self.setup_units(unit_ids)
        for name in ("unit_scope", "amount_mode"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["units"] = self.clean_units_value()
        except forms.ValidationError as exc:
            self.unit_errors.extend(exc.messages)
        return data

    def is_valid(self) -> bool:
        return super().is_valid() and not self.unit_errors

    def to_input(self) -> ScheduleInput:
        d = self.cleaned_data
        return ScheduleInput(
            title_pattern=d["title_pattern"],
            amount_mode=d["amount_mode"],
            amount=d["amount"],
            day_of_month=d["day_of_month"],
            start_month=d["start_month"],
            end_month=d.get("end_month"),
            lead_days=d["lead_days"],
            unit_scope=d["unit_scope"],
            unit_ids=d.get("units", []),
            auto_publish=bool(d.get("auto_publish")),
            notify_resident=bool(d.get("notify_resident")),
            description=d.get("description", ""),
        )
