"""PDFs in a real browser: a manager downloads an invoice's PDF from its page, in French, and a receipt's
from the Paiements page; a resident who reads English downloads her receipt from the portal."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.payments.services import record_payment
from tests.factories import (
    InvoiceFactory,
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    member,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]


def _text(path: str | Path) -> str:
    content = Path(path).read_bytes()
    assert content.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join("\n".join(p.extract_text() for p in pages).replace("\u00a0", " ").split())


def _building() -> tuple[Invoice, Payment, User]:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone=TZ, address="1200, rue du Parc, Montréal")
    unit = UnitFactory(property=prop, number="101")
    marie = User.objects.create_user("marie@example.com", PASSWORD, language="en")
    resident = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", user=marie)
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    invoice = InvoiceFactory(
        property=prop,
        unit=unit,
        number=7,
        status=InvoiceStatus.OPEN,
        title="Cotisation spéciale — « toiture »",
        amount=Decimal("1234.50"),
        due_date=today_in(TZ) + dt.timedelta(days=20),
    )
    manager = member(prop, Role.MANAGER, email="gestionnaire@example.com", language="fr")
    payment = record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("1000.00"),
        paid_on=today_in(TZ),
        method="cheque",
        reference="Chèque 118",
    )
    return invoice, payment, marie


def test_a_manager_downloads_the_invoice_pdf_in_french_then_a_receipt(
    page: Page, login: Login, screenshot: Screenshot
) -> None:
    invoice, payment, _marie = _building()
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{invoice.property_id}/invoices/{invoice.pk}/")
    button = page.get_by_role("link", name="Télécharger le PDF")
    expect(button).to_be_visible()
    screenshot(page, "pdf-facture-page.png")

    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "facture-7.pdf"
    text = _text(download.path())
    assert "Facture" in text and "Nº 7" in text
    assert "Facturé à Marie Tremblay, Unité 101" in text
    assert "Cotisation spéciale — « toiture » 1 234,50 $" in text
    assert "Montant payé 1 000,00 $ Solde dû 234,50 $" in text
    assert "Statut Ouverte" in text

    page.get_by_role("link", name="Paiements").first.click()
    receipt = page.get_by_role("link", name="PDF — reçu du paiement de 1 000,00 $", exact=False)
    expect(receipt).to_be_visible()
    with page.expect_download() as info:
        receipt.click()
    number = f"{invoice.property_id}-{payment.pk:06d}"
    assert info.value.suggested_filename == f"recu-{number}.pdf"
    assert f"Reçu {invoice.property.address} Nº {number}" in _text(info.value.path())


def test_a_resident_downloads_her_receipt_in_english(
    page: Page, login: Login, screenshot: Screenshot
) -> None:
    invoice, payment, marie = _building()
    login(page, marie.email, PASSWORD)
    page.goto(f"/portal/invoices/{invoice.pk}/")
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
    page.get_by_role("link", name="Receipt").first.click()
    number = f"{invoice.property_id}-{payment.pk:06d}"
    expect(page.get_by_role("heading", name=f"Payment receipt no. {number}")).to_be_visible()
    screenshot(page, "pdf-receipt-portal-en.png")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PDF").click()
    download = info.value
    assert download.suggested_filename == f"receipt-{number}.pdf"
    text = _text(download.path())
    # A Quebec property: French with the English beside (s. 57, decision 0030), amounts in French.
    assert f"Reçu / Receipt {invoice.property.address} Nº {number} / No. {number}" in text
    assert "Montant reçu / Amount received 1 000,00 $" in text
    assert "Reçu de / Received from Marie Tremblay, Unité 101 / Unit 101" in text
    assert "Mode de paiement / Payment method Chèque / Cheque Référence / Reference Chèque 118" in text
    assert "Solde de la facture après ce paiement / Balance of the invoice after this payment 234,50 $" in (
        text
    )
