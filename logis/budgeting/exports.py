"""Rapports > « Exporter les lignes de factures (CSV) »: one row per invoice line, with its category, its
fund and its taxes, for the published invoices the invoices CSV lists (same order, same invoice numbers).

A separate file rather than columns in ``invoices.csv``: an invoice has any number of lines, and the
invoices file keeps one row per invoice that its users already sum and filter.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from logis.core.csv_export import csv_response, plain_amount, safe_cell
from logis.core.dates import today_in
from logis.core.permissions import Action
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
def invoice_lines_csv(request: PropertyRequest) -> StreamingHttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    # Labels and names are read now: the rows are written after the view returns, in any language state.
    header = [
        _("Invoice number"),
        _("Unit"),
        _("Invoice title"),
        pgettext("invoice", "Status"),
        _("Due date"),
        _("Line"),
        pgettext("invoice line", "Description"),
        pgettext("invoice line", "Category"),
        _("Fund"),
        _("Amount before taxes"),
        _("GST"),
        _("QST"),
        _("Line total"),
    ]
    statuses = {s.value: str(s.label) for s in InvoiceStatus}
    names: dict[tuple[str, int], str] = {}

    def name(kind: str, obj: object) -> str:
        key = (kind, obj.pk)  # type: ignore[attr-defined]
        if key not in names:
            names[key] = str(obj.display_name)  # type: ignore[attr-defined]
        return names[key]

    language = translation.get_language()

    def rows() -> Iterator[list[str]]:
        with translation.override(language):
            for line in lines_for_export(property=prop):
                invoice = line.invoice
                yield [
                    str(invoice.number or ""),
                    safe_cell(invoice.unit.number),
                    safe_cell(invoice.title),
                    statuses.get(invoice.status, invoice.status),
                    invoice.due_date.isoformat(),
                    str(line.position),
                    safe_cell(line.description),
                    safe_cell(name("category", line.category)),
                    safe_cell(name("fund", line.category.fund)),
                    plain_amount(line.amount),
                    plain_amount(line.gst_amount),
                    plain_amount(line.qst_amount),
                    plain_amount(line.total),
                ]

    filename = _("invoice-lines")
    return csv_response(f"{filename}-{prop.pk}-{today.isoformat()}.csv", header, rows())
