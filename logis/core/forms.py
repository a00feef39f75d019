"""Form fields shared by the apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logis.core import errors
from logis.core.dates import EARLIEST_DATE, date_range_error, latest_date
from logis.core.money import AmountParseError, parse_amount

ISO_DATE = "%Y-%m-%d"


def add_service_errors(
    form: forms.BaseForm,
    exc: errors.ValidationError | Mapping[str, Sequence[str | Promise]],
    *,
    elsewhere: Mapping[str, list[str]] | None = None,
) -> None:
    """A service's ``ValidationError`` (or its ``errors``) as the form's errors: each message beside its
    field, those of a field the form does not have at the top of the form. The one way views show a
    service's refusal. ``elsewhere``: names the page shows beside something that is not a form field (a
    unit picker), and the list its messages go to."""
    found = exc.errors if isinstance(exc, errors.ValidationError) else exc
    for name, messages in found.items():
        for message in messages:
            if elsewhere is not None and name in elsewhere:
                elsewhere[name].append(str(message))
            else:
                form.add_error(name if name in form.fields else None, str(message))


class DateField(forms.DateField):
    """An ISO date (``<input type="date">``) within the sane range of logis.core.dates: year 9999 or 0001
    is refused beside the field instead of breaking a page or a job later."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [ISO_DATE])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("min", EARLIEST_DATE.isoformat())
        self.widget.attrs.setdefault("max", latest_date().isoformat())

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, str) and len(value) > 32:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date):
            error = date_range_error(value)
            if error:
                raise forms.ValidationError(error, code="out_of_range")


class AmountField(forms.CharField):
    """Money typed as people type it (``1 234,50``, ``1234.5``, ``1234,50 $``); a Decimal out."""

    def __init__(self, *, max_length: int = 32, **kwargs: Any) -> None:
        # The length limit applies to the text typed, not to the Decimal it becomes.
        self.max_text_length = max_length
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = str(max_length)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > self.max_text_length:
            raise forms.ValidationError(_("This amount is too long."), code="max_length")
        try:
            return parse_amount(text)
        except AmountParseError as exc:
            raise forms.ValidationError(
                _("Enter an amount in dollars with at most two decimals, for example 1 234,50."),
                code="invalid",
            ) from exc


class StyledForm(forms.Form):
    """Bootstrap classes on every widget; a field in error is marked invalid and points to its message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"
