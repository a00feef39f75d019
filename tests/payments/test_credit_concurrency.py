"""Unit credit under concurrency, on PostgreSQL: the same credit is never spent twice, and voiding an
invoice while its credit is applied elsewhere neither deadlocks nor loses money."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TypeVar

import pytest
from django.db import connection, connections

from logis.core.dates import today_in
from logis.core.errors import DomainError
from logis.core.permissions import Role
from logis.invoicing.models import InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.credits import apply_credit, credit_balance
from logis.payments.models import CREDIT_METHOD, Payment
from logis.payments.services import record_payment
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, add_unit_credit, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


def _own_connection(fn: Callable[[], T]) -> Callable[[], T | str]:
    def run() -> T | str:
        try:
            return fn()
        except DomainError as exc:
            return f"refused: {exc}"
        finally:
            connections.close_all()

    return run


@pytest.mark.parametrize("round_", range(3))
def test_the_same_credit_applied_twice_at_once_is_spent_once(round_: int) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = UnitFactory(property=prop, number="101")
    add_unit_credit(unit=unit, amount=Decimal("100.00"), reason="Trop-perçu")
    invoices = [
        InvoiceFactory(
            property=prop, unit=unit, status=InvoiceStatus.OPEN, number=n, amount=Decimal("100.00")
        )
        for n in (1, 2)
    ]
    start = threading.Barrier(2)

    def apply_to(invoice_id: int) -> Callable[[], Payment | str]:
        def go() -> Payment:
            start.wait()
            return apply_credit(
                property=prop, unit_id=unit.pk, invoice_id=invoice_id, amount=Decimal("100.00"), actor=manager
            )

        return _own_connection(go)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [f.result() for f in [pool.submit(apply_to(i.pk)) for i in invoices]]
    assert sum(isinstance(r, Payment) for r in results) == 1
    assert credit_balance(unit=unit) == 0
    assert Payment.objects.filter(method=CREDIT_METHOD).count() == 1


def test_voiding_an_invoice_while_credit_is_applied_to_it_does_not_deadlock_or_lose_money() -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = UnitFactory(property=prop, number="101")
    add_unit_credit(unit=unit, amount=Decimal("30.00"), reason="Trop-perçu")
    invoice = InvoiceFactory(
        property=prop, unit=unit, status=InvoiceStatus.OPEN, number=1, amount=Decimal("100.00")
    )
    record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("50.00"),
        paid_on=today_in(prop.timezone),
        method="cheque",
    )
    start = threading.Barrier(2)

    def void() -> object:
        start.wait()
        return void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Annulée")

    def apply() -> object:
        start.wait()
        return apply_credit(
            property=prop, unit_id=unit.pk, invoice_id=invoice.pk, amount=Decimal("30.00"), actor=manager
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_own_connection(void)), pool.submit(_own_connection(apply))]
        results = [f.result(timeout=30) for f in futures]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID, results
    # Either the credit went to the invoice first (and came back with the void) or it was refused:
    # the unit's credit is what the invoice had received plus the credit, in both orders.
    assert credit_balance(unit=unit) == Decimal("80.00")
