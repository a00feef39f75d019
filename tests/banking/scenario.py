"""The syndicate the bank files of tests/banking/files/ were written for (their deposits of November 2026).

Units 101 (Marie Dubé), 102 (Jean Tremblay), 205 (François Côté, fcote@example.ca). Open invoices:
#1 unit 101 300.00; #2 unit 102 450.00; #3 unit 205 300.00; #4 unit 102 125.50. Each file holds:
300.00 from MARIE DUBÉ (→ #1: amount and sender), 300.00 over the counter (ambiguous: #1 or #3),
450.00 from Jean Tremblay (→ #2), 125.50 « facture 4 » (→ #4), a 250.00 withdrawal (ignored),
two equal 50.00 e-Transfers from fcote@example.ca the same day (→ unit 205), 999.99 (no invoice)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from logis.properties.models import Property, Unit
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    member,
    open_invoice,
)

FILES = Path(__file__).parent / "files"
# OFX/QFX as each bank exports it for accounting software: Desjardins (OFX 1.02, Windows-1252), RBC (Quicken
# QFX with Intuit's bank id), TD (OFX 1.02 declared UTF-8), Banque Nationale (OFX 2.2, XML, UTF-8); the bank
# of an OFX file is not asked (the file says it). Then each bank's CSV, read by its remembered mapping.
BANK_FILES = {
    "desjardins.ofx": "",
    "rbc.qfx": "",
    "td.ofx": "",
    "banque-nationale.ofx": "",
    "desjardins.csv": "desjardins",
    "banque-nationale.csv": "bnc",
    "rbc.csv": "rbc",
    "td.csv": "td",
}


@dataclass
class Syndicate:
    prop: Property
    manager: User
    units: dict[str, Unit]
    invoices: dict[int, Invoice]


def syndicate(name: str = "Syndicat du Carré Saint-Louis") -> Syndicate:
    prop = PropertyFactory(name=name, payments_enabled=True)
    # Set up in Logis before the statement's month, so its deposits are not « before the property ».
    Property.objects.filter(pk=prop.pk).update(
        created_at=timezone.make_aware(dt.datetime(2026, 10, 1, 12, 0))
    )
    prop.refresh_from_db()
    manager = member(prop, Role.MANAGER, language="fr")
    units = {n: UnitFactory(property=prop, number=n) for n in ("101", "102", "205")}
    for number, person, email in (
        ("101", "Marie Dubé", "marie.dube@example.com"),
        ("102", "Jean Tremblay", "jt@example.com"),
        ("205", "François Côté", "fcote@example.ca"),
    ):
        OccupancyFactory(
            unit=units[number], resident=ResidentFactory(property=prop, name=person, email=email)
        )
    due = dt.date(2026, 11, 1)
    invoices = {
        1: open_invoice(prop, number=1, unit=units["101"], amount=Decimal("300.00"), due_date=due),
        2: open_invoice(prop, number=2, unit=units["102"], amount=Decimal("450.00"), due_date=due),
        3: open_invoice(prop, number=3, unit=units["205"], amount=Decimal("300.00"), due_date=due),
        4: open_invoice(prop, number=4, unit=units["102"], amount=Decimal("125.50"), due_date=due),
    }
    Property.objects.filter(pk=prop.pk).update(next_invoice_number=5)
    return Syndicate(prop=prop, manager=manager, units=units, invoices=invoices)


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()
