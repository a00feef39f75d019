"""Forms of the budget and special-assessment pages; the services check the same rules again."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logis.budgeting.budget_reads import fiscal_year_label
from logis.budgeting.budgets import MAX_LEAD_DAYS, DuesOptions
from logis.core.forms import AmountField, DateField, StyledForm
from logis.finances.models import MAX_INSTALMENTS, Fund, SplitRule

ISO_DATE = "%Y-%m-%d"


class BudgetForm(StyledForm):
    """The budget of a fiscal year: one amount per fund (the year only when the budget is new)."""

    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int)

    def __init__(
        self, data: Any = None, *, funds: list[Fund], years: list[int] | None, first_month: int, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        if years is None:
            del self.fields["fiscal_year"]
        else:
            self.fields["fiscal_year"].choices = [(y, fiscal_year_label(y, first_month)) for y in years]  # type: ignore[attr-defined]
            self.fields["fiscal_year"].widget.attrs["class"] = "form-select"
        self.funds = funds
        for fund in funds:
            field = AmountField(label=str(fund.display_name), required=False)
            field.widget.attrs["class"] = "form-control text-end"
            self.fields[f"fund_{fund.pk}"] = field

    def fund_fields(self) -> list[forms.BoundField]:
        return [self[f"fund_{f.pk}"] for f in self.funds]

    def amounts(self) -> dict[int, Any]:
        return {f.pk: self.cleaned_data.get(f"fund_{f.pk}") for f in self.funds}


class DuesForm(StyledForm):
    """How the adopted budget is billed: the recurring dues' title, due day, lead time, publish, notify."""

    title_pattern = forms.CharField(
        label=pgettext_lazy("invoice", "Title"),
        max_length=200,
        help_text=_("{mois} is replaced by the month billed, for example « janvier 2027 »."),
    )
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
    auto_publish = forms.BooleanField(label=_("Publish the invoices automatically"), required=False)
    notify_resident = forms.BooleanField(
        label=pgettext_lazy("invoice", "Send an email notification to the resident"), required=False
    )

    def to_options(self) -> DuesOptions:
        d = self.cleaned_data
        return DuesOptions(
            title_pattern=d["title_pattern"],
            day_of_month=d["day_of_month"],
            lead_days=d["lead_days"],
            auto_publish=bool(d.get("auto_publish")),
            notify_resident=bool(d.get("notify_resident")),
        )


class PublishChoice:
    DRAFTS = "drafts"
    PUBLISH = "publish"


class AssessmentForm(StyledForm):
    """Cotisation spéciale: the decision (description, total, split, instalments, first due date)."""

    description = forms.CharField(label=_("Description"), max_length=150)
    total = AmountField(label=_("Total of the assessment"))
    split_rule = forms.ChoiceField(
        label=_("Split"), choices=SplitRule.choices, initial=SplitRule.SHARE, widget=forms.RadioSelect
    )
    instalment_count = forms.IntegerField(
        label=_("Number of instalments"), min_value=1, max_value=MAX_INSTALMENTS, initial=1
    )
    first_due_date = DateField(
        label=_("First due date"), help_text=_("The next instalments are due monthly.")
    )
    category = forms.TypedChoiceField(label=_("Category of the invoices"), coerce=int)
    publish = forms.ChoiceField(
        label=_("The invoices"),
        choices=[
            (PublishChoice.DRAFTS, _("Create them as drafts (publish them later)")),
            (PublishChoice.PUBLISH, _("Publish them now")),
        ],
        initial=PublishChoice.DRAFTS,
        widget=forms.RadioSelect,
    )
    notify_resident = forms.BooleanField(
        label=pgettext_lazy("invoice", "Send an email notification to the resident"), required=False
    )
    token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        today: dt.date,
        categories: list[tuple[int, str]],
        may_publish: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.today = today
        self.fields["first_due_date"].widget.attrs["min"] = today.isoformat()
        self.fields["category"].choices = categories  # type: ignore[attr-defined]
        self.fields["category"].widget.attrs["class"] = "form-select"
        for name in ("split_rule", "publish"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        if not may_publish:
            self.fields["publish"].choices = self.fields["publish"].choices[:1]  # type: ignore[attr-defined]
        if data is None and not self.initial.get("token"):
            self.initial["token"] = uuid.uuid4()

    def clean_total(self) -> Decimal | None:
        total: Decimal | None = self.cleaned_data.get("total")
        if total is not None and total <= 0:
            raise forms.ValidationError(_("The amount must be greater than $0."), code="min")
        return total

    def clean_first_due_date(self) -> dt.date | None:
        due: dt.date | None = self.cleaned_data.get("first_due_date")
        if due is not None and due < self.today:
            raise forms.ValidationError(_("The due date must be today or later."), code="past")
        return due
