"""PDF downloads: file names in the reader's language, and the response that carries them."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import pgettext

from logis.documents.pdf import render_invoice_pdf, render_receipt_pdf
from logis.documents.selectors import InvoiceDocument, ReceiptDocument
from logis.payments.availability import online_payment_available


def _name(word: str, suffix: str) -> str:
    # ASCII, as every mail client and file system takes it: « reçu » → « recu ».
    return f"{slugify(word)}-{suffix}.pdf"


def invoice_filename(document: InvoiceDocument) -> str:
    """``facture-7.pdf`` / ``invoice-7.pdf``; a draft: ``brouillon-<id>.pdf`` / ``draft-<id>.pdf``; a
    draft voided before it was ever published: ``facture-annulee-<id>.pdf`` / ``void-invoice-<id>.pdf``."""
    invoice = document.invoice
    if invoice.number:
        return _name(pgettext("file name", "invoice"), str(invoice.number))
    if document.is_draft:
        return _name(pgettext("file name", "draft"), str(invoice.pk))
    return _name(pgettext("file name", "void-invoice"), str(invoice.pk))


def receipt_filename(document: ReceiptDocument) -> str:
    """``recu-3-000042.pdf`` / ``receipt-3-000042.pdf``."""
    return _name(pgettext("file name", "receipt"), document.number)


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """The PDF as a download (or shown in the browser when ``inline``); personal data: never cached."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["Content-Length"] = str(len(content))
    add_never_cache_headers(response)
    return response


def invoice_pdf_response(document: InvoiceDocument) -> HttpResponse:
    """The invoice's PDF, in the active language, as a download named for it."""
    content = render_invoice_pdf(document, online_payment=online_payment_available(document.property))
    return pdf_response(content, invoice_filename(document))


def receipt_pdf_response(document: ReceiptDocument) -> HttpResponse:
    """The receipt's PDF, in the active language, as a download named for it."""
    return pdf_response(render_receipt_pdf(document), receipt_filename(document))
