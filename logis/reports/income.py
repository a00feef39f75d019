"""Rapports > « Revenus par fonds et catégorie »: what was billed in each month of a fiscal year, per fund
(art. 1071 CcQ: what a unit pays must be traceable to each fund) and per charge category, with totals.

Read from the lines of published invoices, by the property's local month of publication (the month the
invoice was issued), amounts before taxes (GST and QST are collected for the governments, not income of a
fund). A voided invoice bills nothing and is left out. Fund balances need the ledger and are not here.

Two queries whatever the number of invoices: the sums per (month, category) in SQL, then the categories.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Min, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _

from logis.budgeting.budget_reads import current_fiscal_year, fiscal_year_label
from logis.core.dates import add_months
from logis.core.permissions import Action
from logis.core.tabular import Cell, Column, Kind, Table, requested_format, table_response
from logis.finances.models import ChargeCategory, Fund
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Property

ZERO = Decimal("0.00")


@dataclass
class CategoryRow:
    category: ChargeCategory
    months: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.months, ZERO)


@dataclass
class FundBlock:
    fund: Fund
    rows: list[CategoryRow] = field(default_factory=list)

    @property
    def months(self) -> list[Decimal]:
        return [sum(column, ZERO) for column in zip(*(r.months for r in self.rows), strict=True)]

    @property
    def total(self) -> Decimal:
        return sum((r.total for r in self.rows), ZERO)


@dataclass
class IncomeReport:
    year: int
    label: str
    months: list[dt.date]
    funds: list[FundBlock]

    @property
    def month_totals(self) -> list[Decimal]:
        if not self.funds:
            return [ZERO] * len(self.months)
        return [sum(column, ZERO) for column in zip(*(f.months for f in self.funds), strict=True)]

    @property
    def total(self) -> Decimal:
        return sum((f.total for f in self.funds), ZERO)


def fiscal_year_bounds(property: Property, year: int) -> tuple[dt.date, dt.date]:
    """First day of fiscal year ``year`` and first day of the next (the property's first month)."""
    start = dt.date(year, property.fiscal_year_start_month or 1, 1)
    return start, add_months(start, 12)


def income_years(property: Property) -> list[int]:
    """The fiscal years from that of the first published invoice to the current one, newest first."""
    current = current_fiscal_year(property)
    first = Invoice.objects.filter(property=property, published_at__isnull=False).aggregate(
        first=Min("published_at")
    )["first"]
    oldest = current
    if first is not None:
        oldest = min(
            current, current_fiscal_year(property, first.astimezone(ZoneInfo(property.timezone)).date())
        )
    return list(range(current, oldest - 1, -1))


def income_by_fund_and_category(*, property: Property, year: int) -> IncomeReport:
    """Billed income (before taxes) of fiscal year ``year`` per fund, category and month of issue."""
    zone = ZoneInfo(property.timezone)
    start, end = fiscal_year_bounds(property, year)
    months = [add_months(start, i) for i in range(12)]
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    sums = (
        InvoiceLine.objects.filter(
            invoice__property=property,
            invoice__published_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            invoice__published_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=zone),
        )
        .exclude(invoice__status__in=[InvoiceStatus.VOID, InvoiceStatus.DRAFT])
        .annotate(month=TruncMonth("invoice__published_at", tzinfo=zone))
        .values("month", "category_id")
        .annotate(billed=Sum("amount"))
        .order_by()
    )
    per_category: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for item in sums:
        month = item["month"]
        day = month.date() if isinstance(month, dt.datetime) else month
        per_category[item["category_id"]][index[(day.year, day.month)]] += Decimal(item["billed"])
    categories = (
        ChargeCategory.objects.filter(pk__in=per_category)
        .select_related("fund")
        .order_by("fund__position", "fund_id", "position", "id")
    )
    blocks: dict[int, FundBlock] = {}
    for category in categories:
        block = blocks.setdefault(category.fund_id, FundBlock(fund=category.fund))
        block.rows.append(CategoryRow(category=category, months=per_category[category.pk]))
    label = fiscal_year_label(year, property.fiscal_year_start_month or 1)
    return IncomeReport(year=year, label=label, months=months, funds=list(blocks.values()))


def _chosen_year(request: PropertyRequest, years: list[int]) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return years[0]
    return year if year in years else years[0]


@property_view(Action.VIEW_REPORTS)
def income(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    years = income_years(prop)
    year = _chosen_year(request, years)
    report = income_by_fund_and_category(property=prop, year=year)
    first = prop.fiscal_year_start_month or 1
    return render(
        request,
        "reports/income.html",
        {
            "report": report,
            "years": [(y, fiscal_year_label(y, first)) for y in years],
            "query": f"year={year}",
        },
    )


def _month_header(month: dt.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # may be streamed
def income_export(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    """The report as a table: one row per category, a total row per fund, and the grand total."""
    prop = request.property
    years = income_years(prop)
    report = income_by_fund_and_category(property=prop, year=_chosen_year(request, years))
    columns = [
        Column(_("Fund"), width=28),
        Column(_("Category"), width=28),
        *(Column(_month_header(m), Kind.MONEY) for m in report.months),
        Column(_("Total"), Kind.MONEY),
    ]
    rows: list[list[Cell]] = []
    for block in report.funds:
        fund = block.fund.display_name
        for row in block.rows:
            rows.append([fund, row.category.display_name, *row.months, row.total])
        rows.append([fund, _("Total of the fund"), *block.months, block.total])
    rows.append([_("All funds"), _("Total"), *report.month_totals, report.total])
    name = _("income")  # the file name: revenus-<property>-<fiscal year>
    return table_response(
        Table(title=_("Income by fund"), columns=columns, rows=rows),
        filename=f"{name}-{prop.pk}-{report.label}",
        fmt=requested_format(request),
    )
