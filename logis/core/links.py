"""Addresses that leave the site (emails, PDFs, Stripe): ``SITE_URL`` + a path. The resident portal's
invoice page is built here once, for the portal's pages, the emails and the PDF invoices alike."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    """The address of ``path`` (``/portal/…``) as links in emails and PDFs carry it."""
    return f"{settings.SITE_URL}{path}"


def portal_invoice_path(invoice_id: int, query: str = "") -> str:
    """The resident portal's page of one invoice (where they see it and pay it)."""
    path = reverse("portal:invoice", args=[invoice_id])
    return f"{path}?{query}" if query else path


def portal_invoice_url(invoice_id: int) -> str:
    """The same page as an absolute address, for emails and PDFs."""
    return absolute_url(portal_invoice_path(invoice_id))


def manager_invoice_url(property_id: int, invoice_id: int) -> str:
    """An invoice's page on the property's side, as an absolute address (emails to the managers)."""
    return absolute_url(reverse("invoicing:detail", args=[property_id, invoice_id]))
