"""Issue 14: every manager and portal page, visited one after the other in a real browser.

- On a phone (390 px wide) no page scrolls sideways: the property's menu folds behind a button, wide
  tables scroll inside their own box, the header's buttons stay in the window.
- axe-core finds no WCAG 2.1 AA violation on any page, in French and in English (desktop).

One browser context per role and language; the demo's data (``load_demo``) plus a batch of drafts and a
partial payment, so that every page has something to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect

from logis.accounts.models import User
from logis.billing.batches import create_batch
from logis.billing.models import AmountMode, Batch, RecurringSchedule, UnitScope
from logis.budgeting.assessments import create_special_assessment
from logis.budgeting.budget_reads import current_fiscal_year
from logis.budgeting.budgets import save_budget
from logis.core.dates import today_in
from logis.finances.selectors import funds as finance_funds
from logis.invoicing.models import Invoice
from logis.payments.models import AutopayEnrolment, Payment
from logis.payments.paylinks import create_pay_link
from logis.payments.services import record_payment
from logis.properties.models import Property, Resident, Unit
from tests.browser.conftest import TIMEOUT_MS, sign_in
from tests.browser.helpers import axe_violations, page_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo1234"  # the demo's published password
MANAGER = "admin@example.com"  # the demo's administrator: every manager page, Paramètres included
RESIDENT = "resident@example.com"  # Marie Tremblay, unit 101


@dataclass
class Tour:
    manager: list[str]
    portal: list[str]


def _tour() -> Tour:
    call_command("load_demo", verbosity=0)
    jardins = Property.objects.get(name="Les Jardins du Parc")
    manager = User.objects.get(email=MANAGER)
    p = f"/p/{jardins.pk}"
    today = today_in(jardins.timezone)
    create_batch(
        actor=manager,
        property=jardins,
        unit_scope=UnitScope.ALL,
        title="Fonds de prévoyance — cotisation spéciale",
        amount_mode=AmountMode.SPLIT,
        amount=Decimal("24000.00"),
        due_date=today + dt.timedelta(days=30),
    )
    batch = Batch.objects.get(property=jardins)
    draft = Invoice.objects.filter(property=jardins, batch_item__batch=batch).order_by("pk").first()
    assert draft is not None
    unit = Unit.objects.get(property=jardins, number="101")
    marie_invoice = Invoice.objects.get(property=jardins, unit=unit, title__startswith="Cotisation spéciale")
    payment = record_payment(
        property=jardins,
        invoice_id=marie_invoice.pk,
        actor=manager,
        amount=Decimal("100.00"),
        paid_on=today,
        method="interac",
        reference="Virement 77",
    )
    cheque = Payment.objects.filter(invoice__property=jardins, method="cheque").first()
    assert cheque is not None
    marie = Resident.objects.get(property=jardins, email=RESIDENT)
    schedule = RecurringSchedule.objects.get(property=jardins)
    funds = {f.kind: f.pk for f in finance_funds(jardins)}
    budget = save_budget(
        actor=manager,
        property=jardins,
        fiscal_year=current_fiscal_year(jardins) + 1,
        amounts={funds["operating"]: Decimal("100000.00"), funds["contingency"]: Decimal("4000.00")},
    )
    assessment = create_special_assessment(
        actor=manager,
        property=jardins,
        description="Réfection de la toiture",
        total=Decimal("12000.00"),
        split_rule="share",
        instalment_count=2,
        first_due_date=today + dt.timedelta(days=10),
        category_id=None,
    )
    manager_pages = [
        "/p/",
        f"{p}/",
        f"{p}/invoices/",
        f"{p}/invoices/?q=toit",
        f"{p}/invoices/new/",
        f"{p}/invoices/{marie_invoice.pk}/",
        f"{p}/invoices/{draft.pk}/",
        f"{p}/invoices/{draft.pk}/edit/",
        f"{p}/invoices/{draft.pk}/publish/",
        f"{p}/invoices/{marie_invoice.pk}/void/",
        f"/p/{jardins.pk}/collections/invoices/{marie_invoice.pk}/remind/",
        f"{p}/billing/batches/",
        f"{p}/billing/batches/new/",
        f"{p}/billing/batches/{batch.pk}/",
        f"{p}/billing/recurring/",
        f"{p}/billing/recurring/new/",
        f"{p}/billing/recurring/{schedule.pk}/",
        f"{p}/budget/",
        f"{p}/budget/new/",
        f"{p}/budget/{budget.pk}/",
        f"{p}/budget/assessments/",
        f"{p}/budget/assessments/new/",
        f"{p}/budget/assessments/{assessment.pk}/",
        f"{p}/units/",
        f"{p}/units/add/",
        f"{p}/units/{unit.pk}/",
        f"{p}/units/{unit.pk}/edit/",
        f"{p}/units/{unit.pk}/statement/",
        f"{p}/residents/",
        f"{p}/residents/add/",
        f"{p}/residents/{marie.pk}/",
        f"{p}/residents/{marie.pk}/edit/",
        f"{p}/payments/",
        f"{p}/payments/record/{marie_invoice.pk}/",
        f"{p}/payments/{cheque.pk}/reverse/",
        f"{p}/payments/units/{unit.pk}/several-invoices/",
        f"{p}/payments/autopay/",
        f"{p}/payments/autopay/{AutopayEnrolment.objects.get(unit=unit, status='active').pk}/stop/",
        f"{p}/bank/",
        f"{p}/bank/deposits/new/",
        f"{p}/payments/invoices/{marie_invoice.pk}/revoke-pay-links/",
        f"{p}/reports/",
        f"{p}/reports/trial-balance/",
        f"{p}/reports/journal/",
        f"{p}/reports/income/",
        f"{p}/reports/funds/",
        f"{p}/reports/accounts/",
        f"{p}/settings/",
        f"{p}/settings/payments/",
        f"{p}/settings/security/",
        f"{p}/settings/audit/",
        f"{p}/settings/members/",
        f"{p}/collections/settings/",
        f"{p}/settings/finances/",
        "/accounts/api-tokens/",
        "/accounts/2fa/",
        f"/accounts/organizations/{jardins.organization_id}/",
    ]
    portal_pages = [
        "/portal/",
        f"/portal/invoices/{marie_invoice.pk}/",
        f"/portal/receipts/{payment.pk}/",
        f"/portal/units/{unit.pk}/statement/",
        f"/portal/units/{unit.pk}/balance/",
        # Autopay (decision 0031): the demo enrols Marie's unit.
        "/portal/autopay/",
        f"/portal/autopay/{AutopayEnrolment.objects.get(unit=unit, status='active').pk}/stop/",
        # « Voir et payer » from an email (decision 0025): the page opens signed in or not.
        "/" + create_pay_link(invoice=marie_invoice).split("://", 1)[1].split("/", 1)[1],
        "/accounts/2fa/",
    ]
    return Tour(manager=manager_pages, portal=portal_pages)


@pytest.fixture
def tour(live_server: Any) -> Tour:
    return _tour()


@pytest.fixture
def open_context(browser: Browser, live_server: Any) -> Iterator[Callable[..., BrowserContext]]:
    """New contexts (one per role and language), closed at the end of the test."""
    opened: list[BrowserContext] = []

    def make(*, width: int, height: int, locale: str) -> BrowserContext:
        expect.set_options(timeout=TIMEOUT_MS)
        ctx = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            timezone_id="America/Toronto",
            viewport={"width": width, "height": height},
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


def _visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    page.wait_for_load_state("load")


def _signed_in(
    open_context: Callable[..., BrowserContext], email: str, *, width: int, height: int, language: str
) -> Page:
    User.objects.filter(email=email).update(language=language)
    ctx = open_context(width=width, height=height, locale="fr-CA" if language == "fr" else "en-CA")
    page = ctx.new_page()
    sign_in(page, email, PASSWORD)
    return page


@pytest.mark.slow
@pytest.mark.parametrize("width", [360, 390, 414])
def test_every_manager_and_portal_page_fits_a_phone(
    tour: Tour, open_context: Callable[..., BrowserContext], width: int
) -> None:
    too_wide: list[str] = []
    for email, paths in ((MANAGER, tour.manager), (RESIDENT, tour.portal)):
        page = _signed_in(open_context, email, width=width, height=844, language="fr")
        for path in paths:
            _visit(page, path)
            overflow = page_overflow(page)
            if overflow:
                too_wide.append(overflow)
        # The header's sign-out button is in the window, not cut off.
        box = page.get_by_role("button", name="Se déconnecter").bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
            too_wide.append(f"{email}: « Se déconnecter » cut off at {box}")
    assert not too_wide, "\n".join(too_wide)


def test_property_menu_folds_behind_a_button_on_a_phone(
    tour: Tour, open_context: Callable[..., BrowserContext]
) -> None:
    page = _signed_in(open_context, MANAGER, width=390, height=844, language="fr")
    _visit(page, tour.manager[1])
    menu = page.get_by_role("navigation", name="Propriété")
    # The first screen shows the page, not the menu: its links appear once the menu button is pressed.
    expect(menu.get_by_role("link", name="Factures", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Menu de la propriété").click()
    expect(menu.get_by_role("link", name="Factures", exact=True)).to_be_visible()
    menu.get_by_role("link", name="Factures", exact=True).click()
    expect(page.get_by_role("heading", name="Factures", level=1)).to_be_visible()
    # On a desktop the menu is simply there, without a button.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(menu.get_by_role("link", name="Factures", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Menu de la propriété")).to_be_hidden()


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_has_no_accessibility_violation(
    tour: Tour, open_context: Callable[..., BrowserContext], language: str
) -> None:
    violations: list[str] = []
    ctx = open_context(width=1280, height=900, locale="fr-CA" if language == "fr" else "en-CA")
    anonymous = ctx.new_page()
    _visit(anonymous, "/accounts/login/")
    violations += axe_violations(anonymous)
    anonymous.close()
    for email, paths in ((MANAGER, tour.manager), (RESIDENT, tour.portal)):
        page = _signed_in(open_context, email, width=1280, height=900, language=language)
        for path in paths:
            _visit(page, path)
            violations += axe_violations(page)
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations)
