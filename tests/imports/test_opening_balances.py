"""Opening balances are part of each unit's account: on the statement, the aging report, the portal
balance and the dashboard; they can be paid and reminded like any amount owed; undo voids them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from logis.accounts.models import User
from logis.collections.reminders import send_manual_reminder
from logis.core.dates import today_in
from logis.imports.services import apply_import, preview_import, undo_import
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.credits import apply_credit
from logis.payments.services import record_payment
from logis.portal.selectors import portal_overview
from logis.properties.models import Property, Resident, Unit
from logis.reports.dashboard import dashboard_overview
from logis.reports.selectors import aging_totals
from logis.statements.selectors import unit_statement
from tests.factories import UserFactory
from tests.imports.helpers import csv_bytes

D = Decimal


@pytest.fixture
def imported(manager: User, prop: Property) -> dict[str, Unit]:
    day = (today_in(prop.timezone) - dt.timedelta(days=40)).isoformat()
    rows = [
        ["101", "50", "", "Marie", "Tremblay", "marie@example.com", "oui", "1 234,56", day],
        ["102", "50", "", "Sam", "Lee", "sam@example.com", "oui", "-50,00", day],
    ]
    batch, plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(rows))
    assert plan.ok
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    return {u.number: u for u in Unit.objects.filter(property=prop)}


def test_on_the_statement(prop: Property, imported: dict[str, Unit]) -> None:
    today = today_in(prop.timezone)
    owes = unit_statement(unit=imported["101"], start=today - dt.timedelta(days=60), end=today)
    assert [(line.debit, line.date) for line in owes.lines] == [(D("1234.56"), today - dt.timedelta(days=40))]
    assert owes.closing_balance == D("1234.56")
    later = unit_statement(unit=imported["101"], start=today - dt.timedelta(days=10), end=today)
    assert later.opening_balance == D("1234.56")
    credit = unit_statement(unit=imported["102"], start=today - dt.timedelta(days=60), end=today)
    assert credit.closing_balance == D("-50.00")


def test_in_the_aging_report_and_the_dashboard(prop: Property, imported: dict[str, Unit]) -> None:
    today = today_in(prop.timezone)
    aging = aging_totals(property=prop, today=today)
    assert (aging.amount, aging.count) == (D("1234.56"), 1)
    assert [b.amount for b in aging.buckets if b.count] == [D("1234.56")]
    overview = dashboard_overview(property=prop, today=today)
    assert overview.summary.overdue.amount == D("1234.56")


def test_in_the_portal(prop: Property, imported: dict[str, Unit]) -> None:
    marie, sam = UserFactory(email="marie@example.com"), UserFactory(email="sam@example.com")
    Resident.objects.filter(email="marie@example.com").update(user=marie)
    Resident.objects.filter(email="sam@example.com").update(user=sam)
    assert portal_overview(user=marie).balance_due == D("1234.56")
    assert portal_overview(user=marie).overdue_count == 1
    assert portal_overview(user=sam).credit == D("50.00")


def test_paid_and_reminded_like_any_amount_owed(
    manager: User, prop: Property, imported: dict[str, Unit]
) -> None:
    invoice = Invoice.objects.get(unit=imported["101"])
    reminder = send_manual_reminder(actor=manager, invoice_id=invoice.pk, property=prop)
    assert reminder.invoice_id == invoice.pk
    record_payment(
        actor=manager,
        property=prop,
        invoice_id=invoice.pk,
        amount=D("1234.56"),
        paid_on=today_in(prop.timezone),
        method="cheque",
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_credit_applies_to_a_later_invoice(manager: User, prop: Property, imported: dict[str, Unit]) -> None:
    from tests.factories import open_invoice

    later = open_invoice(prop, number=99, unit=imported["102"], amount=D("80.00"))
    apply_credit(
        property=prop, unit_id=imported["102"].pk, invoice_id=later.pk, amount=D("50.00"), actor=manager
    )
    later.refresh_from_db()
    assert later.amount_paid == D("50.00")


def test_undo_voids_them_never_deletes(manager: User, prop: Property, imported: dict[str, Unit]) -> None:
    from logis.imports.models import ImportBatch

    batch = ImportBatch.objects.get(property=prop, status="applied")
    undo_import(actor=manager, property=prop, batch_id=batch.pk)
    invoice = Invoice.objects.get(unit=imported["101"])
    assert invoice.status == InvoiceStatus.VOID
    today = today_in(prop.timezone)
    assert aging_totals(property=prop, today=today).amount == D("0")
    statement = unit_statement(unit=imported["101"], start=today - dt.timedelta(days=60), end=today)
    assert statement.closing_balance == D("0.00")
