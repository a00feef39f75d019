"""The same Idempotency-Key sent twice at the same instant (a client retrying on a timeout), on
PostgreSQL: one invoice, one 201 and one 200 with that same invoice."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from tests.api.conftest import ApiClient, token_for
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


@pytest.mark.parametrize("round_", range(3))  # a race shows up only sometimes: try it several times
def test_the_same_idempotency_key_at_once_creates_one_invoice(round_: int) -> None:
    prop = PropertyFactory()
    unit = UnitFactory(property=prop)
    token = token_for(member(prop, Role.MANAGER))
    body = {
        "unit": unit.pk,
        "title": "Cotisation",
        "amount": "100.00",
        "due_date": (today_in(prop.timezone) + dt.timedelta(days=5)).isoformat(),
    }
    start = threading.Barrier(2)

    def send(_: int) -> tuple[int, Any]:
        try:
            start.wait()
            response = ApiClient(token).post(
                f"/properties/{prop.pk}/invoices", body, **{"Idempotency-Key": f"retry-{round_}"}
            )
            return response.status_code, response.json()["id"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(send, range(2)))
    assert [status for status, _ in results] == [200, 201]
    assert results[0][1] == results[1][1]
    assert Invoice.objects.filter(property_id=prop.pk).count() == 1
