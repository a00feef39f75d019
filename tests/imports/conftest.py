from __future__ import annotations

import pytest

from logis.properties.models import Property


@pytest.fixture(autouse=True)
def _payments_on(prop: Property) -> None:
    prop.payments_enabled = True
    prop.save()
