from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from logis.banking import parsing
from logis.core.forms import AmountField, DateField, StyledForm
from logis.properties.models import PaymentMethod

BANK_CHOICES = [
    ("", _("OFX/QFX file (any bank)")),
    *[(key, preset.label) for key, preset in parsing.PRESETS.items()],
    ("other", _("Other bank (CSV, columns below)")),
]
COLUMN_FIELDS = {
    "date_column": "date",
    "description_column": "description",
    "description2_column": "description2",
    "amount_column": "amount",
    "debit_column": "debit",
    "credit_column": "credit",
    "reference_column": "reference",
}


def _column(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=99, help_text=help_text)


class StatementUploadForm(StyledForm):
    file = forms.FileField(
        label=_("Bank statement (OFX, QFX or CSV)"),
        help_text=_("At most 5 MB. Only deposits are kept; a deposit already imported is never added twice."),
        error_messages={"required": _("Choose a file."), "empty": _("The file is empty.")},
    )
    bank = forms.ChoiceField(label=_("Bank (for a CSV file)"), choices=BANK_CHOICES, required=False)
    date_column = _column(_("Date column"))
    date_format = forms.ChoiceField(
        label=_("Date format"),
        required=False,
        choices=[("", "—"), *[(k, v) for k, v in parsing.DATE_FORMAT_LABELS.items()]],
    )
    description_column = _column(_("Description column"))
    description2_column = _column(_("Second description column"))
    amount_column = _column(_("Amount column (signed)"), _("Or the debit and credit columns."))
    debit_column = _column(_("Debit (withdrawal) column"))
    credit_column = _column(_("Credit (deposit) column"))
    reference_column = _column(_("Reference column"))
    header_rows = forms.IntegerField(
        label=_("Header lines to skip"), required=False, min_value=0, max_value=20
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > parsing.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB: export a shorter period."))
        return upload

    def mapping(self, base: parsing.ColumnMapping | None) -> parsing.ColumnMapping | None:
        """The columns typed here over ``base`` (the bank's remembered mapping or preset); None when
        nothing was typed (the base is used as it is)."""
        data = self.cleaned_data
        typed = {name: data.get(name) for name in [*COLUMN_FIELDS, "date_format", "header_rows"]}
        if all(v in (None, "") for v in typed.values()):
            return None
        values: dict[str, Any] = {}
        if base is not None:
            values = {
                "date": base.date,
                "description": base.description,
                "description2": base.description2,
                "amount": base.amount,
                "debit": base.debit,
                "credit": base.credit,
                "reference": base.reference,
                "date_format": base.date_format,
                "header_rows": base.header_rows,
            }
        else:
            values = {"date": 0, "description": 0, "date_format": "", "header_rows": 1}
        for name, key in COLUMN_FIELDS.items():
            if data.get(name) is not None:
                values[key] = data[name]
        if data.get("amount_column"):
            values["debit"] = values["credit"] = 0
        elif data.get("credit_column") or data.get("debit_column"):
            values["amount"] = 0
        if data.get("date_format"):
            values["date_format"] = data["date_format"]
        if data.get("header_rows") is not None:
            values["header_rows"] = data["header_rows"]
        return parsing.ColumnMapping(**values)


class DepositBatchForm(StyledForm):
    deposited_on = DateField(label=_("Deposit date"))
    note = forms.CharField(label=_("Note (account, slip number)"), max_length=200, required=False)
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    rows = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = str(uuid.uuid4())

    def clean_token(self) -> uuid.UUID:
        try:
            return uuid.UUID(str(self.cleaned_data.get("token") or ""))
        except ValueError:
            return uuid.uuid4()


class ChequeRowForm(StyledForm):
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    # Cheques and cash taken to the bank together are one deposit slip (issue 11).
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[
            (PaymentMethod.CHEQUE.value, PaymentMethod.CHEQUE.label),
            (PaymentMethod.CASH.value, PaymentMethod.CASH.label),
        ],
        required=False,
    )
    cheque_number = forms.CharField(label=_("Cheque number"), max_length=30, required=False)
    amount = AmountField(label=_("Amount"), max_length=32, required=False)

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("Choose…")), *units]  # type: ignore[attr-defined]
