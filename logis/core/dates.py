"""Dates as a property sees them: its own time zone decides what 'today' is."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation


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
