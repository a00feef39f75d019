"""The months of recurring dues: periods (the 1st of a month), due dates, run dates and titles."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from django.utils import formats, translation

if TYPE_CHECKING:
    from logis.billing.models import RecurringSchedule

MONTH_PLACEHOLDERS = ("{mois}", "{month}")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def first_of_month_after(day: dt.date, months: int) -> dt.date:
    """The 1st of the month ``months`` after ``day``'s month (``months`` may be negative). Not
    ``core.dates.add_months``, which keeps the day of the month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def due_date_for(period: dt.date, day_of_month: int) -> dt.date:
    """The due date in ``period``'s month: ``day_of_month``, or the month's last day when it is shorter."""
    last = calendar.monthrange(period.year, period.month)[1]
    return period.replace(day=min(day_of_month, last))


def run_date_for(schedule: RecurringSchedule, period: dt.date) -> dt.date:
    """The local date on which the worker creates ``period``'s invoices: ``lead_days`` before they are due."""
    return due_date_for(period, schedule.day_of_month) - dt.timedelta(days=schedule.lead_days)


def month_label(period: dt.date, language: str) -> str:
    """« janvier 2027 » / "January 2027"."""
    with translation.override(language or "fr"):
        return str(formats.date_format(period, "F Y"))


def title_for(pattern: str, period: dt.date, language: str) -> str:
    """The pattern with ``{mois}`` (or ``{month}``) replaced by the month in the property's language."""
    label = month_label(period, language)
    title = pattern
    for placeholder in MONTH_PLACEHOLDERS:
        title = title.replace(placeholder, label)
    return title.strip()
