"""Existing data gets funds, categories and invoice lines: every property the legal funds and default
categories, every invoice one line of its amount in the category that fits it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("invoicing", "0005_merge_20261205_0726"),
    ("collections", "0002_late_fee_nothing_to_bill"),
    ("imports", "0001_imports_initial"),
    ("properties", "0006_merge_20261205_0726"),
]
AFTER = [("invoicing", "0007_invoice_lines_for_existing_invoices")]


@pytest.mark.slow
def test_existing_invoices_become_one_line_each_in_the_fitting_category() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Property = apps.get_model("properties", "Property")
    Unit = apps.get_model("properties", "Unit")
    Invoice = apps.get_model("invoicing", "Invoice")
    LateFee = apps.get_model("collections", "LateFee")
    ImportBatch = apps.get_model("imports", "ImportBatch")
    OpeningBalance = apps.get_model("imports", "OpeningBalance")
    prop = Property.objects.create(
        name="Les Jardins du Parc",
        fiscal_year_start_month=1,
        accepted_methods=["cheque"],
        next_invoice_number=4,
    )
    unit = Unit.objects.create(property=prop, number="101", sort_key="101")
    due = dt.date(2026, 12, 31)

    def invoice(title: str, amount: str, number: int) -> object:
        return Invoice.objects.create(
            property=prop,
            unit=unit,
            title=title,
            amount=Decimal(amount),
            due_date=due,
            status="open",
            number=number,
        )

    dues = invoice("Cotisations de décembre", "250.00", 1)
    fee = invoice("Frais de retard", "25.00", 2)
    opening = invoice("Solde d'ouverture", "1234.56", 3)
    LateFee.objects.create(
        property=prop,
        original=dues,
        fee_invoice=fee,
        period_index=0,
        period_start=due,
        mode="fixed",
        balance=Decimal("250.00"),
        amount=Decimal("25.00"),
    )
    user = apps.get_model("accounts", "User").objects.create(email="admin@example.com", password="x")
    batch = ImportBatch.objects.create(
        property=prop, file_name="unites.csv", file_sha256="0" * 64, content=b"", created_by=user
    )
    OpeningBalance.objects.create(
        property=prop, unit=unit, batch=batch, amount=Decimal("1234.56"), balance_date=due, invoice=opening
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Line = apps.get_model("invoicing", "InvoiceLine")
    lines = {line.invoice_id: line for line in Line.objects.select_related("category__fund")}
    assert {k: (v.category.code, v.amount, v.description) for k, v in lines.items()} == {
        dues.pk: ("condo_fees", Decimal("250.00"), "Cotisations de décembre"),
        fee.pk: ("late_fee", Decimal("25.00"), "Frais de retard"),
        opening.pk: ("opening_balance", Decimal("1234.56"), "Solde d'ouverture"),
    }
    funds = apps.get_model("finances", "Fund").objects.filter(property_id=prop.pk)
    assert sorted(funds.values_list("kind", flat=True)) == ["contingency", "operating", "self_insurance"]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
