"""A building of four units with shares 25/25/30/20 (the billing tests' own), and the property's funds."""

from __future__ import annotations

import pytest

from logis.finances.models import Fund, FundKind
from logis.finances.selectors import funds
from logis.properties.models import Property, Unit
from tests.billing.conftest import building


@pytest.fixture
def units(prop: Property) -> list[Unit]:
    return building(prop)


@pytest.fixture
def fund_by_kind(prop: Property) -> dict[str, Fund]:
    return {f.kind: f for f in funds(prop) if f.kind != FundKind.CUSTOM}
