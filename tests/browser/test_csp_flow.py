"""The Content-Security-Policy in a real browser: it refuses an injected inline script (and the recorder of
tests/browser/conftest.py sees it), while the pages of each role, htmx's dialog, the Django admin and the
API's documentation run under it without a single violation (the recorder fails any test that has one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.invoicing.models import InvoiceStatus
from tests.browser.helpers import open_dialog
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
Login = Callable[[Page, str, str], None]


def test_an_injected_inline_script_is_refused_and_recorded(page: Page, csp_violations: list[str]) -> None:
    response = page.goto("/accounts/login/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    page.evaluate(
        """() => { const s = document.createElement("script");
        s.textContent = "window.__injected = true"; document.body.append(s); }"""
    )
    assert page.evaluate("() => window.__injected === undefined")
    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert any("script-src" in violation for violation in csp_violations), csp_violations
    csp_violations.clear()  # seen and expected: the test itself must not fail on it


def test_pages_of_each_role_run_under_the_policy(page: Page, login: Login) -> None:
    prop = PropertyFactory(name="Les Jardins du Parc", payments_enabled=True)
    unit = UnitFactory(property=prop, number="101")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    member(prop, Role.MANAGER, email="gestionnaire@example.com")
    invoice = InvoiceFactory(
        property=prop,
        unit=unit,
        number=1,
        title="Cotisation de janvier",
        amount=Decimal("325.00"),
        due_date=dt.date.today() + dt.timedelta(days=20),
        status=InvoiceStatus.OPEN,
    )
    User.objects.create_superuser(email="support@example.com", password=PASSWORD)

    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/")
    page.goto(f"/p/{prop.pk}/invoices/")
    dialog = open_dialog(page, page.get_by_role("button", name="Créer une facture", exact=True).click)
    expect(dialog.get_by_role("heading", name="Créer une facture")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#filter-q").fill("janvier")  # htmx reloads the list as one types
    expect(page.get_by_role("link", name="Cotisation de janvier").first).to_be_visible()
    page.goto(f"/p/{prop.pk}/invoices/{invoice.pk}/")
    page.goto(f"/p/{prop.pk}/payments/")
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui").first).to_be_visible()
    page.context.clear_cookies()

    login(page, "support@example.com", PASSWORD)
    page.goto(f"/admin/invoicing/invoice/{invoice.pk}/change/")
    expect(page.get_by_text("Cotisation de janvier").first).to_be_visible()
    page.goto("/admin/accounts/membership/")
    page.goto("/favicon.ico")
