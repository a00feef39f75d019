"""The reports page of a property: aging of balances due, and CSV exports of invoices and payments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from logis.core.csv_export import csv_response, plain_amount, safe_cell
from logis.core.dates import today_in
from logis.core.permissions import Action
from logis.invoicing.models import InvoiceStatus
from logis.payments.models import METHOD_CHOICES, PaymentKind
from logis.properties.access import PropertyRequest, property_view
from logis.reports import selectors

UNITS_PER_PAGE = 50


@property_view(Action.VIEW_REPORTS)
def reports(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    totals = selectors.aging_totals(property=prop, today=today)
    paginator: Paginator[Any] = Paginator(
        selectors.aging_by_unit(property=prop, today=today),  # type: ignore[arg-type]
        UNITS_PER_PAGE,
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = [(unit, selectors.unit_buckets(unit)) for unit in page]
    return render(
        request,
        "reports/reports.html",
        {"today": today, "totals": totals, "page": page, "rows": rows, "buckets": selectors.BUCKETS},
    )


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # streamed, not an HttpResponse
def invoices_csv(request: PropertyRequest) -> StreamingHttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    zone = ZoneInfo(prop.timezone)
    # Labels are translated now: the rows are written after the view returns, in any language state.
    header = [
        _("Number"),
        _("Unit"),
        _("Title"),
        _("Amount"),
        _("Amount paid"),
        _("Balance due"),
        _("Due date"),
        _("Status"),
        _("Published on"),
    ]
    statuses = {s.value: str(s.label) for s in InvoiceStatus}

    def rows() -> Iterator[list[str]]:
        for invoice in selectors.invoices_for_export(property=prop, today=today):
            published = (
                invoice.published_at.astimezone(zone).date().isoformat() if invoice.published_at else ""
            )
            status: str = invoice.display_status  # type: ignore[attr-defined]
            yield [
                str(invoice.number or ""),
                safe_cell(invoice.unit.number),
                safe_cell(invoice.title),
                plain_amount(invoice.amount),
                plain_amount(invoice.amount_paid),
                plain_amount(invoice.balance_due),  # type: ignore[attr-defined]
                invoice.due_date.isoformat(),
                statuses.get(status, status),
                published,
            ]

    name = _("invoices")  # the file name: factures-<property>-<date>.csv
    return csv_response(f"{name}-{prop.pk}-{today.isoformat()}.csv", header, rows())


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # streamed, not an HttpResponse
def payments_csv(request: PropertyRequest) -> StreamingHttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    header = [_("Date"), _("Unit"), _("Invoice number"), _("Kind"), _("Method"), _("Amount"), _("Reference")]
    kinds = {value: str(label) for value, label in PaymentKind.choices}
    methods = {value: str(label) for value, label in METHOD_CHOICES}

    def rows() -> Iterator[list[str]]:
        for payment in selectors.payments_for_export(property=prop):
            yield [
                payment.paid_on.isoformat(),
                safe_cell(payment.unit.number),
                str(payment.invoice.number or ""),
                kinds.get(payment.kind, payment.kind),
                methods.get(payment.method, payment.method),
                plain_amount(payment.amount),
                safe_cell(payment.reference),
            ]

    name = _("payments")  # the file name: paiements-<property>-<date>.csv
    return csv_response(f"{name}-{prop.pk}-{today.isoformat()}.csv", header, rows())
