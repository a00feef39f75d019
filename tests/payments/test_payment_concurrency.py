"""The same payment sent twice at the same instant, on PostgreSQL (row locks): one payment, one receipt."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.payments.services import record_payment_once
from tests.factories import InvoiceFactory, PropertyFactory, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


@pytest.mark.parametrize("round_", range(3))  # a race shows up only sometimes: try it several times
def test_the_same_payment_request_sent_four_times_at_once_records_one_payment(round_: int) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    invoice = InvoiceFactory(property=prop, status=InvoiceStatus.OPEN, number=1, amount=Decimal("300.00"))
    token = uuid.uuid4()
    start = threading.Barrier(4, timeout=30)

    def send(_: int) -> tuple[int, bool]:
        try:
            start.wait()
            payment, created = record_payment_once(
                property=prop,
                invoice_id=invoice.pk,
                actor=manager,
                amount=Decimal("100.00"),
                paid_on=today_in(prop.timezone),
                method="cheque",
                request_token=token,
            )
            return payment.pk, created
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(send, range(4)))
    assert len({pk for pk, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False, False, False, True]
    assert Payment.objects.filter(invoice_id=invoice.pk).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("100.00")
