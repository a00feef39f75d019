"""The invoice lifecycle's rules, through the services (no view in between)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from logis.accounts.models import User
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing import services
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.models import Payment
from logis.properties.models import PaymentMethod, Property, Unit
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member, open_invoice

pytestmark = pytest.mark.django_db

TORONTO = ZoneInfo("America/Toronto")


def create(actor: User, prop: Property, unit: Unit, **overrides: object) -> Invoice:
    args: dict[str, object] = {
        "unit_id": unit.pk,
        "title": "Frais de stationnement — Janvier 2026",
        "amount": Decimal("75.00"),
        "due_date": dt.date.today() + dt.timedelta(days=30),
        "description": "",
        "notify_resident": False,
    }
    args.update(overrides)
    return services.create_invoice(actor=actor, property=prop, **args)  # type: ignore[arg-type]


def payload(data: Any) -> dict[str, Any]:
    assert data is not None
    return dict(data)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.value.errors.items()}


# --- create ----------------------------------------------------------------------------------


def test_create_saves_a_draft_without_number_and_records_who(
    manager: User, prop: Property, unit: Unit
) -> None:
    invoice = create(manager, prop, unit)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert invoice.created_by == manager
    assert invoice.notify_resident is False
    event = AuditEvent.objects.get(verb="invoice.created", object_id=str(invoice.pk))
    assert event.actor == manager and payload(event.after)["title"] == invoice.title


def test_create_accepts_a_unit_without_primary_resident(
    manager: User, prop: Property, lonely_unit: Unit
) -> None:
    assert create(manager, prop, lonely_unit).unit == lonely_unit


def test_create_refuses_missing_title_zero_amount_and_past_due_date(
    manager: User, prop: Property, unit: Unit, today: dt.date
) -> None:
    with pytest.raises(ValidationError) as exc:
        create(manager, prop, unit, title="  ", amount=Decimal("0"), due_date=today - dt.timedelta(days=1))
    assert set(exc.value.errors) == {"title", "amount", "due_date"}
    assert Invoice.objects.count() == 0


def test_create_refuses_more_than_two_decimals(manager: User, prop: Property, unit: Unit) -> None:
    with pytest.raises(ValidationError) as exc:
        create(manager, prop, unit, amount=Decimal("10.005"))
    assert "amount" in exc.value.errors


def test_create_refuses_a_title_longer_than_200(manager: User, prop: Property, unit: Unit) -> None:
    with pytest.raises(ValidationError) as exc:
        create(manager, prop, unit, title="x" * 201)
    assert "title" in exc.value.errors


def test_create_accepts_due_date_today_in_property_zone(
    manager: User, prop: Property, unit: Unit, today: dt.date
) -> None:
    assert create(manager, prop, unit, due_date=today).due_date == today


def test_create_refuses_a_unit_of_another_property(manager: User, prop: Property) -> None:
    other_unit = UnitFactory(property=PropertyFactory(), number="9")
    with pytest.raises(ValidationError) as exc:
        create(manager, prop, other_unit)
    assert "unit" in exc.value.errors


def test_create_is_refused_when_payments_are_disabled(manager: User, prop: Property, unit: Unit) -> None:
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    with pytest.raises(InvalidTransition):
        create(manager, prop, unit)
    assert Invoice.objects.count() == 0


def test_create_twice_with_the_same_token_makes_one_invoice(
    manager: User, prop: Property, unit: Unit
) -> None:
    token = uuid.uuid4()
    first = create(manager, prop, unit, creation_token=token)
    second = create(manager, prop, unit, creation_token=token)
    assert first.pk == second.pk
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize("role", [Role.BOARD])
def test_board_member_cannot_create_publish_or_void(
    prop: Property, unit: Unit, draft: Invoice, role: str
) -> None:
    board = member(prop, role)
    with pytest.raises(PermissionDenied):
        create(board, prop, unit)
    with pytest.raises(PermissionDenied):
        services.publish_invoice(actor=board, invoice_id=draft.pk)
    with pytest.raises(PermissionDenied):
        services.void_invoice(actor=board, invoice_id=draft.pk, reason="Erreur")
    with pytest.raises(PermissionDenied):
        services.update_invoice(
            actor=board,
            invoice_id=draft.pk,
            unit_id=unit.pk,
            title="x",
            amount=Decimal(1),
            due_date=draft.due_date,
        )


def test_user_without_role_on_the_property_cannot_create(prop: Property, unit: Unit) -> None:
    stranger = member(PropertyFactory(), Role.ADMIN)
    with pytest.raises(PermissionDenied):
        create(stranger, prop, unit)


def test_treasurer_may_create_and_publish(prop: Property, unit: Unit) -> None:
    treasurer = member(prop, Role.TREASURER)
    invoice = create(treasurer, prop, unit)
    assert services.publish_invoice(actor=treasurer, invoice_id=invoice.pk).invoice.number == 1


# --- update ----------------------------------------------------------------------------------


def test_update_changes_a_draft_and_records_before_and_after(
    manager: User, draft: Invoice, unit: Unit
) -> None:
    services.update_invoice(
        actor=manager,
        invoice_id=draft.pk,
        unit_id=unit.pk,
        title="Nouveau titre",
        amount=Decimal("300.00"),
        due_date=draft.due_date,
    )
    draft.refresh_from_db()
    assert (draft.title, draft.amount) == ("Nouveau titre", Decimal("300.00"))
    event = AuditEvent.objects.get(verb="invoice.updated")
    assert payload(event.before)["title"] == "Cotisations mensuelles du syndicat"
    assert payload(event.after)["amount"] == "300.00"


def test_update_refuses_a_published_invoice(manager: User, draft: Invoice, unit: Unit) -> None:
    services.publish_invoice(actor=manager, invoice_id=draft.pk)
    with pytest.raises(InvalidTransition):
        services.update_invoice(
            actor=manager,
            invoice_id=draft.pk,
            unit_id=unit.pk,
            title="x",
            amount=Decimal(5),
            due_date=draft.due_date,
        )


def test_update_refuses_an_invoice_with_payments(
    manager: User, draft: Invoice, unit: Unit, today: dt.date
) -> None:
    Payment.objects.create(
        property=draft.property,
        unit=unit,
        invoice=draft,
        amount=Decimal("10"),
        paid_on=today,
        method=PaymentMethod.CASH,
    )
    with pytest.raises(InvalidTransition, match="paiements"):
        services.update_invoice(
            actor=manager,
            invoice_id=draft.pk,
            unit_id=unit.pk,
            title="x",
            amount=Decimal(5),
            due_date=draft.due_date,
        )


# --- publish ---------------------------------------------------------------------------------


def test_publish_opens_the_draft_with_the_next_number(manager: User, draft: Invoice) -> None:
    result = services.publish_invoice(actor=manager, invoice_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.OPEN
    assert draft.number == 1
    assert draft.published_by == manager and draft.published_at is not None
    assert result.email is None and result.email_blocker is None  # notify box not checked
    assert Property.objects.get(pk=draft.property_id).next_invoice_number == 2


def test_publish_numbering_is_sequential_without_gaps(manager: User, prop: Property, unit: Unit) -> None:
    drafts = [create(manager, prop, unit, title=f"Facture {i}") for i in range(5)]
    # A refused publish in between must not consume a number.
    late = InvoiceFactory(property=prop, unit=unit, due_date=dt.date(2000, 1, 1), created_by=manager)
    numbers = []
    for i, invoice in enumerate(drafts):
        numbers.append(services.publish_invoice(actor=manager, invoice_id=invoice.pk).invoice.number)
        if i == 2:
            with pytest.raises(InvalidTransition):
                services.publish_invoice(actor=manager, invoice_id=late.pk)
    assert numbers == [1, 2, 3, 4, 5]


def test_publish_refuses_past_due_date(manager: User, draft: Invoice, today: dt.date) -> None:
    Invoice.objects.filter(pk=draft.pk).update(due_date=today - dt.timedelta(days=1))
    with pytest.raises(InvalidTransition, match="échéance est passée"):
        services.publish_invoice(actor=manager, invoice_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT and draft.number is None


def test_publish_judges_the_due_date_in_the_property_time_zone(
    manager: User, prop: Property, unit: Unit
) -> None:
    # 2026-11-25 03:30 UTC is still 2026-11-24 22:30 in Toronto: an invoice due the 24th may be published.
    invoice = InvoiceFactory(property=prop, unit=unit, due_date=dt.date(2026, 11, 24), created_by=manager)
    now = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)
    assert services.publish_invoice(actor=manager, invoice_id=invoice.pk, now=now).invoice.number == 1
    other = InvoiceFactory(property=prop, unit=unit, due_date=dt.date(2026, 11, 24), created_by=manager)
    next_morning = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)  # 00:00 in Toronto
    with pytest.raises(InvalidTransition):
        services.publish_invoice(actor=manager, invoice_id=other.pk, now=next_morning)


def test_publish_refuses_an_invoice_already_published(manager: User, draft: Invoice) -> None:
    services.publish_invoice(actor=manager, invoice_id=draft.pk)
    with pytest.raises(InvalidTransition):
        services.publish_invoice(actor=manager, invoice_id=draft.pk)
    assert Property.objects.get(pk=draft.property_id).next_invoice_number == 2


def test_publish_with_notify_queues_exactly_one_email_to_the_primary_resident(
    manager: User, draft: Invoice
) -> None:
    Invoice.objects.filter(pk=draft.pk).update(notify_resident=True)
    result = services.publish_invoice(actor=manager, invoice_id=draft.pk)
    assert result.email is not None and result.email.to_email == "marie@example.com"
    assert EmailMessage.objects.filter(invoice=draft).count() == 1
    event = AuditEvent.objects.get(verb="invoice.published")
    assert payload(event.after)["email_queued_to"] == "marie@example.com"


def test_publish_with_notify_but_no_primary_resident_says_why(
    manager: User, prop: Property, lonely_unit: Unit
) -> None:
    invoice = create(manager, prop, lonely_unit, notify_resident=True)
    result = services.publish_invoice(actor=manager, invoice_id=invoice.pk)
    assert result.email is None
    assert result.email_blocker and "112" in result.email_blocker
    assert EmailMessage.objects.count() == 0


def test_drafts_never_send_email(manager: User, prop: Property, unit: Unit) -> None:
    create(manager, prop, unit, notify_resident=True)
    assert EmailMessage.objects.count() == 0


def test_publish_of_an_invoice_of_another_property_is_not_found(manager: User, draft: Invoice) -> None:
    with pytest.raises(NotFound):
        services.publish_invoice(actor=manager, invoice_id=draft.pk, property=PropertyFactory())


def test_publish_invoices_numbers_all_selected_in_creation_order(
    manager: User, prop: Property, unit: Unit
) -> None:
    drafts = [create(manager, prop, unit, title=f"F{i}") for i in range(3)]
    results = services.publish_invoices(
        actor=manager, property=prop, invoice_ids=[d.pk for d in reversed(drafts)]
    )
    assert [r.invoice.title for r in results] == ["F0", "F1", "F2"]
    assert [r.invoice.number for r in results] == [1, 2, 3]


def test_publish_invoices_is_all_or_nothing(
    manager: User, prop: Property, unit: Unit, today: dt.date
) -> None:
    good = create(manager, prop, unit, title="Bonne")
    late = InvoiceFactory(property=prop, unit=unit, title="En retard", due_date=today - dt.timedelta(days=2))
    with pytest.raises(InvalidTransition, match="En retard"):
        services.publish_invoices(actor=manager, property=prop, invoice_ids=[good.pk, late.pk])
    good.refresh_from_db()
    assert good.status == InvoiceStatus.DRAFT and good.number is None
    assert Property.objects.get(pk=prop.pk).next_invoice_number == 1


def test_publish_invoices_refuses_an_empty_selection(manager: User, prop: Property) -> None:
    with pytest.raises(ValidationError):
        services.publish_invoices(actor=manager, property=prop, invoice_ids=[])


# --- void ------------------------------------------------------------------------------------


def test_void_a_draft_with_a_reason(manager: User, draft: Invoice) -> None:
    services.void_invoice(actor=manager, invoice_id=draft.pk, reason="Mauvais montant")
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.VOID
    assert draft.void_reason == "Mauvais montant" and draft.voided_by == manager
    event = AuditEvent.objects.get(verb="invoice.voided")
    assert payload(event.before)["status"] == "draft" and payload(event.after)["status"] == "void"


def test_void_an_open_invoice_without_payments_keeps_its_number(manager: User, draft: Invoice) -> None:
    services.publish_invoice(actor=manager, invoice_id=draft.pk)
    services.void_invoice(actor=manager, invoice_id=draft.pk, reason="Erreur")
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.VOID and draft.number == 1


def test_void_requires_a_reason(manager: User, draft: Invoice) -> None:
    with pytest.raises(ValidationError) as exc:
        services.void_invoice(actor=manager, invoice_id=draft.pk, reason="   ")
    assert "reason" in exc.value.errors
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


def test_void_refuses_a_paid_invoice(manager: User, prop: Property, unit: Unit) -> None:
    paid = InvoiceFactory(
        property=prop,
        unit=unit,
        number=1,
        status=InvoiceStatus.PAID,
        amount=Decimal(50),
        amount_paid=Decimal(50),
    )
    with pytest.raises(InvalidTransition, match="remboursez"):
        services.void_invoice(actor=manager, invoice_id=paid.pk, reason="x")


def test_void_of_an_open_invoice_with_payments_turns_them_into_unit_credit(
    manager: User, prop: Property, unit: Unit, today: dt.date
) -> None:
    # Issue 4 changed this rule: an open invoice with payments is voided, its payments become credit.
    from logis.payments.credits import credit_balance

    invoice = open_invoice(prop, number=1, unit=unit, amount=Decimal(50), amount_paid=Decimal(20))
    Payment.objects.create(
        property=prop,
        unit=unit,
        invoice=invoice,
        amount=Decimal(20),
        paid_on=today,
        method=PaymentMethod.CHEQUE,
    )
    voided = services.void_invoice(actor=manager, invoice_id=invoice.pk, reason="x")
    assert voided.status == InvoiceStatus.VOID
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert credit_balance(unit=unit) == Decimal(20)


def test_void_refuses_an_invoice_already_void(manager: User, draft: Invoice) -> None:
    services.void_invoice(actor=manager, invoice_id=draft.pk, reason="x")
    with pytest.raises(InvalidTransition):
        services.void_invoice(actor=manager, invoice_id=draft.pk, reason="x")


def test_residents_never_see_drafts(prop: Property, draft: Invoice, manager: User, unit: Unit) -> None:
    published = create(manager, prop, unit, title="Publiée")
    services.publish_invoice(actor=manager, invoice_id=published.pk)
    voided_after_publish = create(manager, prop, unit, title="Publiée puis annulée")
    services.publish_invoice(actor=manager, invoice_id=voided_after_publish.pk)
    services.void_invoice(actor=manager, invoice_id=voided_after_publish.pk, reason="x")
    voided_draft = create(manager, prop, unit, title="Brouillon annulé")
    services.void_invoice(actor=manager, invoice_id=voided_draft.pk, reason="x")
    visible = set(Invoice.objects.visible_to_residents().values_list("title", flat=True))
    assert visible == {"Publiée", "Publiée puis annulée"}
