from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from logis.core.forms import AmountField, DateField, StyledForm
from logis.payments.models import MANUAL_METHODS, NOTE_MAX
from logis.properties.models import PaymentMethod


class RecordPaymentForm(StyledForm):
    amount = AmountField(label=_("Amount"), max_length=32)
    paid_on = DateField(label=_("Date"))
    method = forms.ChoiceField(
        label=_("Method"), choices=[(m.value, m.label) for m in PaymentMethod if m in MANUAL_METHODS]
    )
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    # One per form shown: sent twice (a double click, a retried request), it records one payment.
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = str(uuid.uuid4())

    def clean_token(self) -> uuid.UUID | None:
        """A token that is not one Logis wrote (an old page, a hand-made request) protects nothing, and
        is no reason to refuse the payment: the person cannot see or fix a hidden field."""
        try:
            return uuid.UUID(str(self.cleaned_data.get("token") or ""))
        except ValueError:
            return None


class ReversePaymentForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class StopAutopayForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("The resident receives it by email."),
        error_messages={"required": _("Enter the reason: the resident receives it by email.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PaymentFilterForm(StyledForm):
    method = forms.ChoiceField(label=_("Method"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from logis.payments.models import METHOD_CHOICES, PaymentKind, PaymentStatus

        self.fields["method"].choices = [("", _("All")), *METHOD_CHOICES]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", _("All")), *PaymentKind.choices]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("All")), *PaymentStatus.choices]  # type: ignore[attr-defined]
        self.fields["unit"].choices = [("", _("All")), *units]  # type: ignore[attr-defined]


class RefundPaymentForm(StyledForm):
    amount = AmountField(label=_("Amount refunded"), max_length=32)
    method = forms.ChoiceField(
        label=_("Refunded by"), choices=[(m.value, m.label) for m in PaymentMethod if m in MANUAL_METHODS]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ApplyCreditForm(StyledForm):
    invoice = forms.TypedChoiceField(label=_("Invoice"), coerce=int)
    amount = AmountField(label=_("Amount"), max_length=32)

    def __init__(self, *args: Any, invoices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = invoices  # type: ignore[attr-defined]


class RefundCreditForm(StyledForm):
    amount = AmountField(label=_("Amount refunded"), max_length=32)
    method = forms.ChoiceField(
        label=_("Refunded by"), choices=[(m.value, m.label) for m in PaymentMethod if m in MANUAL_METHODS]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RemittanceForm(RecordPaymentForm):
    """One payment received for several invoices of a unit; the ticked invoices are paid first (art. 1569)."""

    payer = forms.CharField(label=_("Received from"), max_length=200, required=False)
    invoices = forms.TypedMultipleChoiceField(
        label=_("Invoices the payer chose (optional)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["amount", "paid_on", "method", "reference", "payer", "invoices", "note"]

    def __init__(self, *args: Any, invoices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoices"].choices = invoices  # type: ignore[attr-defined]
        self.order_fields(self.field_order)
