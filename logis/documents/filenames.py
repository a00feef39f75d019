"""File names of the PDFs, in the reader's language: pure and light (emails attach them too)."""

from __future__ import annotations

from django.utils.text import slugify
from django.utils.translation import pgettext

from logis.documents.selectors import InvoiceDocument, ReceiptDocument, RemittanceDocument


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


def remittance_filename(document: RemittanceDocument) -> str:
    """``recu-3-R000042.pdf`` / ``receipt-3-R000042.pdf``."""
    return _name(pgettext("file name", "receipt"), document.number)
