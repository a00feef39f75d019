"""The import service: preview writes nothing, apply writes exactly the file or nothing, the same file
twice changes nothing, a corrected file updates by unit number, undo puts things back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from logis.accounts.models import User
from logis.core.errors import InvalidTransition, ValidationError
from logis.imports.models import ImportBatch, ImportStatus, OpeningBalance
from logis.imports.services import apply_import, plan_import, preview_import, undo_import
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.credits import credit_balance
from logis.properties.models import Occupancy, Property, Resident, Unit
from tests.imports.helpers import csv_bytes

D = Decimal
ROWS = [
    ["101", "50", "Propriétaire", "Marie", "Tremblay", "marie@example.com", "oui", "1 234,56", "2026-01-01"],
    ["101", "", "Propriétaire", "Jean", "Tremblay", "jean@example.com", "non", "", ""],
    ["102", "50", "Locataire", "Sam", "Lee", "", "", "-50,00", "2026-01-01"],
]


def _import(manager: User, prop: Property, data: bytes, name: str = "units.csv") -> ImportBatch:
    batch, plan = preview_import(actor=manager, property=prop, name=name, data=data)
    assert plan.ok, plan.errors
    applied, _plan = apply_import(actor=manager, property=prop, batch_id=batch.pk)
    return applied


def test_preview_writes_nothing_and_apply_writes_all(manager: User, prop: Property) -> None:
    batch, plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(ROWS))
    assert plan.ok
    assert plan.counts["units_created"] == 2
    assert plan.counts["residents_created"] == 3
    assert not Unit.objects.filter(property=prop).exists()
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    units = {u.number: u for u in Unit.objects.filter(property=prop)}
    assert set(units) == {"101", "102"}
    assert units["101"].share == D("50")
    primary = Occupancy.objects.get(unit=units["101"], is_primary=True)
    assert primary.resident.name == "Marie Tremblay"
    assert Occupancy.objects.filter(unit=units["101"]).count() == 2
    assert Occupancy.objects.get(unit=units["102"]).kind == "tenant"
    invoice = Invoice.objects.get(unit=units["101"])
    assert (invoice.status, invoice.amount, invoice.due_date) == (
        InvoiceStatus.OPEN,
        D("1234.56"),
        dt.date(2026, 1, 1),
    )
    assert invoice.number is not None
    assert invoice.title == "Solde d'ouverture"
    assert credit_balance(unit=units["102"]) == D("50.00")


def test_same_file_twice_changes_nothing(manager: User, prop: Property) -> None:
    _import(manager, prop, csv_bytes(ROWS))
    batch, plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(ROWS))
    assert plan.ok
    assert not plan.changes_anything
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    assert Unit.objects.filter(property=prop).count() == 2
    assert Resident.objects.filter(property=prop).count() == 3
    assert Invoice.objects.filter(property=prop).count() == 1
    assert OpeningBalance.objects.filter(property=prop).count() == 2


def test_corrected_file_updates_by_unit_number(manager: User, prop: Property) -> None:
    _import(manager, prop, csv_bytes(ROWS))
    fixed = [list(r) for r in ROWS]
    fixed[0][1] = "60"
    fixed[0][7] = "1 000,00"
    fixed[2][1] = "40"
    _import(manager, prop, csv_bytes(fixed))
    unit = Unit.objects.get(property=prop, number="101")
    assert unit.share == D("60")
    invoices = Invoice.objects.filter(unit=unit).order_by("id")
    assert [(i.amount, i.status) for i in invoices] == [(D("1234.56"), "void"), (D("1000.00"), "open")]


def test_refused_rows_write_nothing(manager: User, prop: Property) -> None:
    bad = [*ROWS, ["103", "abc", "", "Ana", "Roy", "pas-un-courriel", "", "", ""]]
    batch, plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(bad))
    assert {(e.line, e.column) for e in plan.errors} == {(5, "Quote-part (%)"), (5, "Courriel")}
    with pytest.raises(ValidationError):
        apply_import(actor=manager, property=prop, batch_id=batch.pk)
    assert not Unit.objects.filter(property=prop).exists()


def test_undo_voids_balances_and_removes_what_it_created(manager: User, prop: Property) -> None:
    batch = _import(manager, prop, csv_bytes(ROWS))
    undo_import(actor=manager, property=prop, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE
    invoice = Invoice.objects.get(property=prop)
    assert invoice.status == InvoiceStatus.VOID
    assert not Resident.objects.filter(property=prop).exists()
    # 101 keeps its voided opening balance (financial records are never deleted); 102 had credit only.
    assert credit_balance(unit=Unit.objects.get(number="102")) == D("0.00")


def test_undo_refused_once_paid(manager: User, prop: Property) -> None:
    from logis.payments.services import record_payment

    batch = _import(manager, prop, csv_bytes(ROWS))
    invoice = Invoice.objects.get(property=prop)
    record_payment(
        actor=manager,
        property=prop,
        invoice_id=invoice.pk,
        amount=D("10.00"),
        paid_on=dt.date(2026, 1, 2),
        method="cheque",
    )
    with pytest.raises(InvalidTransition):
        undo_import(actor=manager, property=prop, batch_id=batch.pk)


def test_plan_reports_shares_not_100(prop: Property) -> None:
    rows = [["101", "3,5 %", "", "A", "B", "", "", "", ""]]
    plan = plan_import(property=prop, name="u.csv", data=csv_bytes(rows))
    assert plan.ok
    assert plan.shares_total == D("3.5")
    assert not plan.shares_balanced


def test_corrected_file_moves_the_primary_resident_and_undo_puts_it_back(
    manager: User, prop: Property
) -> None:
    _import(manager, prop, csv_bytes(ROWS))
    moved = [list(r) for r in ROWS]
    moved[0][6], moved[1][6] = "non", "oui"
    batch = _import(manager, prop, csv_bytes(moved))
    unit = Unit.objects.get(property=prop, number="101")
    assert Occupancy.objects.get(unit=unit, is_primary=True).resident.name == "Jean Tremblay"
    undo_import(actor=manager, property=prop, batch_id=batch.pk)
    assert Occupancy.objects.get(unit=unit, is_primary=True).resident.name == "Marie Tremblay"
