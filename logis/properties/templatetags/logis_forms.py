"""Bootstrap rendering of form fields: classes, ``is-invalid`` and ``aria-describedby`` in one place."""

from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


def _kind(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "select"
    return "input"


@register.filter
def field_kind(field: forms.BoundField) -> str:
    """``input``, ``select``, ``checkbox`` or ``choices`` (a list of checkboxes or radios)."""
    return _kind(field)


@register.simple_tag
def bs_widget(field: forms.BoundField, extra_class: str = "") -> SafeString:
    """The field's widget with Bootstrap's classes, marked invalid and described by its messages."""
    kind = _kind(field)
    css = {"select": "form-select", "checkbox": "form-check-input", "choices": "form-check-input"}.get(
        kind, "form-control"
    )
    attrs: dict[str, str | bool] = {}
    classes = [css, field.field.widget.attrs.get("class", ""), extra_class]
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        classes.append("is-invalid")
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    attrs["class"] = " ".join(c for c in classes if c)
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
