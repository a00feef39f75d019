"""Opening balances of an import: the invoices and unit credit that carry each unit's balance on the
import's date (docs/decisions/0019), and their void when the import is undone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.finances.models import CategoryCode
from logis.imports.models import ImportBatch, OpeningBalance
from logis.invoicing.lines import create_single_lines, single_line_category
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import AccountKind, EntryKind
from logis.payments.models import CreditKind, UnitCredit
from logis.properties.models import Property, Unit


def _start_of_day(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(zone))


def _void_balance(ob: OpeningBalance, actor: User, now: dt.datetime, reason: str) -> None:
    ob.voided_at = now
    ob.save(update_fields=["voided_at"])
    today = today_in(ob.property.timezone, now=now)
    if ob.invoice_id is not None:
        invoice = Invoice.objects.get(pk=ob.invoice_id)
        # The opening balance's entry reversed (decision 0029); an unpaid one only (row error otherwise).
        with ledger.invoice_voided(invoice, date=today):
            Invoice.objects.filter(pk=ob.invoice_id).update(
                status=InvoiceStatus.VOID, voided_at=now, voided_by=actor, void_reason=reason, updated_at=now
            )
    if ob.credit_id is not None:
        # Dr unit credit / Cr opening balance equity: the opening credit taken back.
        with ledger.event(
            property_id=ob.property_id,
            date=today,
            kind=EntryKind.OPENING_CREDIT_REMOVED,
            source=("unit_credit", None),
            memo=reason,
        ) as ev:
            entry = UnitCredit.objects.create(
                property_id=ob.property_id,
                unit_id=ob.unit_id,
                kind=CreditKind.OPENING_BALANCE,
                amount=ob.amount,  # the credit entry was -amount (> 0): this takes it back
                reason=reason,
                created_by=actor,
            )
            ev.source_id = entry.pk
            ledger.credit_moved(unit_id=ob.unit_id, amount=ob.amount)
            ev.add(AccountKind.OPENING_EQUITY, ob.amount)


def _create_balances(
    *, property: Property, batch: ImportBatch, actor: User, items: list[tuple[Unit, Decimal, dt.date]]
) -> list[OpeningBalance]:
    """Opening balances: an amount owed is a published invoice « Solde d'ouverture » due on the balance
    date (numbered like the others); a credit is a credit entry of the unit."""
    if not items:
        return []
    with translation.override(property.language):
        title = gettext("Opening balance")
        description = gettext("Balance carried over when the unit started on Logis.")
    debits = [(u, a, d) for u, a, d in items if a > 0]
    invoices: list[Invoice] = []
    if debits:
        prop = Property.objects.select_for_update().get(pk=property.pk)
        number = prop.next_invoice_number
        for unit, amount, day in debits:
            invoices.append(
                Invoice(
                    property=property,
                    unit=unit,
                    number=number,
                    title=title,
                    amount=amount,
                    due_date=day,
                    description=description,
                    status=InvoiceStatus.OPEN,
                    created_by=actor,
                    published_by=actor,
                    published_at=_start_of_day(day, property.timezone),
                )
            )
            number += 1
        Invoice.objects.bulk_create(invoices)
        create_single_lines(invoices, single_line_category(property, CategoryCode.OPENING_BALANCE))
        Property.objects.filter(pk=prop.pk).update(next_invoice_number=number)
        property.next_invoice_number = number
        # Dr receivable / Cr opening balance equity, dated on the balance date (decision 0029).
        for invoice in invoices:
            ledger.post_invoice_published(invoice, date=invoice.due_date)
    by_unit = {inv.unit_id: inv for inv in invoices}
    credits: dict[int, UnitCredit] = {}
    credit_items = [(u, a, d) for u, a, d in items if a < 0]
    if credit_items:
        entries = [
            UnitCredit(
                property=property,
                unit=unit,
                kind=CreditKind.OPENING_BALANCE,
                amount=-amount,
                reason=title,
                created_by=actor,
            )
            for unit, amount, _day in credit_items
        ]
        UnitCredit.objects.bulk_create(entries)
        # The credit was the unit's on the balance date: the statement shows it there.
        for (unit, _amount, day), entry in zip(credit_items, entries, strict=True):
            credits[unit.pk] = entry
            UnitCredit.objects.filter(pk=entry.pk).update(created_at=_start_of_day(day, property.timezone))
            # Dr opening balance equity / Cr unit credit, dated on the balance date (decision 0029).
            with ledger.event(
                property_id=property.pk,
                date=day,
                kind=EntryKind.OPENING_CREDIT,
                source=("unit_credit", entry.pk),
                memo=title,
            ) as ev:
                ledger.credit_moved(unit_id=unit.pk, amount=entry.amount)
                ev.add(AccountKind.OPENING_EQUITY, entry.amount)
    balances = [
        OpeningBalance(
            property=property,
            unit=unit,
            batch=batch,
            amount=amount,
            balance_date=day,
            invoice=by_unit.get(unit.pk) if amount > 0 else None,
            credit=credits.get(unit.pk) if amount < 0 else None,
        )
        for unit, amount, day in items
    ]
    OpeningBalance.objects.bulk_create(balances)
    return balances
