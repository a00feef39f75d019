from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from logis.core.dates import EARLIEST_DATE, date_range_error, latest_date
from logis.core.forms import StyledForm
from logis.statements.selectors import default_period

# A statement reaches back to when Logis could hold data and ahead as far as any date Logis accepts
# (logis.core.dates); the time-zone arithmetic of a period stays far from the calendar's ends.
EARLIEST = EARLIEST_DATE


def _latest() -> dt.date:
    return latest_date()


def _date_input() -> forms.DateInput:
    return forms.DateInput(
        attrs={"type": "date", "min": EARLIEST.isoformat(), "max": _latest().isoformat()}, format="%Y-%m-%d"
    )


class StatementPeriodForm(StyledForm):
    """« Du » / « Au »: the period of the statement, both days included, in the property's local dates."""

    start = forms.DateField(label=_("From"), widget=_date_input())
    end = forms.DateField(label=_("To"), widget=_date_input())

    def _in_range(self, name: str) -> dt.date:
        value: dt.date = self.cleaned_data[name]
        error = date_range_error(value)
        if error:
            raise forms.ValidationError(error)
        return value

    def clean_start(self) -> dt.date:
        return self._in_range("start")

    def clean_end(self) -> dt.date:
        return self._in_range("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date cannot be before the start date."))
        return data


def period_form(query: QueryDict, *, today: dt.date) -> StatementPeriodForm:
    """The period asked in the query string; a day left empty takes the default (the 12 months up to
    today, or up to the end date chosen). What was typed stays as typed, so an error shows beside it."""
    start = (query.get("start") or "").strip()
    end = (query.get("end") or "").strip()
    if not end:
        end = today.isoformat()
    if not start:
        try:
            until = dt.date.fromisoformat(end)
        except ValueError:
            until = today
        start = default_period(until)[0].isoformat() if EARLIEST < until <= _latest() else ""
    return StatementPeriodForm({"start": start[:32], "end": end[:32]})
