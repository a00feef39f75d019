"""The treasurer's accounting exports (decision 0035): the general journal (CSV, fr-CA CSV, XLSX, and the
QuickBooks Online journal-entry CSV), the trial balance and the fund balances as tables, and the
« Soldes des fonds » page. Read-only; whoever may see the reports may download them.

The journal is streamed: entries are read by keyset chunks (``selectors.journal_export_lines``), so ten
years of entries never sit in memory for the CSVs. Account codes and names are the chart's as the
treasurer mapped them (Rapports > Plan comptable): the code, and the export name where one is given.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logis.budgeting.budget_reads import current_fiscal_year
from logis.core.csv_export import safe_cell
from logis.core.dates import today_in
from logis.core.forms import DateField
from logis.core.permissions import Action
from logis.core.tabular import Cell, Column, Format, Kind, Table, requested_format, table_response
from logis.finances.models import Fund
from logis.ledger import selectors
from logis.ledger.accounts import chart_of_accounts
from logis.ledger.models import EntryKind
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Property
from logis.reports.income import fiscal_year_bounds
from logis.reports.ledger_views import AsOfForm

QBO = "qbo"
# The columns of QuickBooks Online's « Import journal entries » (Settings > Import data > Journal
# entries): lines sharing a JournalNo form one entry, which must balance; AccountName must match an
# account of the company's chart exactly (« Parent:Sub » for a sub-account); dates MM/DD/YYYY.
QBO_HEADERS = [
    "JournalNo",
    "JournalDate",
    "AccountName",
    "Debits",
    "Credits",
    "Description",
    "Name",
    "Currency",
]
QBO_DATE = "%m/%d/%Y"

SOURCE_LABELS = {
    "invoice": gettext_lazy("Invoice"),
    "payment": gettext_lazy("Payment"),
    "remittance": gettext_lazy("Payment"),
    "unit_credit": gettext_lazy("Unit credit"),
}


class JournalExportForm(forms.Form):
    start = DateField(label=gettext_lazy("From"), required=False)
    end = DateField(label=gettext_lazy("To"), required=False)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            (Format.CSV.value, gettext_lazy("CSV")),
            (Format.CSV_FR.value, gettext_lazy("CSV (Excel, ;)")),
            (Format.XLSX.value, gettext_lazy("Excel (XLSX)")),
            (QBO, gettext_lazy("QuickBooks Online (journal entries CSV)")),
        ],
        initial=Format.CSV.value,
        required=False,  # a link without it: the plain CSV
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        data["format"] = data.get("format") or Format.CSV.value
        if start and end and end < start:
            self.add_error("end", _("The end date comes before the start date."))
        return data


def journal_export_form(prop: Property, data: Any = None) -> JournalExportForm:
    """The form of the Journal page: from the start of the fiscal year to today by default."""
    today = today_in(prop.timezone)
    start, _end = fiscal_year_bounds(prop, current_fiscal_year(prop, today))
    return JournalExportForm(data or None, initial={"start": start, "end": today, "format": Format.CSV.value})


def _journal_table(prop: Property, start: dt.date | None, end: dt.date | None) -> Table:
    # Names translated once, not per line (a chart has a few dozen accounts).
    accounts = {a.pk: (a.code, a.export_label) for a in chart_of_accounts(property=prop)}
    funds = {f.pk: f.display_name for f in Fund.objects.filter(property=prop)}
    kinds = {k.value: str(k.label) for k in EntryKind}
    sources = {key: str(label) for key, label in SOURCE_LABELS.items()}

    def rows() -> Iterator[list[Cell]]:
        for entry, line in selectors.journal_export_lines(property=prop, start=start, end=end):
            code, name = accounts[line.account_id]
            source = sources.get(entry.source_type, entry.source_type)
            yield [
                entry.date,
                entry.pk,
                kinds.get(entry.kind, entry.kind),
                entry.memo,
                f"{source} {entry.source_id}" if entry.source_id else source,
                entry.reverses_id,
                code,
                name,
                line.unit.number if line.unit is not None else "",
                funds.get(line.fund_id, "") if line.fund_id else "",
                line.debit or None,
                line.credit or None,
            ]

    columns = [
        Column(_("Date"), Kind.DATE),
        Column(_("Entry"), Kind.INTEGER),
        Column(_("Kind"), width=24),
        Column(_("Memo"), width=36),
        Column(_("Source"), width=18),
        Column(_("Reverses entry"), Kind.INTEGER),
        Column(_("Account code")),
        Column(_("Account name"), width=40),
        Column(_("Unit")),
        Column(_("Fund"), width=24),
        Column(_("Debit"), Kind.MONEY),
        Column(_("Credit"), Kind.MONEY),
    ]
    return Table(title=_("Journal"), columns=columns, rows=rows())


def qbo_lines(prop: Property, start: dt.date | None, end: dt.date | None) -> Iterator[str]:
    """The journal as QuickBooks Online's journal-entry CSV: plain UTF-8 with no BOM (its importer
    matches the header names), ``,`` and ``1234.50``, one JournalNo (the entry's number) per entry."""
    names = {a.pk: safe_cell(a.export_label) for a in chart_of_accounts(property=prop)}
    kinds = {k.value: str(k.label) for k in EntryKind}
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(QBO_HEADERS)
    for entry, line in selectors.journal_export_lines(property=prop, start=start, end=end):
        description = " · ".join(part for part in (kinds.get(entry.kind, entry.kind), entry.memo) if part)
        yield writer.writerow(
            [
                str(entry.pk),
                entry.date.strftime(QBO_DATE),
                names[line.account_id],
                f"{line.debit:.2f}" if line.debit else "",
                f"{line.credit:.2f}" if line.credit else "",
                safe_cell(description),
                safe_cell(line.unit.number) if line.unit is not None else "",
                prop.currency or "CAD",
            ]
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _range_name(start: dt.date | None, end: dt.date | None) -> str:
    return "-".join(d.isoformat() for d in (start, end) if d is not None) or _("all")


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # streamed
def journal_export(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    """The general journal from ``start`` to ``end`` in the format asked for; bad dates: the Journal page
    again with the message beside the field (400), what was typed kept."""
    prop = request.property
    form = JournalExportForm(request.GET)
    if not form.is_valid():
        from logis.reports.ledger_views import journal_context  # the page the form lives on

        context = journal_context(request, export_form=form)
        return render(request, "reports/journal.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    name = f"{_('journal')}-{prop.pk}-{_range_name(start, end)}"
    if form.cleaned_data["format"] == QBO:
        response = StreamingHttpResponse(qbo_lines(prop, start, end), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-quickbooks.csv"'
        return response
    return table_response(
        _journal_table(prop, start, end), filename=name, fmt=Format(form.cleaned_data["format"])
    )


def _as_of(request: PropertyRequest) -> tuple[AsOfForm, dt.date]:
    today = today_in(request.property.timezone)
    form = AsOfForm(request.GET or None, initial={"as_of": today})
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        return form, form.cleaned_data["as_of"]
    return form, today


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # may be streamed
def trial_balance_export(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    prop = request.property
    _form, as_of = _as_of(request)
    balance = selectors.trial_balance(property=prop, as_of=as_of)
    rows: list[list[Cell]] = [
        [r.account.code, r.account.export_label, r.debit, r.credit] for r in balance.rows
    ]
    rows.append(["", _("Total"), balance.total_debit, balance.total_credit])
    columns = [
        Column(_("Code")),
        Column(_("Account"), width=40),
        Column(_("Debit"), Kind.MONEY),
        Column(_("Credit"), Kind.MONEY),
    ]
    return table_response(
        Table(title=_("Trial balance"), columns=columns, rows=rows),
        filename=f"{_('trial-balance')}-{prop.pk}-{as_of.isoformat()}",
        fmt=requested_format(request),
    )


def fund_balances_for(prop: Property, as_of: dt.date) -> selectors.FundBalances:
    year_start, _next = fiscal_year_bounds(prop, current_fiscal_year(prop, as_of))
    return selectors.fund_balances(property=prop, as_of=as_of, year_start=year_start)


@property_view(Action.VIEW_REPORTS)
def fund_balances(request: PropertyRequest) -> HttpResponse:
    form, as_of = _as_of(request)
    report = fund_balances_for(request.property, as_of)
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "report": report, "query": f"as_of={as_of.isoformat()}"}
    return render(request, "reports/fund_balances.html", context, status=status)


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # may be streamed
def fund_balances_export(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    prop = request.property
    _form, as_of = _as_of(request)
    report = fund_balances_for(prop, as_of)
    rows: list[list[Cell]] = [
        [r.name, r.opening, r.earlier_revenue, r.year_revenue, r.balance] for r in report.rows
    ]
    rows.append([_("Total"), report.opening, report.earlier_revenue, report.year_revenue, report.balance])
    columns = [
        Column(_("Fund"), width=32),
        Column(_("Opening balance"), Kind.MONEY),
        Column(_("Revenue of earlier fiscal years"), Kind.MONEY),
        Column(_("Revenue of this fiscal year"), Kind.MONEY),
        Column(_("Balance"), Kind.MONEY),
    ]
    return table_response(
        Table(title=_("Fund balances"), columns=columns, rows=rows),
        filename=f"{_('fund-balances')}-{prop.pk}-{as_of.isoformat()}",
        fmt=requested_format(request),
    )
