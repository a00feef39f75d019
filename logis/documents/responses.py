"""PDF downloads: the response that carries them (their names: ``documents.filenames``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header

from logis.core.charter import documents_in
from logis.documents.filenames import invoice_filename, receipt_filename, remittance_filename
from logis.documents.pdf_invoice import render_invoice_pdf
from logis.documents.pdf_receipt import render_receipt_pdf, render_remittance_pdf
from logis.documents.selectors import InvoiceDocument, ReceiptDocument, RemittanceDocument
from logis.payments.availability import online_payment_available


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """The PDF as a download (or shown in the browser when ``inline``); personal data: never cached."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["Content-Length"] = str(len(content))
    add_never_cache_headers(response)
    return response


def invoice_pdf_response(document: InvoiceDocument) -> HttpResponse:
    """The invoice's PDF, in the active language (French beside it for a Quebec property: s. 57), as a
    download named for it."""
    with documents_in(document.property, translation.get_language()):
        content = render_invoice_pdf(document, online_payment=online_payment_available(document.property))
    return pdf_response(content, invoice_filename(document))


def receipt_pdf_response(document: ReceiptDocument) -> HttpResponse:
    """The receipt's PDF, in the active language (French beside it for a Quebec property: s. 57), as a
    download named for it."""
    with documents_in(document.property, translation.get_language()):
        content = render_receipt_pdf(document)
    return pdf_response(content, receipt_filename(document))


def remittance_pdf_response(document: RemittanceDocument) -> HttpResponse:
    """The receipt of a payment for several invoices, in the active language (French beside it for a
    Quebec property: s. 57), as a download."""
    with documents_in(document.property, translation.get_language()):
        content = render_remittance_pdf(document)
    return pdf_response(content, remittance_filename(document))
