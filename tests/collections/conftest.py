"""Helpers for the reminders and late-fee tests: a fixed clock in the property's zone, a unit with its
primary resident, open invoices due on a chosen date, and the policies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from logis.collections.models import LateFeeMode, LateFeePolicy, ReminderPolicy
from logis.invoicing.models import Invoice
from logis.properties.models import Property, Unit
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, open_invoice

TZ = "America/Toronto"


def at(day: dt.date, hour: int = 9, minute: int = 0, tz: str = TZ) -> dt.datetime:
    """A fixed clock: ``hour:minute`` on ``day`` in ``tz`` (local wall time), as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


@pytest.fixture
def unit(prop: Property) -> Unit:
    """Unit 101, whose primary resident Marie Tremblay reads French."""
    unit = UnitFactory(property=prop, number="101")
    resident = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return unit


_numbers = iter(range(1, 10_000))


@pytest.fixture
def invoice_due(prop: Property, unit: Unit) -> Callable[..., Invoice]:
    """An open (published) invoice of unit 101 due on ``due``."""

    def make(due: dt.date, **kwargs: Any) -> Invoice:
        kwargs.setdefault("unit", unit)
        kwargs.setdefault("title", "Cotisation de mars")
        kwargs.setdefault("amount", Decimal("1234.56"))
        number = kwargs.pop("number", None) or next(_numbers)
        changes = {k: kwargs.pop(k) for k in ("status", "published_at") if k in kwargs}
        invoice = open_invoice(prop, number=number, due_date=due, **kwargs)
        # As publishing leaves it: the next number is free (late fees are published too).
        Property.objects.filter(pk=prop.pk, next_invoice_number__lte=number).update(
            next_invoice_number=number + 1
        )
        if changes:
            Invoice.objects.filter(pk=invoice.pk).update(**changes)
            invoice.refresh_from_db()
        return invoice

    return make


@pytest.fixture
def reminder_policy(prop: Property) -> Callable[..., ReminderPolicy]:
    def make(
        before: list[int] | None = None, after: list[int] | None = None, enabled: bool = True
    ) -> ReminderPolicy:
        policy, _ = ReminderPolicy.objects.update_or_create(
            property=prop,
            defaults={"enabled": enabled, "days_before": before or [], "days_after": after or []},
        )
        return policy

    return make


@pytest.fixture
def fee_policy(prop: Property) -> Callable[..., LateFeePolicy]:
    def make(
        mode: str = LateFeeMode.FIXED,
        fixed_amount: Decimal | None = Decimal("25.00"),
        yearly_rate: Decimal | None = None,
        grace_days: int = 0,
        **kwargs: Any,
    ) -> LateFeePolicy:
        policy, _ = LateFeePolicy.objects.update_or_create(
            property=prop,
            defaults={
                "enabled": kwargs.pop("enabled", True),
                "mode": mode,
                "fixed_amount": fixed_amount,
                "yearly_rate": yearly_rate,
                "grace_days": grace_days,
                **kwargs,
            },
        )
        return policy

    return make
