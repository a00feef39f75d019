"""The statement pages: a unit's for the property's members, and each of their units' for residents in
the portal. Same selector, same period form, same lines, a printable page and a CSV of the lines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.tabular import Cell, Column, Kind, Table, requested_format, table_response
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Unit
from logis.properties.selectors import get_unit
from logis.statements import selectors
from logis.statements.forms import StatementPeriodForm, period_form


def _context(unit: Unit, form: StatementPeriodForm, today: dt.date) -> dict[str, Any]:
    context: dict[str, Any] = {"unit": unit, "form": form, "today": today, "statement": None}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        context["statement"] = selectors.unit_statement(unit=unit, start=start, end=end)
        context["query"] = f"start={start.isoformat()}&end={end.isoformat()}"
        if end >= today:  # the period reaches today: say how the closing balance splits
            context["position"] = selectors.account_position(unit=unit)
    return context


def _filename(unit: Unit, start: dt.date, end: dt.date) -> str:
    number = re.sub(r"[^A-Za-z0-9_-]+", "_", unit.number).strip("_") or str(unit.pk)
    name = _("statement")  # the file name: releve-<unit>-<start>-<end>.csv
    return f"{name}-{number}-{start.isoformat()}-{end.isoformat()}"


def _export(
    request: HttpRequest, unit: Unit, form: StatementPeriodForm
) -> StreamingHttpResponse | HttpResponse:
    """The statement's lines as CSV, CSV for Excel fr-CA or XLSX (``?format=``), between an opening and
    a closing balance row."""
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    statement = selectors.unit_statement(unit=unit, start=start, end=end)
    columns = [
        Column(_("Date"), Kind.DATE),
        Column(_("Description"), width=44),
        Column(_("Invoice number"), Kind.INTEGER),
        Column(_("Debit"), Kind.MONEY),
        Column(pgettext("statement column", "Credit"), Kind.MONEY),
        Column(pgettext("statement column", "Balance"), Kind.MONEY),
    ]
    # Rows are written after the view returns: everything a person reads is translated now.
    rows: list[list[Cell]] = [[start, _("Opening balance"), None, None, None, statement.opening_balance]]
    for line in statement.lines:
        rows.append([line.date, line.description, line.invoice_number, line.debit, line.credit, line.balance])
    rows.append(
        [
            end,
            _("Closing balance"),
            None,
            statement.total_debit,
            statement.total_credit,
            statement.closing_balance,
        ]
    )
    return table_response(
        Table(title=_("Statement"), columns=columns, rows=rows),
        filename=_filename(unit, start, end),
        fmt=requested_format(request),
    )


# --- Members of the property --------------------------------------------------------------------


def _member_unit(request: PropertyRequest, unit_id: int) -> Unit:
    unit = get_unit(property=request.property, unit_id=unit_id)
    unit.property = request.property
    return unit


@property_view()
def unit_statement(request: PropertyRequest, unit_id: int) -> HttpResponse:
    unit = _member_unit(request, unit_id)
    today = today_in(request.property.timezone)
    form = period_form(request.GET, today=today)
    return render(request, "statements/unit_statement.html", _context(unit, form, today))


@property_view()  # type: ignore[arg-type]  # streamed, not an HttpResponse
def unit_statement_csv(request: PropertyRequest, unit_id: int) -> StreamingHttpResponse | HttpResponse:
    unit = _member_unit(request, unit_id)
    form = period_form(request.GET, today=today_in(request.property.timezone))
    if not form.is_valid():  # the page says what is wrong, beside the field
        url = reverse("statements:unit", args=[request.property.pk, unit.pk])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}")
    return _export(request, unit, form)


# --- Residents, in the portal -------------------------------------------------------------------


def _resident_unit(request: HttpRequest, unit_id: int) -> Unit:
    user = request.user
    assert isinstance(user, User)
    unit = selectors.resident_unit(user=user, unit_id=unit_id)
    if unit is None:
        raise Http404
    return unit


@login_required
def portal_statement(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _resident_unit(request, unit_id)
    today = today_in(unit.property.timezone)
    form = period_form(request.GET, today=today)
    context = _context(unit, form, today)
    context["property"] = unit.property
    return render(request, "statements/portal_statement.html", context)


@login_required
def portal_statement_csv(request: HttpRequest, unit_id: int) -> StreamingHttpResponse | HttpResponse:
    unit = _resident_unit(request, unit_id)
    form = period_form(request.GET, today=today_in(unit.property.timezone))
    if not form.is_valid():
        url = reverse("statements:portal", args=[unit.pk])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}")
    return _export(request, unit, form)
