"""Form fields shared by the apps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from logis.core.money import AmountParseError, parse_amount


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
