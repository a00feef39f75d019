from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from logis.properties.models import Property


@pytest.fixture(autouse=True)
def _payments_on(prop: Property) -> None:
    prop.payments_enabled = True
    prop.save()


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Service-level tests read the messages in English; pages pick the user's language themselves."""
    with translation.override("en"):
        yield
