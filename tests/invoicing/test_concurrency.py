"""Publishing under concurrency, on PostgreSQL: numbers 1..N handed out exactly once, no gap."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.invoicing import services
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


def _drafts(n: int) -> tuple[Property, User, list[int]]:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = UnitFactory(property=prop, number="101")
    due = dt.date.today() + dt.timedelta(days=30)
    ids = [InvoiceFactory(property=prop, unit=unit, due_date=due, created_by=manager).pk for _ in range(n)]
    return prop, manager, ids


def _in_thread(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` on its own database connection, closed afterwards."""

    def run(*args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


@pytest.mark.parametrize("workers", [2, 5])
@pytest.mark.parametrize("round_", range(3))  # a race shows up only sometimes: try it several times
def test_concurrent_publishes_number_each_invoice_once_without_gaps(workers: int, round_: int) -> None:
    prop, manager, ids = _drafts(10)
    start = threading.Barrier(workers)
    chunks = [ids[i::workers] for i in range(workers)]

    @_in_thread
    def publish_chunk(chunk: list[int]) -> list[int]:
        start.wait()
        return [services.publish_invoice(actor=manager, invoice_id=i).invoice.number for i in chunk]  # type: ignore[misc]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(publish_chunk, chunks))
    numbers = sorted(n for chunk in results for n in chunk)
    assert numbers == list(range(1, 11))
    stored = Invoice.objects.filter(property=prop).values_list("number", flat=True)
    assert sorted(n or 0 for n in stored) == list(range(1, 11))
    assert Property.objects.get(pk=prop.pk).next_invoice_number == 11


def test_the_same_draft_published_twice_at_once_is_published_once() -> None:
    prop, manager, ids = _drafts(1)
    start = threading.Barrier(3)

    @_in_thread
    def publish(_: int) -> str:
        start.wait()
        try:
            services.publish_invoice(actor=manager, invoice_id=ids[0])
        except services.InvalidTransition:
            return "refused"
        return "published"

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = sorted(pool.map(publish, range(3)))
    assert outcomes == ["published", "refused", "refused"]
    invoice = Invoice.objects.get(pk=ids[0])
    assert (invoice.status, invoice.number) == (InvoiceStatus.OPEN, 1)
    assert Property.objects.get(pk=prop.pk).next_invoice_number == 2


def test_concurrent_bulk_and_single_publishes_share_one_sequence() -> None:
    prop, manager, ids = _drafts(10)
    start = threading.Barrier(3)

    @_in_thread
    def bulk(chunk: list[int]) -> list[int]:
        start.wait()
        results = services.publish_invoices(actor=manager, property=prop, invoice_ids=chunk)
        return [r.invoice.number or 0 for r in results]

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(bulk, [ids[:4], ids[4:7], ids[7:]]))
    assert sorted(n for chunk in results for n in chunk) == list(range(1, 11))
    for chunk in results:
        assert chunk == list(range(chunk[0], chunk[0] + len(chunk)))  # one bulk: consecutive numbers


def test_the_same_form_posted_twice_at_once_creates_one_invoice() -> None:
    prop, manager, _ = _drafts(0)
    unit = prop.units.get()
    token = uuid.uuid4()
    start = threading.Barrier(4)

    @_in_thread
    def create(_: int) -> int:
        start.wait()
        invoice = services.create_invoice(
            actor=manager,
            property=prop,
            unit_id=unit.pk,
            title="Cotisation",
            amount=Decimal("10.00"),
            due_date=dt.date.today() + dt.timedelta(days=3),
            creation_token=token,
        )
        return invoice.pk

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = set(pool.map(create, range(4)))
    assert len(ids) == 1
    assert Invoice.objects.filter(property=prop).count() == 1
