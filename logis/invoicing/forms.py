"""Forms of the Factures pages: the list's filters, the invoice form (create/edit), void's reason."""

from __future__ import annotations

import datetime as dt
import functools
import html
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logis.core.forms import DateField
from logis.core.money import MAX_AMOUNT, AmountParseError, parse_amount
from logis.finances.models import ChargeCategory
from logis.invoicing.lines import LINE_DESCRIPTION_MAX, MAX_LINES
from logis.invoicing.models import DESCRIPTION_MAX, InvoiceStatus
from logis.invoicing.selectors import BILLED, DEFAULT_SORT, SORTS, InvoiceFilters

ISO_DATE = "%Y-%m-%d"


class BootstrapMixin:
    """Bootstrap classes, and ``is-invalid`` + ``aria-describedby`` on fields with errors."""

    fields: dict[str, forms.Field]
    prefix: str | None

    def style_fields(self) -> None:
        form: Any = self
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css
            bound = form[name]
            if form.is_bound and bound.errors:
                widget.attrs["class"] = f"{css} is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{bound.auto_id}_error"

    def add_error(self, field: str | None, error: Any) -> None:
        # A service's refusal, added after cleaning, marks its field as cleaning does.
        super().add_error(field, error)  # type: ignore[misc]
        self.style_fields()


class FastSelect(forms.Select):
    """A select rendered in plain Python from a ``UnitMenu``: 2,000 unit options through Django's widget
    templates (or even ``format_html``) cost tens of milliseconds on the Factures page."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.menu = UnitMenu("", frozenset({""}))

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = "" if value is None else str(value)
        options = self.menu.options
        if chosen in self.menu.values:
            mark = f'<option value="{html.escape(chosen)}">'
            options = options.replace(mark, f'<option value="{html.escape(chosen)}" selected>', 1)
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")


@dataclass(frozen=True)
class UnitMenu:
    """A unit list's ``<option>``s and the values they offer (the empty one included)."""

    options: str
    values: frozenset[str]


@functools.lru_cache(maxsize=64)
def unit_menu(units: tuple[tuple[int, str], ...], empty: str) -> UnitMenu:
    """Built once per distinct unit list (a property's units change rarely): each request of the
    Factures page then hashes its list of (id, number), finds the menu and only marks the chosen one."""
    choices = [("", empty)] + [(str(pk), number) for pk, number in units]
    return UnitMenu(
        "".join(f'<option value="{html.escape(v)}">{html.escape(label)}</option>' for v, label in choices),
        frozenset(v for v, _label in choices),
    )


class UnitField(forms.CharField):
    """A unit of the property, chosen in a ``FastSelect``; cleans to the unit's id."""

    widget = FastSelect
    default_error_messages = {"invalid_choice": _("Choose a unit of this property.")}

    def set_units(self, units: list[tuple[int, str]], empty: str) -> None:
        widget: Any = self.widget
        widget.menu = unit_menu(tuple(units), empty)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        widget: Any = self.widget
        menu: UnitMenu = widget.menu
        if text is None or text not in menu.values:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return int(text)


STATUS_FILTER_CHOICES = [
    ("", pgettext_lazy("invoice filter", "All statuses")),
    (InvoiceStatus.DRAFT.value, pgettext_lazy("invoice status", "Draft")),
    (InvoiceStatus.OPEN.value, pgettext_lazy("invoice status", "Open")),
    (InvoiceStatus.OVERDUE.value, pgettext_lazy("invoice status", "Overdue")),
    (InvoiceStatus.PAID.value, pgettext_lazy("invoice status", "Paid")),
    (InvoiceStatus.VOID.value, pgettext_lazy("invoice status", "Void")),
    (BILLED, pgettext_lazy("invoice filter", "Open, overdue or paid")),
]

SORT_VALUES = {DEFAULT_SORT} | set(SORTS) | {f"-{k}" for k in SORTS}


class InvoiceFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=pgettext_lazy("invoice", "Status"), choices=STATUS_FILTER_CHOICES, required=False
    )
    unit = UnitField(label=pgettext_lazy("invoice", "Unit"), required=False)
    due_from = DateField(
        label=_("Due from"),
        required=False,
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    due_to = DateField(
        label=_("Due until"),
        required=False,
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    q = forms.CharField(
        label=pgettext_lazy("invoice", "Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or unit")}),
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, units: list[tuple[int, str]]) -> None:
        # Own ids: the create dialog, on the same page, has its own "Unité" field (id_unit).
        super().__init__(data, auto_id="filter-%s")
        unit_field: Any = self.fields["unit"]
        unit_field.set_units(units, str(_("All units")))
        self.is_valid()
        self.style_fields()

    def filters(self) -> InvoiceFilters:
        """The valid part of what was asked; an invalid value is ignored (and shown beside its field)."""
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        unit = data.get("unit") or ""
        sort = data.get("sort") or DEFAULT_SORT
        return InvoiceFilters(
            status=data.get("status") or "",
            unit_id=int(unit) if str(unit).isdigit() else None,
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            search=(data.get("q") or "").strip(),
            sort=sort if sort in SORT_VALUES else DEFAULT_SORT,
        )


class AmountField(forms.CharField):
    """Money as people type it: ``1234.5``, ``1 234,50``, ``1234,50 $``; Decimal, never float."""

    default_error_messages = {
        "invalid": _("Enter an amount in dollars, for example 1234,50."),
        "min_value": _("The amount must be greater than $0."),
        "max_value": _("The amount is too large."),
    }

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            amount = parse_amount(text or "")
        except AmountParseError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if amount <= 0:
            raise forms.ValidationError(self.error_messages["min_value"], code="min_value")
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(self.error_messages["max_value"], code="max_value")
        return amount

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return formats.number_format(value, 2, use_l10n=True)
        return value


class InvoiceForm(BootstrapMixin, forms.Form):
    """The Créer une facture dialog (and the edit page): the fields in the seed's order."""

    unit = UnitField(label=pgettext_lazy("invoice", "Unit"))
    title = forms.CharField(label=pgettext_lazy("invoice", "Title"), max_length=200)
    amount = AmountField(
        label=pgettext_lazy("invoice", "Amount"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
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

    def __init__(
        self,
        data: Any = None,
        *,
        units: list[tuple[int, str]],
        today: dt.date,
        initial: dict[str, Any] | None = None,
        with_token: bool = True,
        warning_url: str | None = None,
        with_amount: bool = True,
    ) -> None:
        super().__init__(data, initial=initial)
        if not with_token:
            del self.fields["token"]
        if not with_amount:  # editing a draft: its amount is the total of the lines below
            del self.fields["amount"]
        self.today = today
        unit_field: Any = self.fields["unit"]
        unit_field.set_units(units, "—")
        if warning_url:
            # Choosing a unit asks at once whether its invoices can be emailed (role="alert" warning).
            unit_field.widget.attrs.update(
                {
                    "hx-get": warning_url,
                    "hx-trigger": "change",
                    "hx-target": "#unit-warning",
                    "hx-swap": "innerHTML",
                    "hx-include": "this",
                    "aria-controls": "unit-warning",
                }
            )
        self.fields["due_date"].widget.attrs["min"] = today.isoformat()
        self.fields["title"].widget.attrs["maxlength"] = "200"
        if with_token and data is None and not (initial or {}).get("token"):
            self.initial["token"] = uuid.uuid4()
        if data is not None:
            self.is_valid()
        self.style_fields()

    def clean_due_date(self) -> dt.date | None:
        due: dt.date | None = self.cleaned_data.get("due_date")
        if due is not None and due < self.today:
            raise forms.ValidationError(_("The due date must be today or later."), code="past")
        return due


class VoidForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=pgettext_lazy("void reason", "Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        if data is not None:
            self.is_valid()
        self.style_fields()


# --- Invoice lines ------------------------------------------------------------------------------------

LINES_PREFIX = "lines"


def category_choices(categories: list[ChargeCategory]) -> list[tuple[str, str]]:
    """« Stationnement — Fonds d'exploitation (taxable) »: the fund and the taxes beside each category."""
    choices = []
    for category in categories:
        label = f"{category.display_name} — {category.fund.display_name}"
        if category.taxable:
            label += " " + str(_("(GST and QST)"))
        choices.append((str(category.pk), label))
    return choices


class LineForm(forms.Form):
    """One line of an invoice: description, category, amount (taxes are computed from the category)."""

    description = forms.CharField(
        label=pgettext_lazy("invoice line", "Description"), max_length=LINE_DESCRIPTION_MAX
    )
    category = forms.TypedChoiceField(label=pgettext_lazy("invoice line", "Category"), coerce=int)
    amount = AmountField(
        label=pgettext_lazy("invoice line", "Amount"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category: Any = self.fields["category"]
        category.choices = choices
        self.fields["description"].widget.attrs["maxlength"] = str(LINE_DESCRIPTION_MAX)

    def is_blank(self) -> bool:
        """A row added and left empty: ignored rather than refused."""
        data = self.data
        return not any(str(data.get(self.add_prefix(name), "")).strip() for name in ("description", "amount"))


class LinesFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"choices": self.choices}


LineFormSet: Any = forms.formset_factory(
    LineForm, formset=LinesFormSet, extra=0, max_num=MAX_LINES, absolute_max=MAX_LINES
)


def posted_rows(data: Any) -> list[dict[str, str]]:
    """The lines as posted (raw text), to show them again after « Ajouter une ligne » or « Retirer »."""
    try:
        total = min(int(data.get(f"{LINES_PREFIX}-TOTAL_FORMS", 0)), MAX_LINES)
    except (TypeError, ValueError):
        total = 0
    return [
        {
            name: str(data.get(f"{LINES_PREFIX}-{i}-{name}", ""))
            for name in ("description", "category", "amount")
        }
        for i in range(max(total, 0))
    ]


def lines_formset(
    data: Any = None,
    *,
    categories: list[ChargeCategory],
    rows: list[dict[str, Any]] | None = None,
    focus_last: bool = False,
) -> Any:
    """Bound to ``data`` (a submit), or showing ``rows`` (a first display, or after adding/removing a row)."""
    choices = category_choices(categories)
    if data is not None:
        formset = LineFormSet(data, prefix=LINES_PREFIX, choices=choices)
        for form in formset:
            form.is_valid()
    else:
        formset = LineFormSet(initial=rows or [], prefix=LINES_PREFIX, choices=choices)
        if focus_last and formset.forms:
            formset.forms[-1].fields["description"].widget.attrs["autofocus"] = True
    for form in formset:
        style_line_form(form)
    return formset


def style_line_form(form: forms.Form) -> None:
    for name, field in form.fields.items():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = css
        bound = form[name]
        if form.is_bound and bound.errors:
            widget.attrs["class"] = f"{css} is-invalid"
            widget.attrs["aria-invalid"] = "true"
            widget.attrs["aria-describedby"] = f"{bound.auto_id}_error"
