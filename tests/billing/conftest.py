"""A building like the demo's: units with shares summing to 100 %, primary residents, one unit without."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from logis.core.dates import today_in
from logis.properties.models import Property, Unit
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory


@pytest.fixture
def today(prop: Property) -> dt.date:
    return today_in(prop.timezone)


def building(
    prop: Property, *, numbers: list[str] | None = None, resident_for_last: bool = False
) -> list[Unit]:
    """Units (default 101, 102, 103, 112) with shares 25/25/30/20; every unit but the last has a resident."""
    numbers = numbers or ["101", "102", "103", "112"]
    shares = [Decimal("25"), Decimal("25"), Decimal("30"), Decimal("20")]
    units = []
    for i, number in enumerate(numbers):
        share = shares[i] if len(numbers) == 4 else (Decimal(100) / len(numbers)).quantize(Decimal("0.0001"))
        unit = UnitFactory(property=prop, number=number, share=share)
        if i < len(numbers) - 1 or resident_for_last:
            OccupancyFactory(
                unit=unit,
                resident=ResidentFactory(property=prop, email=f"r{number}@example.com"),
                is_primary=True,
            )
        units.append(unit)
    return units


@pytest.fixture
def units(prop: Property) -> list[Unit]:
    return building(prop)
