"""Autopay in a real browser, in demo mode (the fake of Stripe served by Logis, as in ``make run``): a
resident reads the PAD agreement, enrols on the fake's hosted setup page, and the scheduler's job — with
time moved to the due date — debits the next invoice once (French, 390 px phone) or, with Stripe's test
account that fails, leaves it due and emails the resident and the manager through a real SMTP server
(English, desktop). axe-core checks every page the resident sees (docs/decisions/0031)."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError
from playwright.sync_api import Browser, Page, expect

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.autopay import run_autopay
from logis.payments.fake_stripe_autopay import PAD_ACCOUNT_FAILS, PAD_ACCOUNT_SUCCEEDS
from logis.payments.models import AutopayDebit, AutopayEnrolment, Payment
from tests.browser.conftest import TIMEOUT_MS, sign_in
from tests.browser.helpers import axe_violations
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
    member,
    open_invoice,
)
from tests.smtp import SMTPServer, body_text
from tests.smtp import run_worker as _run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password
TZ = "America/Toronto"


def _page(browser: Browser, live_server: Any, *, locale: str, phone: bool) -> Page:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    ctx = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        timezone_id=TZ,
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx.new_page()


def _checks(page: Page, phone: bool) -> None:
    violations = axe_violations(page)
    assert not violations, violations
    if phone:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width


def _wait_for(condition: Any, seconds: float = 10) -> None:
    """The fake sends Stripe's events to the webhook a moment after answering, as Stripe does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return
        except OperationalError:
            pass  # SQLite's shared test database: the webhook's thread is writing; ask again
        assert time.monotonic() < deadline, "Stripe's event did not arrive"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("language", "phone", "account"),
    [
        ("fr", True, PAD_ACCOUNT_SUCCEEDS),
        ("en", False, PAD_ACCOUNT_FAILS),
        ("fr", False, PAD_ACCOUNT_FAILS),
        ("en", True, PAD_ACCOUNT_SUCCEEDS),
    ],
    ids=[
        "french-phone-debit-clears",
        "english-desktop-debit-fails",
        "french-desktop-debit-fails",
        "english-phone-debit-clears",
    ],
)
def test_resident_enrols_and_the_due_invoice_is_debited_once(
    browser: Browser,
    live_server: Any,
    smtp_server: SMTPServer,
    settings: Any,
    language: str,
    phone: bool,
    account: str,
) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_DEMO = "", "", True
    settings.STRIPE_API_BASE = f"{live_server.url}/demo-stripe"
    settings.SITE_URL = live_server.url
    fr = language == "fr"
    prop = PropertyFactory(
        name="Les Jardins du Parc",
        payments_enabled=True,
        accepted_methods=["card", "acss_debit", "cheque"],
        nsf_fee=Decimal("45.00"),
        next_invoice_number=10,
    )
    unit = UnitFactory(property=prop, number="101")
    user = UserFactory(email="marie@example.com", language=language)
    marie = ResidentFactory(
        property=prop, name="Marie Tremblay", email="marie@example.com", language=language, user=user
    )
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)
    # Already open when the resident enrols: offered, unticked, and left out (decision 0038).
    older = open_invoice(
        prop,
        number=5,
        amount=Decimal("80.00"),
        unit=unit,
        due_date=today_in(TZ) + dt.timedelta(days=30),
        title="Frais de clé",
    )

    page = _page(browser, live_server, locale="fr-CA" if fr else "en-CA", phone=phone)
    sign_in(page, "marie@example.com", PASSWORD)
    page.get_by_role("link", name="Paiement automatique" if fr else "Automatic payment").click()
    expect(
        page.get_by_role("heading", name="Paiement automatique" if fr else "Automatic payment", level=1)
    ).to_be_visible()
    expect(page.get_by_text("www.paiements.ca" if fr else "www.payments.ca", exact=False)).to_be_visible()
    include = page.get_by_role(
        "checkbox", name="Inclure les factures déjà ouvertes" if fr else "Include the invoices already open"
    )
    expect(include).not_to_be_checked()
    expect(include).to_have_accessible_description(
        re.compile(
            r"Cette unité a 1 facture ouverte en ce moment \(80,00\s\$\)\..*Non cochée : seules les factures"
            if fr
            else r"This unit has 1 invoice open now \(\$80\.00\)\..*Not ticked: only the invoices"
        )
    )
    _checks(page, phone)

    # Without accepting the agreement: refused beside the checkbox, the choice kept.
    page.get_by_role(
        "button", name="Activer le paiement automatique" if fr else "Turn on automatic payment"
    ).click()
    expect(
        page.get_by_text("Acceptez l'accord" if fr else "Accept the agreement", exact=False)
    ).to_be_visible()
    pad = page.get_by_role("radio", name=re.compile("Débit préautorisé" if fr else "Pre-authorized debit"))
    expect(pad).to_be_checked()
    _checks(page, phone)
    page.get_by_label(
        "J'ai lu et j'accepte l'accord de débit préautorisé ci-dessus."
        if fr
        else "I have read and accept the pre-authorized debit agreement above."
    ).check()
    page.get_by_role(
        "button", name="Activer le paiement automatique" if fr else "Turn on automatic payment"
    ).click()

    # The fake's hosted setup page: a demo, said plainly; Stripe's test bank account.
    expect(page.get_by_role("note")).to_have_text(
        "Mode démonstration — aucun paiement réel" if fr else "Demo mode — no real payment"
    )
    page.get_by_label("Numéro de compte" if fr else "Account number").fill(account)
    page.get_by_role("button", name="Enregistrer et autoriser" if fr else "Save and authorize").click()

    expect(
        page.get_by_text("Le paiement automatique est actif." if fr else "Automatic payment is active.")
    ).to_be_visible()
    expect(page.locator(f"#autopay-status-{unit.pk}")).to_have_text("Actif" if fr else "Active")
    expect(page.get_by_text("•••• " + account[-4:])).to_be_visible()
    expect(page.locator(f"#autopay-scope-{unit.pk}")).to_have_text(
        "Les factures déjà ouvertes quand vous l'avez activé ne sont pas prélevées : payez-les comme "
        "d'habitude."
        if fr
        else "The invoices that were already open when you turned it on are not debited: pay them as usual."
    )
    _checks(page, phone)
    enrolment = AutopayEnrolment.objects.get()
    assert (enrolment.method, enrolment.status, enrolment.include_open) == ("acss_debit", "active", False)

    # The next invoice: announced today, debited on its due date, not before, once.
    today = today_in(TZ)
    invoice = open_invoice(
        prop,
        number=1,
        amount=Decimal("250.00"),
        unit=unit,
        due_date=today + dt.timedelta(days=10),
        title="Cotisation de février",
    )
    assert run_autopay(now=dt.datetime.combine(today, dt.time(17), tzinfo=dt.UTC)) == 1
    assert (
        run_autopay(
            now=dt.datetime.combine(invoice.due_date - dt.timedelta(days=1), dt.time(17), tzinfo=dt.UTC)
        )
        == 0
    )
    due = dt.datetime.combine(invoice.due_date, dt.time(17), tzinfo=dt.UTC)
    assert run_autopay(now=due) == 1
    assert run_autopay(now=due) == 0
    _wait_for(lambda: AutopayDebit.objects.get(invoice=invoice).status in ("succeeded", "failed"))
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert not AutopayDebit.objects.filter(invoice=older).exists()  # left out at enrolment

    page.goto(f"/portal/invoices/{invoice.pk}/")
    invoice = Invoice.objects.get(pk=invoice.pk)
    clears = account == PAD_ACCOUNT_SUCCEEDS
    if clears:
        assert invoice.status == InvoiceStatus.PAID
        expect(page.locator("#invoice-status")).to_have_text("Payée" if fr else "Paid")
    else:
        assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, Decimal("0.00"))
        expect(page.locator("#invoice-status")).to_have_text("Ouverte" if fr else "Open")
        # Payable again.
        expect(page.get_by_role("button", name="Payer en ligne" if fr else "Pay online")).to_be_visible()
    _checks(page, phone)
    page.goto("/portal/autopay/")
    states = {
        (True, True): "Réussi",
        (True, False): "Succeeded",
        (False, True): "Échec",
        (False, False): "Failed",
    }
    expect(page.locator(f"#autopay-debits-{unit.pk}")).to_contain_text(states[(clears, fr)])
    _checks(page, phone)

    # Enrolled and notice, then the receipt; or the refusal to the resident and to the manager.
    _run_worker()
    messages = smtp_server.wait_for_messages(3 if clears else 4)
    subjects = {
        m["Subject"]: (smtp_server.received[i].rcpt_tos, body_text(m)) for i, m in enumerate(messages)
    }
    notice = "Prochain prélèvement automatique : 250,00" if fr else "Upcoming automatic debit: $250.00"
    assert any(s.startswith(notice) for s in subjects), subjects
    active = "Le paiement automatique est actif" if fr else "Automatic payment is active"
    assert any(s.startswith(active) for s in subjects), subjects
    if not clears:
        refused = "Prélèvement automatique refusé" if fr else "Automatic debit refused"
        resident = subjects[f"{refused} — {'facture' if fr else 'invoice'} #1"]
        assert resident[0] == ["marie@example.com"] and ("45,00" if fr else "$45.00") in resident[1]
        staff = next(
            v for s, v in subjects.items() if s.startswith(f"{refused} — {'unité' if fr else 'unit'} 101")
        )
        assert staff[0] == ["gestionnaire@example.com"]
        fee = AutopayDebit.objects.get(invoice=invoice).nsf_invoice
        assert fee is not None and fee.amount == Decimal("45.00")

    # Stopping asks first.
    page.get_by_role(
        "link", name="Arrêter le paiement automatique" if fr else "Stop automatic payment"
    ).click()
    expect(
        page.get_by_role(
            "heading", name="Arrêter le paiement automatique?" if fr else "Stop automatic payment?"
        )
    ).to_be_visible()
    _checks(page, phone)
    page.get_by_role(
        "button", name="Arrêter le paiement automatique" if fr else "Stop automatic payment"
    ).click()
    expect(
        page.get_by_text(
            "Le paiement automatique est arrêté" if fr else "Automatic payment is stopped", exact=False
        )
    ).to_be_visible()
    assert AutopayEnrolment.objects.get().status == "stopped"
    page.context.close()
