"""A manager stops a unit's automatic payment in a real browser (decision 0031): from Paiements to the list
of enrolled units, the confirmation page that asks for the reason (refused empty, beside the field), then
the unit's page that says it is stopped — in French on a desktop and in English on a phone, with axe-core
on every page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from logis.core.permissions import Role
from logis.notifications.models import EmailMessage
from logis.payments.models import AutopayDebit, AutopayEnrolment
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password


def _page(browser: Browser, live_server: Any, *, locale: str, phone: bool) -> Page:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    ctx = browser.new_context(
        base_url=live_server.url, locale=locale, viewport=viewport, is_mobile=phone, has_touch=phone
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx.new_page()


def _checks(page: Page, phone: bool) -> None:
    violations = axe_violations(page)
    assert not violations, violations
    if phone:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width


@pytest.mark.parametrize(
    ("language", "phone"),
    [("fr", False), ("en", True), ("fr", True)],
    ids=["french-desktop", "english-phone", "french-phone"],
)
def test_a_manager_stops_a_units_automatic_payment_with_a_reason(
    browser: Browser, live_server: Any, language: str, phone: bool
) -> None:
    fr = language == "fr"
    prop = PropertyFactory(name="Les Jardins du Parc", payments_enabled=True, accepted_methods=["acss_debit"])
    unit = UnitFactory(property=prop, number="101")
    user = UserFactory(email="marie@example.com", language="fr")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", user=user)
    OccupancyFactory(unit=unit, resident=marie, is_primary=True)
    UnitFactory(property=prop, number="102")
    enrolment = AutopayEnrolment.objects.create(
        property_id=prop.pk,
        unit_id=unit.pk,
        user_id=user.pk,
        customer_id="cus_test_1",
        payment_method_id="pm_test_1",
        mandate_id="mandate_test_1",
        setup_session_id="cs_test_setup_1",
        method="acss_debit",
        method_label="•••• 6789",
    )
    # A debit the bank refused: the manager sees each debit's state (issue 13).
    AutopayDebit.objects.create(
        property_id=prop.pk,
        enrolment=enrolment,
        invoice=open_invoice(prop, number=7, amount=Decimal("250.00"), unit=unit),
        amount=Decimal("250.00"),
        notice_sent_on=dt.date.today() - dt.timedelta(days=10),
        debit_on=dt.date.today(),
        status="failed",
        failure_code="insufficient_funds",
    )
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language=language)

    page = _page(browser, live_server, locale="fr-CA" if fr else "en-CA", phone=phone)
    sign_in(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/payments/")
    page.get_by_role("link", name="Paiement automatique" if fr else "Automatic payment").click()
    expect(
        page.get_by_role("heading", name="Paiement automatique" if fr else "Automatic payment", level=1)
    ).to_be_visible()
    expect(page.locator("#autopay-enrolled-count")).to_contain_text(
        "1 unité sur 2 paie par prélèvement automatique." if fr else "1 unit of 2 pays by automatic debit."
    )
    stop_link = page.get_by_role(
        "link",
        name="Arrêter le paiement automatique de l’unité 101"
        if fr
        else "Stop the automatic payment of unit 101",
    )
    expect(stop_link).to_have_text("Arrêter" if fr else "Stop")
    if phone:
        # One card per unit, « Arrêter » inside the screen: nothing to scroll sideways (issue 13).
        card = page.get_by_role("list", name="Unités inscrites" if fr else "Enrolled units")
        expect(card).to_contain_text("marie@example.com")
        expect(card).to_contain_text("Échec" if fr else "Failed")  # the unit's latest debit
        expect(page.locator("#autopay-enrolments")).to_be_hidden()
        box = stop_link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        debits = page.get_by_role("list", name="Derniers prélèvements" if fr else "Latest debits")
    else:
        expect(page.get_by_role("cell", name="marie@example.com")).to_be_visible()
        expect(page.locator("#autopay-enrolments")).to_contain_text("Échec" if fr else "Failed")
        debits = page.locator("#autopay-debits")
    expect(debits).to_contain_text("Échec" if fr else "Failed")
    expect(debits).to_contain_text("Provision insuffisante" if fr else "Insufficient funds")
    _checks(page, phone)

    stop_link.click()
    expect(
        page.get_by_role(
            "heading",
            name="Arrêter le paiement automatique de l’unité 101 ?"
            if fr
            else "Stop the automatic payment of unit 101?",
        )
    ).to_be_visible()
    _checks(page, phone)
    stop = page.get_by_role(
        "button", name="Arrêter le paiement automatique" if fr else "Stop automatic payment"
    )
    stop.click()
    reason = page.get_by_label("Motif" if fr else "Reason")
    expect(reason).to_have_accessible_description(
        "Inscrivez le motif : le résident le reçoit par courriel."
        if fr
        else "Enter the reason: the resident receives it by email.",
        ignore_case=False,
    )
    assert AutopayEnrolment.objects.get().status == "active"
    _checks(page, phone)
    reason.fill("Unité vendue" if fr else "Unit sold")
    stop.click()

    expect(
        page.get_by_text(
            "Le paiement automatique de l’unité 101 est arrêté ; le résident en a été avisé par courriel."
            if fr
            else "Automatic payment of unit 101 is stopped; the resident was told by email."
        )
    ).to_be_visible()
    expect(page.locator("#unit-autopay-status")).to_have_text("Arrêté" if fr else "Stopped")
    _checks(page, phone)
    assert AutopayEnrolment.objects.get().status == "stopped"
    email = EmailMessage.objects.get(kind="autopay_stopped_by_manager")
    assert ("Unité vendue" if fr else "Unit sold") in email.body_text
