"""Issue 4 in a real browser: a manager records a partial cheque payment, is refused an overpayment
(message beside the field, input kept), records the rest; the invoice is Payée, the resident's
receipts are queued, and the Factures cards and the Paiements totals agree. French, then English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Locator, Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.models import Payment
from logis.properties.models import Property, Unit
from tests.browser.helpers import open_dialog
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"
Login = Callable[[Page, str, str], None]
Screenshot = Callable[[Page, str], Path]


@dataclass(frozen=True)
class Words:
    """What the manager reads, in one language."""

    language: str
    invoices: str
    payments: str
    record: str
    record_submit: str
    amount: str
    method: str
    reference: str
    cheque: str
    first_message: str
    too_much: str
    paid_message: str
    open_status: str
    paid_status: str
    paid_card: str
    open_card: str
    received: str
    net: str
    partial: str
    rest: str
    total: str
    zero: str


FRENCH = Words(
    language="fr",
    invoices="Factures",
    payments="Paiements",
    record="Enregistrer un paiement",
    record_submit="Enregistrer le paiement",
    amount="Montant",
    method="Mode",
    reference="Référence",
    cheque="Chèque",
    first_message="Paiement de 1 000,00 $ enregistré. Solde dû : 234,50 $.",
    too_much="Le montant dépasse le solde dû (234,50 $).",
    paid_message="Paiement de 234,50 $ enregistré. La facture est payée.",
    open_status="Ouverte",
    paid_status="Payée",
    paid_card="Payées",
    open_card="Ouvertes",
    received="Reçus",
    net="Net",
    partial="1 000,00",
    rest="234,50 $",
    total="1 234,50 $",
    zero="0,00 $",
)
ENGLISH = Words(
    language="en",
    invoices="Invoices",
    payments="Payments",
    record="Record a payment",
    record_submit="Record the payment",
    amount="Amount",
    method="Method",
    reference="Reference",
    cheque="Cheque",
    first_message="Payment of $1,000.00 recorded. Balance due: $234.50.",
    too_much="The amount is more than the balance due ($234.50).",
    paid_message="Payment of $234.50 recorded. The invoice is paid.",
    open_status="Open",
    paid_status="Paid",
    paid_card="Paid",
    open_card="Open",
    received="Received",
    net="Net",
    partial="1,000.00",
    rest="$234.50",
    total="$1,234.50",
    zero="$0.00",
)


def _building(language: str) -> tuple[Property, Invoice]:
    prop = cast(Property, PropertyFactory(name="Les Jardins du Parc", timezone=TZ, payments_enabled=True))
    unit = cast(Unit, UnitFactory(property=prop, number="101"))
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)
    invoice = Invoice.objects.create(
        property=prop,
        unit=unit,
        number=1,
        title="Cotisation spéciale — Toit",
        amount=Decimal("1234.50"),
        due_date=today_in(TZ) + dt.timedelta(days=30),
        status=InvoiceStatus.OPEN,
    )
    return prop, invoice


def _card(page: Page, label: str) -> Locator:
    return page.get_by_role("link", name=re.compile(rf"^\s*{re.escape(label)}\s"))


def _text(words: str) -> re.Pattern[str]:
    """Words as the page shows them: any space may be a no-break space (amounts in French)."""
    return re.compile(r"\s".join(re.escape(part) for part in words.split(" ")))


def _money(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _pay(page: Page, w: Words, amount: str | None, reference: str) -> Locator:
    dialog = open_dialog(page, page.get_by_role("button", name=w.record, exact=True).click)
    expect(dialog.get_by_role("heading", name=w.record)).to_be_visible()
    if amount is not None:
        dialog.get_by_label(w.amount).fill(amount)
    dialog.get_by_label(w.method).select_option(label=w.cheque)
    dialog.get_by_label(w.reference).fill(reference)
    dialog.get_by_role("button", name=w.record_submit).click()
    return dialog


@pytest.mark.parametrize("w", [FRENCH, ENGLISH], ids=["fr", "en"])
def test_manager_records_a_partial_cheque_then_the_rest(
    page: Page, login: Login, screenshot: Screenshot, w: Words
) -> None:
    prop, invoice = _building(w.language)
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")
    expect(page.locator("#invoice-status")).to_have_text(w.open_status)

    # A partial cheque.
    dialog = _pay(page, w, w.partial, "Chèque 118")
    status = page.get_by_role("status")
    expect(status.filter(has_text=_text(w.first_message))).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.locator("#invoice-status")).to_have_text(w.open_status)
    expect(page.get_by_role("row", name=re.compile("Chèque 118"))).to_be_visible()
    expect(page.locator(".modal-backdrop")).to_have_count(0)

    # More than the balance: refused beside the field, what was typed is kept.
    dialog = _pay(page, w, "300", "Chèque 119")
    amount = dialog.get_by_label(w.amount)
    expect(amount).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(amount).to_have_value("300")
    error_id = amount.get_attribute("aria-describedby")
    assert error_id
    expect(dialog.locator(f"[id='{error_id}']")).to_have_text(_text(w.too_much))
    expect(dialog.get_by_label(w.reference)).to_have_value("Chèque 119")

    # The rest: the amount field starts at the balance due.
    amount.fill("")
    amount.fill(w.rest.replace("$", "").strip())
    dialog.get_by_role("button", name=w.record_submit).click()
    expect(page.get_by_role("status").filter(has_text=_text(w.paid_message))).to_be_visible()
    expect(page.locator("#invoice-status")).to_have_text(w.paid_status)
    screenshot(page, f"paiement-manuel-{w.language}.png")

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == invoice.amount
    assert Payment.objects.filter(invoice=invoice).count() == 2
    receipts = EmailMessage.objects.filter(kind="payment_receipt", to_email="marie@example.com")
    assert receipts.count() == 2 and {m.language for m in receipts} == {"fr"}

    # The Factures cards and the Paiements totals agree.
    sidebar = page.get_by_role("navigation").first
    sidebar.get_by_role("link", name=w.invoices, exact=True).click()
    expect(_card(page, w.paid_card)).to_contain_text(_text(w.total))
    expect(_card(page, w.open_card)).to_contain_text(_text(w.zero))
    page.get_by_role("navigation").first.get_by_role("link", name=w.payments, exact=True).click()
    expect(page.get_by_role("heading", name=w.payments, level=1)).to_be_visible()
    received = page.locator("[data-total=received]")
    net = page.locator("[data-total=net]")
    expect(received).to_have_text(_text(w.total))
    assert _money(received.inner_text()) == _money(net.inner_text())
    expect(page.get_by_role("row", name=re.compile("Chèque 118"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Chèque 119"))).to_be_visible()
    screenshot(page, f"paiements-{w.language}.png")


def test_voiding_a_partly_paid_invoice_makes_unit_credit_applied_to_another_invoice(
    page: Page, login: Login, screenshot: Screenshot
) -> None:
    prop, invoice = _building("fr")
    unit = invoice.unit
    other = Invoice.objects.create(
        property=prop,
        unit=unit,
        number=2,
        title="Cotisation de janvier",
        amount=Decimal("300.00"),
        due_date=today_in(TZ) + dt.timedelta(days=40),
        status=InvoiceStatus.OPEN,
    )
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")
    _pay(page, FRENCH, "200,00", "Chèque 120")
    expect(
        page.get_by_role("status").filter(has_text=_text("Paiement de 200,00 $ enregistré."))
    ).to_be_visible()
    expect(page.locator(".modal-backdrop")).to_have_count(0)

    # Void, with a reason: the dialog says the 200 $ become the unit's credit.
    dialog = open_dialog(page, page.get_by_role("button", name="Annuler la facture").click)
    expect(dialog.get_by_role("alert")).to_contain_text(_text("200,00 $"))
    expect(dialog.get_by_role("alert")).to_contain_text("crédit au compte de l'unité 101")
    dialog.get_by_label("Motif").fill("Facturée à la mauvaise unité")
    dialog.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.locator("#invoice-status")).to_have_text("Annulée")
    page.get_by_role("link", name="Voir le crédit de l'unité").click()

    # The unit page shows the credit; apply it to the other open invoice.
    credit = page.locator("[data-credit=balance]")
    expect(credit).to_have_text(_text("200,00 $"))
    dialog = open_dialog(page, page.get_by_role("button", name="Appliquer le crédit").click)
    expect(dialog.get_by_label("Facture")).to_contain_text("Cotisation de janvier")
    expect(dialog.get_by_label("Montant")).to_have_value(_text("200,00"))
    dialog.get_by_role("button", name="Appliquer le crédit").click()
    expect(page.get_by_role("status").filter(has_text=_text("Crédit de 200,00 $ appliqué"))).to_be_visible()
    expect(page.locator("[data-credit=balance]")).to_have_text(_text("0,00 $"))
    screenshot(page, "credit-unite-fr.png")

    other.refresh_from_db()
    assert other.amount_paid == Decimal("200.00") and other.status == InvoiceStatus.OPEN
    # The Paiements page: 200 $ received once; 200 $ of credit applied, which is not new money.
    page.get_by_role("navigation").first.get_by_role("link", name="Paiements", exact=True).click()
    expect(page.locator("[data-total=received]")).to_have_text(_text("200,00 $"))
    expect(page.locator("[data-total=net]")).to_have_text(_text("200,00 $"))
    expect(page.locator("[data-total=credit_applied]")).to_have_text(_text("200,00 $"))
    expect(page.get_by_role("row", name=re.compile("Crédit au compte"))).to_be_visible()
