"""Batches: one draft per unit in one transaction, same rules as « Créer une facture »; publish and void
together."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from logis.accounts.models import User
from logis.billing import batches
from logis.billing.models import AmountMode, Batch, BatchInvoice, UnitScope
from logis.core.errors import InvalidTransition, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Unit
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def _create(actor: User, prop: Property, today: dt.date, **kwargs: object) -> Batch:
    values: dict[str, object] = {
        "unit_scope": UnitScope.ALL,
        "unit_ids": [],
        "title": "Cotisation spéciale — toiture",
        "amount_mode": AmountMode.SAME,
        "amount": Decimal("150.00"),
        "due_date": today + dt.timedelta(days=20),
    }
    values.update(kwargs)
    return batches.create_batch(actor=actor, property=prop, **values)  # type: ignore[arg-type]


def _amounts(batch: Batch) -> dict[str, Decimal]:
    return dict(
        Invoice.objects.filter(batch_item__batch=batch)
        .values_list("unit__number", "amount")
        .order_by("unit__sort_key")
    )


def test_same_amount_creates_one_draft_per_unit(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(manager, prop, today, notify_resident=True, description="Selon l'assemblée")
    invoices = list(Invoice.objects.filter(batch_item__batch=batch))
    assert len(invoices) == 4 == batch.unit_count
    assert {i.status for i in invoices} == {InvoiceStatus.DRAFT}
    assert {i.amount for i in invoices} == {Decimal("150.00")}
    assert all(i.notify_resident and i.description == "Selon l'assemblée" for i in invoices)
    assert all(i.created_by == manager and i.number is None for i in invoices)
    assert batch.total == Decimal("600.00")


def test_split_by_share_gives_parts_that_add_up_to_the_total(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(manager, prop, today, amount_mode=AmountMode.SPLIT, amount=Decimal("1000.01"))
    amounts = _amounts(batch)
    assert amounts == {
        "101": Decimal("250.00"),
        "102": Decimal("250.00"),
        "103": Decimal("300.01"),
        "112": Decimal("200.00"),
    }
    assert sum(amounts.values()) == Decimal("1000.01") == batch.total


def test_only_and_all_but_choose_the_units(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    only = _create(manager, prop, today, unit_scope=UnitScope.ONLY, unit_ids=[units[0].pk, units[2].pk])
    assert set(_amounts(only)) == {"101", "103"}
    but = _create(manager, prop, today, unit_scope=UnitScope.EXCEPT, unit_ids=[units[0].pk])
    assert set(_amounts(but)) == {"102", "103", "112"}


def test_split_among_some_units_uses_their_shares_among_themselves(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(
        manager,
        prop,
        today,
        unit_scope=UnitScope.ONLY,
        unit_ids=[units[0].pk, units[3].pk],
        amount_mode=AmountMode.SPLIT,
        amount=Decimal("90.00"),
    )
    assert _amounts(batch) == {"101": Decimal("50.00"), "112": Decimal("40.00")}


def test_split_names_the_units_without_share(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    UnitFactory(property=prop, number="PH-1", share=None)
    UnitFactory(property=prop, number="PH-2", share=None)
    with pytest.raises(ValidationError) as exc:
        _create(manager, prop, today, amount_mode=AmountMode.SPLIT, amount=Decimal("1000.00"))
    message = str(exc.value.errors["amount_mode"][0])
    assert "PH-1, PH-2" in message
    assert Invoice.objects.count() == 0 and Batch.objects.count() == 0


def test_a_total_too_small_to_give_each_unit_a_cent_is_refused(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(manager, prop, today, amount_mode=AmountMode.SPLIT, amount=Decimal("0.03"))
    assert "112" in str(exc.value.errors["amount"][0])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"amount": Decimal("0.00")}, "amount"),
        ({"amount": Decimal("-5.00")}, "amount"),
        ({"amount": Decimal("1.001")}, "amount"),
        ({"amount": None}, "amount"),
        ({"due_date": None}, "due_date"),
        ({"unit_scope": UnitScope.ONLY, "unit_ids": []}, "units"),
    ],
)
def test_refuses_what_create_invoice_refuses(
    manager: User, prop: Property, units: list[Unit], today: dt.date, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(manager, prop, today, **changes)
    assert field in exc.value.errors
    assert Invoice.objects.count() == 0


def test_due_date_must_be_today_or_later_in_the_property_zone(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(manager, prop, today, due_date=today - dt.timedelta(days=1))
    assert "due_date" in exc.value.errors
    assert _create(manager, prop, today, due_date=today).unit_count == 4


def test_units_of_another_property_are_refused(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    stranger = UnitFactory(property=PropertyFactory(), number="999")
    with pytest.raises(ValidationError) as exc:
        _create(manager, prop, today, unit_scope=UnitScope.ONLY, unit_ids=[units[0].pk, stranger.pk])
    assert "units" in exc.value.errors


def test_refused_when_payments_are_disabled(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    with pytest.raises(InvalidTransition):
        _create(manager, prop, today)
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("role", [Role.BOARD])
def test_board_members_cannot_create_publish_or_void_batches(
    manager: User, prop: Property, units: list[Unit], today: dt.date, role: str
) -> None:
    board = member(prop, role)
    with pytest.raises(PermissionDenied):
        _create(board, prop, today)
    batch = _create(manager, prop, today)
    with pytest.raises(PermissionDenied):
        batches.publish_batch(actor=board, property=prop, batch_id=batch.pk)
    with pytest.raises(PermissionDenied):
        batches.void_batch_drafts(actor=board, property=prop, batch_id=batch.pk, reason="x")


def test_the_same_form_posted_twice_creates_one_batch(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    token = uuid.uuid4()
    first = _create(manager, prop, today, creation_token=token)
    second = _create(manager, prop, today, creation_token=token)
    assert first.pk == second.pk
    assert Invoice.objects.count() == 4


def test_each_invoice_gets_its_creation_audit_event(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(manager, prop, today)
    ids = {str(pk) for pk in BatchInvoice.objects.filter(batch=batch).values_list("invoice_id", flat=True)}
    events = AuditEvent.objects.filter(verb="invoice.created", object_type="invoicing.invoice")
    assert {e.object_id for e in events} == ids
    event = events.first()
    assert event is not None and event.actor == manager and event.property == prop
    assert event.after is not None and event.after["amount"] == "150.00" and event.after["status"] == "draft"
    assert AuditEvent.objects.filter(verb="batch.created", object_id=str(batch.pk)).count() == 1


def test_publish_all_numbers_in_unit_order_and_queues_one_email_per_reachable_resident(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(manager, prop, today, notify_resident=True)
    results = batches.publish_batch(actor=manager, property=prop, batch_id=batch.pk)
    assert len(results) == 4
    numbered = list(
        Invoice.objects.filter(batch_item__batch=batch)
        .order_by("number")
        .values_list("unit__number", "number")
    )
    assert numbered == [("101", 1), ("102", 2), ("103", 3), ("112", 4)]
    # Unit 112 has no primary resident: published, no email, and the reason is given.
    assert EmailMessage.objects.count() == 3
    assert [r.invoice.unit.number for r in results if r.email_blocker] == ["112"]
    with pytest.raises(InvalidTransition):
        batches.publish_batch(actor=manager, property=prop, batch_id=batch.pk)


def test_void_all_drafts_needs_a_reason_and_leaves_published_invoices(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(manager, prop, today)
    first = Invoice.objects.filter(batch_item__batch=batch).order_by("id").first()
    assert first is not None
    from logis.invoicing.services import publish_invoice

    publish_invoice(actor=manager, invoice_id=first.pk)
    with pytest.raises(ValidationError):
        batches.void_batch_drafts(actor=manager, property=prop, batch_id=batch.pk, reason="  ")
    assert (
        batches.void_batch_drafts(actor=manager, property=prop, batch_id=batch.pk, reason="Erreur de montant")
        == 3
    )
    statuses = dict(Invoice.objects.filter(batch_item__batch=batch).values_list("id", "status"))
    assert statuses.pop(first.pk) == InvoiceStatus.OPEN
    assert set(statuses.values()) == {InvoiceStatus.VOID}
    assert set(Invoice.objects.filter(status="void").values_list("void_reason", flat=True)) == {
        "Erreur de montant"
    }
    with pytest.raises(InvalidTransition):
        batches.void_batch_drafts(actor=manager, property=prop, batch_id=batch.pk, reason="again")


def test_a_batch_of_another_property_does_not_exist(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _create(manager, prop, today)
    other = PropertyFactory()
    other_manager = member(other, Role.MANAGER)
    from logis.core.errors import NotFound

    with pytest.raises(NotFound):
        batches.publish_batch(actor=other_manager, property=other, batch_id=batch.pk)
