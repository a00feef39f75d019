"""Two cheques for the same unit's invoices recorded at the same instant, and one form sent four times at
once, on PostgreSQL (row locks): imputed one after the other, nothing paid twice, nothing lost."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from logis.payments.credits import credit_balance
from logis.payments.models import Payment, Remittance
from logis.payments.remittances import record_remittance
from logis.properties.models import Unit
from tests.factories import PropertyFactory, UnitFactory, member, open_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


def _send_at_once(count: int, record: object) -> list[int]:
    start = threading.Barrier(count, timeout=30)

    def send(_: int) -> int:
        try:
            start.wait()
            return record().pk  # type: ignore[operator]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(send, range(count)))


@pytest.mark.parametrize("round_", range(2))
def test_two_cheques_at_once_are_imputed_one_after_the_other(round_: int) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = Unit.objects.get(pk=UnitFactory(property=prop).pk)
    for number in (1, 2, 3):
        open_invoice(prop, number=number, unit=unit, amount=Decimal("100.00"))

    def record() -> Remittance:
        return record_remittance(
            property=prop,
            unit_id=unit.pk,
            actor=manager,
            amount=Decimal("200.00"),
            paid_on=today_in(prop.timezone),
            method="cheque",
        )

    _send_at_once(2, record)
    assert sum(i.amount_paid for i in Invoice.objects.filter(unit=unit)) == Decimal("300.00")
    assert credit_balance(unit=unit) == Decimal("100.00")  # the second cheque's excess, not lost


def test_one_form_sent_four_times_at_once_records_one_remittance() -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = Unit.objects.get(pk=UnitFactory(property=prop).pk)
    for number in (1, 2):
        open_invoice(prop, number=number, unit=unit, amount=Decimal("100.00"))
    token = uuid.uuid4()

    def record() -> Remittance:
        return record_remittance(
            property=prop,
            unit_id=unit.pk,
            actor=manager,
            amount=Decimal("150.00"),
            paid_on=today_in(prop.timezone),
            method="cheque",
            request_token=token,
        )

    assert len(set(_send_at_once(4, record))) == 1
    assert Remittance.objects.count() == 1 and Payment.objects.count() == 2
