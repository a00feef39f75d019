"""A unit's history written through the real services, each event placed at the instant (or local date)
a test chooses: the services stamp "now", so the stamp is then moved to when it happened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.invoicing.models import Invoice
from logis.payments import credits
from logis.payments.models import Payment, UnitCredit
from logis.payments.services import record_payment, refund_payment, reverse_payment
from logis.properties.models import Property, Unit
from logis.statements.selectors import unit_statement
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, member

TZ = "America/Toronto"


def at(day: dt.date, hour: int = 12, minute: int = 0, tz: str = TZ) -> dt.datetime:
    """``hour:minute`` on ``day``, local wall time in ``tz``, as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def D(text: str) -> Decimal:
    return Decimal(text)


@dataclass
class Ledger:
    """The events of one unit, through the services. ``when``: an instant; ``on``: a local date."""

    prop: Property
    unit: Unit
    actor: User

    @property
    def today(self) -> dt.date:
        return today_in(self.prop.timezone)

    def invoice(self, amount: str, *, when: dt.datetime | None = None, title: str = "Cotisation") -> Invoice:
        draft = invoicing.create_invoice(
            actor=self.actor,
            property=self.prop,
            unit_id=self.unit.pk,
            title=title,
            amount=D(amount),
            due_date=self.today + dt.timedelta(days=30),
        )
        return invoicing.publish_invoice(actor=self.actor, invoice_id=draft.pk, now=when).invoice

    def draft(self, amount: str, *, title: str = "Brouillon") -> Invoice:
        return invoicing.create_invoice(
            actor=self.actor,
            property=self.prop,
            unit_id=self.unit.pk,
            title=title,
            amount=D(amount),
            due_date=self.today + dt.timedelta(days=30),
        )

    def void(self, invoice: Invoice, *, when: dt.datetime | None = None) -> Invoice:
        invoicing.void_invoice(actor=self.actor, invoice_id=invoice.pk, reason="Erreur", property=self.prop)
        if when is not None:
            Invoice.objects.filter(pk=invoice.pk).update(voided_at=when)
            UnitCredit.objects.filter(invoice=invoice, payment__isnull=True).update(created_at=when)
        invoice.refresh_from_db()
        return invoice

    def pay(
        self,
        invoice: Invoice,
        amount: str,
        *,
        on: dt.date | None = None,
        method: str = "cheque",
        reference: str = "",
    ) -> Payment:
        return record_payment(
            property=self.prop,
            invoice_id=invoice.pk,
            actor=self.actor,
            amount=D(amount),
            paid_on=on or self.today,
            method=method,
            reference=reference,
        )

    def _on(self, payment: Payment, on: dt.date | None) -> Payment:
        if on is not None:
            Payment.objects.filter(pk=payment.pk).update(paid_on=on)
            UnitCredit.objects.filter(payment=payment).update(created_at=at(on))
            payment.refresh_from_db()
        return payment

    def reverse(self, payment: Payment, *, on: dt.date | None = None) -> Payment:
        reversal = reverse_payment(
            property=self.prop, payment_id=payment.pk, actor=self.actor, reason="Erreur"
        )
        return self._on(reversal, on)

    def refund(self, payment: Payment, amount: str, *, on: dt.date | None = None) -> Payment:
        refund = refund_payment(
            property=self.prop,
            payment_id=payment.pk,
            actor=self.actor,
            amount=D(amount),
            reason="Trop payé",
            method="cheque",
        )
        return self._on(refund, on)

    def apply_credit(self, invoice: Invoice, amount: str, *, on: dt.date | None = None) -> Payment:
        payment = credits.apply_credit(
            property=self.prop,
            unit_id=self.unit.pk,
            invoice_id=invoice.pk,
            amount=D(amount),
            actor=self.actor,
        )
        return self._on(payment, on)

    def refund_credit(self, amount: str, *, when: dt.datetime | None = None) -> UnitCredit:
        entry = credits.refund_credit(
            property=self.prop,
            unit_id=self.unit.pk,
            amount=D(amount),
            method="interac",
            reason="Déménagement",
            actor=self.actor,
        )
        if when is not None:
            UnitCredit.objects.filter(pk=entry.pk).update(created_at=when)
        return entry

    def closing(self) -> Decimal:
        """The closing balance of the whole history, up to today."""
        return unit_statement(unit=self.unit, start=dt.date(2000, 1, 1), end=self.today).closing_balance

    def owed_less_credit(self) -> Decimal:
        """What the invoices say independently: balance due of the open ones minus the unit's credit."""
        owed = sum(
            (i.amount - i.amount_paid for i in Invoice.objects.filter(unit=self.unit, status="open")),
            Decimal("0.00"),
        )
        return owed - credits.credit_balance(unit=self.unit)


@pytest.fixture
def unit(prop: Property) -> Unit:
    # Statements reach back years: the property has been in Logis since before its oldest payment
    # (payments are never dated before the property existed, logis.payments.services).
    Property.objects.filter(pk=prop.pk).update(created_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    prop.refresh_from_db()
    unit = cast(Unit, UnitFactory(property=prop, number="101"))
    resident = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com")
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return unit


@pytest.fixture
def ledger(prop: Property, unit: Unit) -> Ledger:
    return Ledger(prop=prop, unit=unit, actor=member(prop, Role.TREASURER))
