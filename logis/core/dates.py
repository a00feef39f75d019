"""Dates as a property sees them: its own time zone decides what 'today' is."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

# The range of dates Logis accepts anywhere a date or a month is typed or sent (forms, API, services): from
# before any property could have used Logis to YEARS_AHEAD years after today. Far dates (year 9999, 0001)
# are typing mistakes or attacks, and the month arithmetic of schedules and statements stays far from the
# calendar's ends (year 10000 does not exist).
EARLIEST_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 10


def today_in(tz_name: str, *, now: dt.datetime | None = None) -> dt.date:
    """The local calendar date in ``tz_name`` at ``now`` (default: the current instant)."""
    instant = now or timezone.now()
    return instant.astimezone(ZoneInfo(tz_name)).date()


def _french() -> bool:
    return (translation.get_language() or "fr").startswith("fr")


def first_as_ordinal(text: str, value: dt.date) -> str:
    """French writes the first day of a month as an ordinal: « 1er décembre 2026 », not « 1 décembre »."""
    if _french() and value.day == 1 and text.startswith("1 "):
        return f"1er{text[1:]}"
    return text


def table_date(value: dt.date | dt.datetime | None, language: str | None = None) -> str:
    """Dates in tables: « 5 déc. 2026 » in French, « Dec. 5, 2026 » in English (abbreviated month, so
    that day and month cannot be swapped); « 1er déc. 2026 » for the first of the month in French."""
    if value is None:
        return ""
    if language is not None:
        with translation.override(language):
            return table_date(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = timezone.localtime(value)
    if _french():
        return first_as_ordinal(formats.date_format(value, "j N Y"), value)
    return formats.date_format(value, "N j, Y")


def long_date(value: dt.date, language: str | None = None) -> str:
    """``1er décembre 2026``, ``24 novembre 2026`` / ``December 1, 2026``: in ``language``, by default the
    active one."""
    if language is not None:
        with translation.override(language):
            return long_date(value)
    if _french():
        return first_as_ordinal(formats.date_format(value, "j F Y"), value)
    return formats.date_format(value, "F j, Y")


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes the 28th in a year without it)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(value: dt.date, months: int) -> dt.date:
    """``value`` plus ``months`` calendar months, the day clamped to the month's last day (31 January 2028
    + 1 = 29 February 2028; 31 March - 1 = 28 or 29 February)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def latest_date(today: dt.date | None = None) -> dt.date:
    """The last date accepted: ``YEARS_AHEAD`` years after ``today`` (default: the server's local date)."""
    return add_years(today or timezone.localdate(), YEARS_AHEAD)


def date_range_error(
    value: dt.date, *, earliest: dt.date | None = None, latest: dt.date | None = None
) -> str | None:
    """Why ``value`` is refused (outside ``earliest`` … ``latest``, by default the sane range), or None."""
    low = earliest or EARLIEST_DATE
    high = latest or latest_date()
    if low <= value <= high:
        return None
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": low.isoformat(),
        "latest": high.isoformat(),
    }
