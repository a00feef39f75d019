"""Units and primary residents under concurrency, on PostgreSQL (row locks and constraints)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from logis.core.errors import ValidationError
from logis.core.permissions import Role
from logis.properties import services
from logis.properties.models import Occupancy, Unit
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


def _race(workers: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run ``fn(i)`` in ``workers`` threads released together; each on its own connection."""
    start = threading.Barrier(workers)

    def run(i: int) -> Any:
        try:
            start.wait()
            try:
                return fn(i)
            except ValidationError as exc:
                return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


@pytest.mark.parametrize("round_", range(3))
def test_two_managers_adding_the_same_unit_number_at_once_create_one_unit(round_: int) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    spellings = ["101", " 101 ", "101", "101 "]
    results = _race(4, lambda i: services.create_unit(actor=manager, property=prop, number=spellings[i]))
    assert Unit.objects.filter(property_id=prop.pk).count() == 1
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 3
    assert all("number" in r.errors for r in refused)


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_primary_choices_leave_exactly_one_primary(round_: int) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = UnitFactory(property=prop, number="101")
    links = [
        OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop), is_primary=(i == 0))
        for i in range(4)
    ]
    results = _race(
        4,
        lambda i: services.set_primary_resident(
            actor=manager, property=prop, unit_id=unit.pk, resident_id=links[i].resident_id
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Occupancy.objects.filter(unit_id=unit.pk, is_primary=True).count() == 1
