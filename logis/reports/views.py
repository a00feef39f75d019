"""The reports page of a property: aging of balances due, and exports (CSV, CSV for Excel fr-CA, XLSX) of
invoices and payments."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from logis.core.dates import today_in
from logis.core.permissions import Action
from logis.core.tabular import Cell, Column, Kind, Table, requested_format, table_response
from logis.invoicing.models import InvoiceStatus
from logis.payments import selectors as payment_selectors
from logis.payments.models import CREDIT_METHOD, METHOD_CHOICES, PaymentKind
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
def aging_export(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    """The aging of balances due as the page shows it, every unit owing something (not one page of
    them) and a totals row; the same SQL as the page, streamed."""
    prop = request.property
    today = today_in(prop.timezone)
    totals = selectors.aging_totals(property=prop, today=today)
    columns = [
        Column(_("Unit")),
        Column(_("Primary resident"), width=30),
        *[Column(str(bucket.label), Kind.MONEY) for bucket in selectors.BUCKETS],
        Column(_("Total"), Kind.MONEY),
    ]
    total_label = _("Total")

    def rows() -> Iterator[list[Cell]]:
        for unit in selectors.aging_by_unit(property=prop, today=today).iterator(chunk_size=2000):
            amounts: list[Cell] = list(selectors.unit_buckets(unit))
            yield [unit.number, unit.resident_name or "", *amounts, unit.total]  # type: ignore[attr-defined]
        yield [total_label, "", *[bucket.amount for bucket in totals.buckets], totals.amount]

    name = _("aging")  # the file name: age-des-comptes-<property>-<date>.csv
    return table_response(
        Table(title=_("Aging of balances due"), columns=columns, rows=rows()),
        filename=f"{name}-{prop.pk}-{today.isoformat()}",
        fmt=requested_format(request),
    )


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # streamed, not an HttpResponse
def invoices_csv(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    zone = ZoneInfo(prop.timezone)
    # Labels are translated now: the rows are written after the view returns, in any language state.
    columns = [
        Column(_("Number"), Kind.INTEGER),
        Column(_("Unit")),
        Column(_("Title"), width=40),
        Column(_("Amount"), Kind.MONEY),
        Column(_("Amount paid"), Kind.MONEY),
        Column(_("Balance due"), Kind.MONEY),
        Column(_("Due date"), Kind.DATE),
        Column(_("Status")),
        Column(_("Published on"), Kind.DATE),
    ]
    statuses = {s.value: str(s.label) for s in InvoiceStatus}

    def rows() -> Iterator[list[Cell]]:
        for invoice in selectors.invoices_for_export(property=prop, today=today):
            published = invoice.published_at.astimezone(zone).date() if invoice.published_at else None
            status: str = invoice.display_status  # type: ignore[attr-defined]
            yield [
                invoice.number,
                invoice.unit.number,
                invoice.title,
                invoice.amount,
                invoice.amount_paid,
                invoice.balance_due,  # type: ignore[attr-defined]
                invoice.due_date,
                statuses.get(status, status),
                published,
            ]

    name = _("invoices")  # the file name: factures-<property>-<date>.csv
    return table_response(
        Table(title=_("Invoices"), columns=columns, rows=rows()),
        filename=f"{name}-{prop.pk}-{today.isoformat()}",
        fmt=requested_format(request),
    )


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # streamed, not an HttpResponse
def payments_csv(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    """Every succeeded payment, reversal and refund, and every unit credit refunded to a resident, by
    date, with the money that moved: negative for what went back (the Paiements page's Net is their sum).

    The unit's credit applied to an invoice moves no money: its row has no Amount, its amount is in
    « Credit applied » (so the Amount column still adds up to the Net; decision 0039)."""
    prop = request.property
    today = today_in(prop.timezone)
    columns = [
        Column(_("Date"), Kind.DATE),
        Column(_("Unit")),
        Column(_("Invoice number"), Kind.INTEGER),
        Column(_("Kind"), width=24),
        Column(_("Method"), width=24),
        Column(_("Amount"), Kind.MONEY),
        Column(_("Reference"), width=30),
        Column(_("Credit applied"), Kind.MONEY),
    ]
    kinds = {value: str(label) for value, label in PaymentKind.choices}
    methods = {value: str(label) for value, label in METHOD_CHOICES}
    credit_refund = _("Unit credit refund")
    # Few rows (credit given back by hand), read now, merged by date into the streamed payments.
    refunds = sorted(
        (
            (payment_selectors.credit_refund_date(entry, prop), entry.pk, entry)
            for entry in payment_selectors.credit_refund_list(
                property=prop, filters=payment_selectors.PaymentFilters()
            )
        ),
        key=lambda item: (item[0], item[1]),
    )

    def payment_rows() -> Iterator[tuple[dt.date, int, list[Cell]]]:
        for payment in selectors.payments_for_export(property=prop):
            amount = payment_selectors.signed_amount(payment)
            credit = payment.method == CREDIT_METHOD
            yield (
                payment.paid_on,
                0,
                [
                    payment.paid_on,
                    payment.unit.number,
                    payment.invoice.number,
                    kinds.get(payment.kind, payment.kind),
                    methods.get(payment.method, payment.method),
                    None if credit else amount,
                    payment.reference,
                    amount if credit else None,
                ],
            )

    def refund_rows() -> Iterator[tuple[dt.date, int, list[Cell]]]:
        for day, _pk, entry in refunds:
            yield (
                day,
                1,
                [
                    day,
                    entry.unit.number,
                    None,
                    credit_refund,
                    methods.get(entry.method, entry.method),
                    entry.amount,
                    "",
                    None,
                ],
            )

    def rows() -> Iterator[list[Cell]]:
        for _day, _order, row in heapq.merge(
            payment_rows(), refund_rows(), key=lambda item: (item[0], item[1])
        ):
            yield row

    name = _("payments")  # the file name: paiements-<property>-<date>.csv
    return table_response(
        Table(title=_("Payments"), columns=columns, rows=rows()),
        filename=f"{name}-{prop.pk}-{today.isoformat()}",
        fmt=requested_format(request),
    )
