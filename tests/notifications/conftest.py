"""Helpers for the email tests: a unit with its primary resident, a draft to publish, the worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from logis.invoicing.models import Invoice
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Resident
from tests.factories import InvoiceFactory, OccupancyFactory, ResidentFactory, UnitFactory
from tests.smtp import run_worker

__all__ = ["DUE", "pending_tasks", "run_worker", "time_passes"]

DUE = dt.date(2031, 1, 15)


def pending_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status=TaskResultStatus.READY).order_by("run_after"))


def time_passes(message: EmailMessage) -> None:
    """The retry delay has elapsed: the scheduled retry (and the message's next try) are due now."""
    past = timezone.now() - dt.timedelta(seconds=1)
    EmailMessage.objects.filter(pk=message.pk).update(next_attempt_at=past)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=past)


@pytest.fixture
def resident_of_unit(prop: Property) -> Callable[..., Resident]:
    def make(
        language: str = "fr", email: str = "marie@example.com", name: str = "Marie Tremblay"
    ) -> Resident:
        unit = UnitFactory(property=prop, number="101")
        resident = ResidentFactory(property=prop, name=name, email=email, language=language)
        OccupancyFactory(unit=unit, resident=resident, is_primary=True)
        return resident

    return make


@pytest.fixture
def draft_for(prop: Property) -> Callable[..., Invoice]:
    """A draft with notify checked, for the unit the resident is primary of."""

    def make(resident: Resident, **fields: Any) -> Invoice:
        defaults: dict[str, Any] = {
            "property": prop,
            "unit": resident.occupancies.get(is_primary=True).unit,
            "title": "Cotisation spéciale — Réparation du toit",
            "amount": Decimal("1234.56"),
            "due_date": DUE,
            "description": "Remplacement de la membrane.\nTravaux en mai.",
            "notify_resident": True,
        }
        defaults.update(fields)
        return InvoiceFactory(**defaults)

    return make
