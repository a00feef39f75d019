"""What an invoice must be to be written: its title, description, due date, unit and lines, each refused
with the field it belongs to. Every path that creates invoices (one, a batch, recurring dues, budgets,
special assessments) checks with these, so they all refuse the same things in the same words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from logis.core.dates import date_range_error, latest_date, today_in
from logis.core.errors import InvalidTransition, ValidationError
from logis.finances.models import CategoryCode
from logis.invoicing.lines import (
    CleanLine,
    LineInput,
    amount_error,
    clean_line,
    clean_lines,
    lines_total,
    single_line_category,
)
from logis.invoicing.models import DESCRIPTION_MAX
from logis.properties.models import Property, Unit

TITLE_MAX = 200
REASON_MAX = 500


def require_payments_enabled(property: Property) -> None:
    """Refuse to bill a property that does not take payments (every path that creates invoices asks)."""
    if not property.payments_enabled:
        raise InvalidTransition(
            _("Payments are not enabled for this property: enable them in Settings > Payments first.")
        )


def clean_title(title: str | None) -> tuple[str, str | None]:
    """An invoice title without surrounding spaces, and why it is refused (None if it is not)."""
    title = (title or "").strip()
    if not title:
        return title, _("Enter a title.")
    if len(title) > TITLE_MAX:
        return title, _("The title may have at most %(max)d characters.") % {"max": TITLE_MAX}
    return title, None


def clean_description_error(description: str | None) -> str | None:
    """Why an invoice description is refused (too long), or None."""
    if len((description or "").strip()) > DESCRIPTION_MAX:
        return _("The description may have at most %(max)d characters.") % {"max": DESCRIPTION_MAX}
    return None


def due_date_error(
    property: Property, due_date: dt.date | None, now: dt.datetime | None = None
) -> str | None:
    """Why a new invoice's due date is refused: missing, or before today in the property's time zone."""
    if due_date is None:
        return _("Enter a due date.")
    today = today_in(property.timezone, now=now)
    if due_date < today:
        return _("The due date must be today or later.")
    return date_range_error(due_date, latest=latest_date(today))


def field_errors(
    *,
    property: Property,
    title: str,
    due_date: dt.date | None,
    description: str,
    now: dt.datetime | None = None,
) -> tuple[str, dict[str, str]]:
    """What every invoice needs whatever its unit and lines: the title (returned without surrounding
    spaces), the due date and the description, each refusal by its field's name."""
    errors: dict[str, str] = {}
    title, title_error = clean_title(title)
    if title_error:
        errors["title"] = title_error
    due_error = due_date_error(property, due_date, now)
    if due_error:
        errors["due_date"] = due_error
    description_error = clean_description_error(description)
    if description_error:
        errors["description"] = description_error
    return title, errors


def clean_fields(
    *,
    property: Property,
    unit_id: int | None,
    title: str,
    amount: Decimal | None,
    due_date: dt.date | None,
    description: str,
    lines: list[LineInput] | None = None,
    category_code: CategoryCode | None = None,
    keep_category_ids: tuple[int, ...] = (),
) -> tuple[Unit, str, list[CleanLine], dt.date, str]:
    """Validate what every invoice needs; raise ValidationError naming each refused field.

    Without ``lines``: one line of ``amount`` titled like the invoice, in ``category_code``'s category
    (the property's default category when None). With ``lines``: ``amount``, when given, must be their total.
    """
    errors: dict[str, str] = {}
    unit = Unit.objects.filter(pk=unit_id, property=property).first() if unit_id else None
    if unit is None:
        errors["unit"] = _("Choose a unit of this property.")
    title, shared = field_errors(property=property, title=title, due_date=due_date, description=description)
    if "title" in shared:
        errors["title"] = shared.pop("title")
    clean: list[CleanLine] = []
    if lines is None:
        error = amount_error(amount)
        if error:
            errors["amount"] = error
        elif title:
            assert amount is not None
            clean = [clean_line(single_line_category(property, category_code), title, amount)]
    else:
        clean, line_errors = clean_lines(property, lines, keep_category_ids=keep_category_ids)
        errors.update(line_errors)
        if not line_errors and amount is not None and amount != lines_total(clean):
            errors["amount"] = _("The amount must equal the total of the lines (%(total)s).") % {
                "total": lines_total(clean)
            }
    errors.update(shared)  # the due date's and description's refusals, after the amount's
    if errors:
        raise ValidationError(errors)
    assert unit is not None and due_date is not None
    return unit, title, clean, due_date, (description or "").strip()
