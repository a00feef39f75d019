"""Rapports > « Exporter les lignes de factures » (CSV, CSV for Excel, XLSX): one row per invoice line,
with its category, its fund and its taxes, for the published invoices the invoices CSV lists (same order,
same invoice numbers).

A separate file rather than columns in ``invoices.csv``: an invoice has any number of lines, and the
invoices file keeps one row per invoice that its users already sum and filter.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from logis.core.dates import today_in
from logis.core.permissions import Action
from logis.core.tabular import Cell, Column, Kind, Table, requested_format, table_response
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import Property


def lines_for_export(*, property: Property) -> Iterator[InvoiceLine]:
    """Lines of the property's published invoices (voided ones included), by invoice number then position."""
    visible = Invoice.objects.filter(property=property).visible_to_residents()
    return (
        InvoiceLine.objects.filter(invoice__in=visible)
        .select_related("invoice__unit", "category__fund")
        .order_by(F("invoice__number").asc(nulls_last=True), "invoice_id", "position")
        .iterator(chunk_size=2000)
    )


@property_view(Action.VIEW_REPORTS)  # type: ignore[arg-type]  # streamed, not an HttpResponse
def invoice_lines_csv(request: PropertyRequest) -> HttpResponse | StreamingHttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    # Labels and names are read now: the rows are written after the view returns, in any language state.
    columns = [
        Column(_("Invoice number"), Kind.INTEGER),
        Column(_("Unit")),
        Column(_("Invoice title"), width=40),
        Column(pgettext("invoice", "Status")),
        Column(_("Due date"), Kind.DATE),
        Column(_("Line"), Kind.INTEGER),
        Column(pgettext("invoice line", "Description"), width=40),
        Column(pgettext("invoice line", "Category"), width=24),
        Column(_("Fund"), width=28),
        Column(_("Amount before taxes"), Kind.MONEY),
        Column(_("GST"), Kind.MONEY),
        Column(_("QST"), Kind.MONEY),
        Column(_("Line total"), Kind.MONEY),
    ]
    statuses = {s.value: str(s.label) for s in InvoiceStatus}
    names: dict[tuple[str, int], str] = {}

    def name(kind: str, obj: object) -> str:
        key = (kind, obj.pk)  # type: ignore[attr-defined]
        if key not in names:
            names[key] = str(obj.display_name)  # type: ignore[attr-defined]
        return names[key]

    language = translation.get_language()

    def rows() -> Iterator[list[Cell]]:
        with translation.override(language):
            for line in lines_for_export(property=prop):
                invoice = line.invoice
                yield [
                    invoice.number,
                    invoice.unit.number,
                    invoice.title,
                    statuses.get(invoice.status, invoice.status),
                    invoice.due_date,
                    line.position,
                    line.description,
                    name("category", line.category),
                    name("fund", line.category.fund),
                    line.amount,
                    line.gst_amount,
                    line.qst_amount,
                    line.total,
                ]

    filename = _("invoice-lines")
    return table_response(
        Table(title=_("Invoice lines"), columns=columns, rows=rows()),
        filename=f"{filename}-{prop.pk}-{today.isoformat()}",
        fmt=requested_format(request),
    )
