"""Forms of the reminders and late-fees pages: they read what was typed; the services decide."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from logis.collections import policies
from logis.collections.arithmetic import rate_text
from logis.collections.models import (
    MAX_GRACE_DAYS,
    LateFeeMode,
    LateFeePolicy,
    ReminderPolicy,
)
from logis.core import errors
from logis.core.dates import today_in
from logis.core.forms import AmountField, DateField


def _language() -> str:
    return (translation.get_language() or "fr")[:2]


def _offsets_text(values: list[int]) -> str:
    return ", ".join(str(v) for v in sorted(values, reverse=True))


OFFSETS_HELP = _(
    "Up to 5 numbers of days between 1 and 60, separated by commas (e.g. 7, 3). Leave empty for none."
)


class ReminderPolicyForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send automatic reminders"), required=False)
    days_before = forms.CharField(
        label=_("Days before the due date"), required=False, max_length=60, help_text=OFFSETS_HELP
    )
    days_after = forms.CharField(
        label=_("Days after the due date"), required=False, max_length=60, help_text=OFFSETS_HELP
    )

    @classmethod
    def for_policy(
        cls, policy: ReminderPolicy, data: Any = None, *, read_only: bool = False
    ) -> ReminderPolicyForm:
        form = cls(
            data,
            prefix="reminders",
            initial={
                "enabled": policy.enabled,
                "days_before": _offsets_text(policy.days_before),
                "days_after": _offsets_text(policy.days_after),
            },
        )
        if read_only:
            for field in form.fields.values():
                field.disabled = True
        return form

    def _clean_offsets(self, name: str) -> list[int]:
        try:
            return policies.parse_offsets(self.cleaned_data.get(name) or "", name)
        except errors.ValidationError as exc:
            raise forms.ValidationError([str(m) for m in exc.errors[name]]) from exc

    def clean_days_before(self) -> list[int]:
        return self._clean_offsets("days_before")

    def clean_days_after(self) -> list[int]:
        return self._clean_offsets("days_after")


class LateFeePolicyForm(forms.Form):
    enabled = forms.BooleanField(label=_("Apply late fees"), required=False)
    mode = forms.ChoiceField(
        label=_("Kind of fee"),
        choices=LateFeeMode.choices,
        initial=LateFeeMode.FIXED,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    fixed_amount = AmountField(
        label=_("Fixed amount"), required=False, help_text=_("Billed once per overdue invoice.")
    )
    yearly_rate = forms.CharField(
        label=_("Yearly interest rate (%)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_(
            "Charged once a month on the balance still due: balance × rate ÷ 12, rounded to the cent."
        ),
    )
    grace_days = forms.IntegerField(
        label=_("Grace period (days)"),
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        initial=0,
        help_text=_("Days after the due date before a fee applies."),
        error_messages={"invalid": _("Enter a whole number of days.")},
    )
    applies_from = DateField(
        label=_("Only on invoices due from"),
        required=False,
        help_text=_(
            "Older balances (an imported opening balance, say) get no fee. Leave empty to charge fees on "
            "every overdue invoice."
        ),
    )
    title_pattern = forms.CharField(
        label=_("Title of the fee invoice"),
        required=False,
        max_length=policies.TITLE_MAX,
        help_text=_(
            "Optional. {number} and {title} are replaced by the number and title of the overdue invoice."
        ),
    )
    notify_resident = forms.BooleanField(
        label=_("Send an email notification to the resident"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title_pattern"].widget.attrs["placeholder"] = str(_("Late fee — invoice no. {number}"))

    @classmethod
    def for_policy(
        cls, policy: LateFeePolicy, data: Any = None, *, read_only: bool = False
    ) -> LateFeePolicyForm:
        form = cls(
            data,
            prefix="fees",
            initial={
                "enabled": policy.enabled,
                "mode": policy.mode,
                "fixed_amount": policy.fixed_amount,
                "yearly_rate": rate_text(policy.yearly_rate, _language()) if policy.yearly_rate else "",
                "grace_days": policy.grace_days,
                "title_pattern": policy.title_pattern,
                "notify_resident": policy.notify_resident,
                # Turning fees on for the first time: from today, so that old balances get none.
                "applies_from": policy.applies_from
                if policy.enabled or policy.applies_from
                else today_in(policy.property.timezone),
            },
        )
        if read_only:
            for field in form.fields.values():
                field.disabled = True
        return form

    def clean_yearly_rate(self) -> Decimal | None:
        text = (self.cleaned_data.get("yearly_rate") or "").strip()
        if not text:
            return None
        try:
            return policies.parse_rate(text)
        except errors.ValidationError as exc:
            raise forms.ValidationError([str(m) for m in exc.errors["yearly_rate"]]) from exc

    def clean_title_pattern(self) -> str:
        try:
            return policies.check_title_pattern(self.cleaned_data.get("title_pattern") or "")
        except errors.ValidationError as exc:
            raise forms.ValidationError([str(m) for m in exc.errors["title_pattern"]]) from exc


class ReminderConfirmForm(forms.Form):
    """The manual reminder's confirmation: its token makes a double submit send one reminder."""

    token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
