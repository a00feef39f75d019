"""Unit credit: payments of a voided invoice become credit on the unit's account, shown on the unit
page and applied on request to another open invoice of the unit. A ledger, never deleted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.credits import apply_credit, credit_balance, credit_refunded, refund_credit
from logis.payments.models import CREDIT_METHOD, CreditKind, Payment, PaymentKind, UnitCredit
from logis.payments.services import record_payment, refund_payment, reverse_payment
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, add_unit_credit, member

TODAY = timezone.localdate()


def open_invoice(prop: Property, unit: Unit, amount: str = "500.00", number: int = 1) -> Invoice:
    return InvoiceFactory(
        property=prop, unit=unit, amount=Decimal(amount), status=InvoiceStatus.OPEN, number=number
    )


def pay(prop, invoice, actor, amount: str):  # type: ignore[no-untyped-def]
    return record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        paid_on=TODAY,
        method="cheque",
    )


@pytest.fixture
def unit(prop: Property) -> Unit:
    return UnitFactory(property=prop, number="305")


def test_add_credit_writes_a_ledger_entry_and_an_audit_event(prop, unit, manager) -> None:
    invoice = open_invoice(prop, unit)
    payment = pay(prop, invoice, manager, "40.00")
    entry = add_unit_credit(
        unit=unit, amount=Decimal("12.34"), reason="Trop-perçu", source_payment=payment, actor=manager
    )
    assert entry.amount == Decimal("12.34") and entry.kind == CreditKind.OVERPAYMENT
    assert entry.invoice_id == invoice.pk and entry.payment_id == payment.pk and entry.created_by == manager
    assert credit_balance(unit=unit) == Decimal("12.34")
    event = AuditEvent.objects.get(verb="unit.credit_added")
    assert event.actor == manager and event.after is not None and event.after["amount"] == "12.34"


def test_add_credit_refuses_zero_or_negative(prop, unit) -> None:
    for amount in ("0", "-5"):
        with pytest.raises(ValidationError):
            add_unit_credit(unit=unit, amount=Decimal(amount), reason="x")
    assert not UnitCredit.objects.exists()


def test_voiding_an_open_invoice_with_payments_moves_what_it_received_to_the_unit_credit(
    prop, unit, manager
) -> None:
    invoice = open_invoice(prop, unit, "500.00")
    pay(prop, invoice, manager, "200.00")
    p2 = pay(prop, invoice, manager, "50.00")
    reverse_payment(property=prop, payment_id=p2.pk, actor=manager, reason="erreur")
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Facturée à la mauvaise unité")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID and invoice.balance == 0
    assert Payment.objects.filter(invoice=invoice).count() == 3, "payments are kept"
    entry = UnitCredit.objects.get()
    assert entry.kind == CreditKind.VOIDED_INVOICE and entry.amount == Decimal("200.00")
    assert entry.invoice_id == invoice.pk and entry.reason == "Facturée à la mauvaise unité"
    assert credit_balance(unit=unit) == Decimal("200.00")
    assert {"invoice.voided", "unit.credit_added"} <= set(AuditEvent.objects.values_list("verb", flat=True))


def test_voiding_an_invoice_whose_payments_were_all_reversed_creates_no_credit(prop, unit, manager) -> None:
    invoice = open_invoice(prop, unit)
    p = pay(prop, invoice, manager, "20.00")
    reverse_payment(property=prop, payment_id=p.pk, actor=manager, reason="erreur")
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Annulée")
    assert not UnitCredit.objects.exists()


def test_a_paid_invoice_is_not_voided_it_is_refunded(prop, unit, manager) -> None:
    invoice = open_invoice(prop, unit, "100.00")
    payment = pay(prop, invoice, manager, "100.00")
    with pytest.raises(InvalidTransition):
        void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="x")
    refund_payment(
        property=prop,
        payment_id=payment.pk,
        actor=manager,
        amount=Decimal("100.00"),
        reason="Vendu",
        method="cheque",
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0


def test_payments_of_a_voided_invoice_cannot_be_reversed_or_refunded(prop, unit, manager) -> None:
    invoice = open_invoice(prop, unit)
    payment = pay(prop, invoice, manager, "20.00")
    void_invoice(actor=manager, invoice_id=invoice.pk, property=prop, reason="Annulée")
    with pytest.raises(InvalidTransition):
        reverse_payment(property=prop, payment_id=payment.pk, actor=manager, reason="x")
    with pytest.raises(InvalidTransition):
        refund_payment(
            property=prop,
            payment_id=payment.pk,
            actor=manager,
            amount=Decimal("1"),
            reason="x",
            method="cash",
        )


def test_applying_credit_pays_another_open_invoice_of_the_unit_with_a_credit_payment(
    prop, unit, manager
) -> None:
    voided = open_invoice(prop, unit, "300.00", 1)
    pay(prop, voided, manager, "300.00") if False else pay(prop, voided, manager, "250.00")
    void_invoice(actor=manager, invoice_id=voided.pk, property=prop, reason="Doublon")
    target = open_invoice(prop, unit, "100.00", 2)
    payment = apply_credit(
        property=prop, unit_id=unit.pk, invoice_id=target.pk, amount=Decimal("100.00"), actor=manager
    )
    target.refresh_from_db()
    assert payment.method == CREDIT_METHOD and payment.kind == PaymentKind.PAYMENT
    assert str(payment.get_method_display()) == "Crédit au compte"
    assert target.status == InvoiceStatus.PAID
    assert credit_balance(unit=unit) == Decimal("150.00")
    applied = UnitCredit.objects.get(kind=CreditKind.APPLIED)
    assert applied.amount == Decimal("-100.00") and applied.payment_id == payment.pk
    assert AuditEvent.objects.filter(verb="unit.credit_applied").count() == 1


def test_credit_applied_above_the_credit_or_the_balance_is_refused(prop, unit, manager) -> None:
    add_unit_credit(unit=unit, amount=Decimal("50.00"), reason="Trop-perçu")
    target = open_invoice(prop, unit, "30.00")
    with pytest.raises(ValidationError) as exc:
        apply_credit(
            property=prop, unit_id=unit.pk, invoice_id=target.pk, amount=Decimal("40.00"), actor=manager
        )
    assert "30,00" in str(exc.value.errors["amount"][0])
    big = open_invoice(prop, unit, "500.00", 2)
    with pytest.raises(ValidationError) as exc:
        apply_credit(
            property=prop, unit_id=unit.pk, invoice_id=big.pk, amount=Decimal("60.00"), actor=manager
        )
    assert "50,00" in str(exc.value.errors["amount"][0])
    assert credit_balance(unit=unit) == Decimal("50.00")


def test_credit_goes_only_to_an_open_invoice_of_the_same_unit(prop, unit, manager) -> None:
    add_unit_credit(unit=unit, amount=Decimal("50.00"), reason="Trop-perçu")
    other_unit = open_invoice(prop, UnitFactory(property=prop, number="1"), "20.00")
    draft = InvoiceFactory(property=prop, unit=unit)
    for invoice in (other_unit, draft):
        with pytest.raises(ValidationError) as exc:
            apply_credit(
                property=prop, unit_id=unit.pk, invoice_id=invoice.pk, amount=Decimal("1"), actor=manager
            )
        assert "invoice" in exc.value.errors


def test_reversing_a_credit_application_gives_the_credit_back(prop, unit, manager) -> None:
    add_unit_credit(unit=unit, amount=Decimal("50.00"), reason="Trop-perçu")
    target = open_invoice(prop, unit, "20.00")
    payment = apply_credit(
        property=prop, unit_id=unit.pk, invoice_id=target.pk, amount=Decimal("20.00"), actor=manager
    )
    reverse_payment(property=prop, payment_id=payment.pk, actor=manager, reason="Mauvaise facture")
    target.refresh_from_db()
    assert target.status == InvoiceStatus.OPEN and target.amount_paid == 0
    assert credit_balance(unit=unit) == Decimal("50.00")
    with pytest.raises(InvalidTransition):
        refund_payment(
            property=prop,
            payment_id=payment.pk,
            actor=manager,
            amount=Decimal("1"),
            reason="x",
            method="cash",
        )


def test_board_member_cannot_apply_credit_and_other_property_is_not_found(prop, unit, manager) -> None:
    add_unit_credit(unit=unit, amount=Decimal("50.00"), reason="Trop-perçu")
    target = open_invoice(prop, unit, "20.00")
    with pytest.raises(PermissionDenied):
        apply_credit(
            property=prop,
            unit_id=unit.pk,
            invoice_id=target.pk,
            amount=Decimal("1"),
            actor=member(prop, Role.BOARD),
        )
    other = PropertyFactory()
    with pytest.raises(NotFound):
        apply_credit(
            property=other, unit_id=unit.pk, invoice_id=target.pk, amount=Decimal("1"), actor=member(other)
        )


def test_unit_page_shows_the_credit_and_applies_it_to_an_open_invoice(
    prop, unit, manager, manager_client: Client
) -> None:
    add_unit_credit(unit=unit, amount=Decimal("75.00"), reason="Facture annulée")
    target = open_invoice(prop, unit, "100.00", 4)
    url = reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    html = manager_client.get(url).content.decode().replace("\xa0", " ")
    assert "Crédit au compte" in html and "75,00 $" in html
    assert "Appliquer le crédit" in html
    apply_url = reverse("payments:apply_credit", args=[prop.pk, unit.pk])
    response = manager_client.post(apply_url, {"invoice": str(target.pk), "amount": "75,00"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.amount_paid == Decimal("75.00")
    assert credit_balance(unit=unit) == 0


def test_apply_credit_dialog_keeps_input_and_shows_the_error_beside_the_field(
    prop, unit, manager, manager_client: Client
) -> None:
    add_unit_credit(unit=unit, amount=Decimal("10.00"), reason="Trop-perçu")
    target = open_invoice(prop, unit, "100.00", 4)
    apply_url = reverse("payments:apply_credit", args=[prop.pk, unit.pk])
    response = manager_client.post(apply_url, {"invoice": str(target.pk), "amount": "25,00"})
    html = response.content.decode().replace("\xa0", " ")
    assert response.status_code == 200
    assert 'value="25,00"' in html and "is-invalid" in html and "10,00 $" in html


def test_credit_is_refunded_to_the_resident_by_a_negative_ledger_entry(prop, unit, manager) -> None:
    add_unit_credit(unit=unit, amount=Decimal("50.00"), reason="Trop-perçu")
    entry = refund_credit(
        property=prop,
        unit_id=unit.pk,
        amount=Decimal("20.00"),
        method="cheque",
        reason="Chèque 42",
        actor=manager,
    )
    assert (
        entry.kind == CreditKind.REFUNDED and entry.amount == Decimal("-20.00") and entry.method == "cheque"
    )
    assert credit_balance(unit=unit) == Decimal("30.00")
    assert credit_refunded(property=prop) == Decimal("20.00")
    assert AuditEvent.objects.filter(verb="unit.credit_refunded").count() == 1
    with pytest.raises(ValidationError) as exc:
        refund_credit(
            property=prop, unit_id=unit.pk, amount=Decimal("30.01"), method="cash", reason="x", actor=manager
        )
    assert "30,00" in str(exc.value.errors["amount"][0])
    with pytest.raises(ValidationError) as exc:
        refund_credit(
            property=prop, unit_id=unit.pk, amount=Decimal("1"), method="credit", reason="", actor=manager
        )
    assert set(exc.value.errors) == {"method", "reason"}
    with pytest.raises(PermissionDenied):
        refund_credit(
            property=prop,
            unit_id=unit.pk,
            amount=Decimal("1"),
            method="cash",
            reason="x",
            actor=member(prop, Role.BOARD),
        )


def test_unit_page_refunds_the_credit_and_the_payments_page_shows_it(
    prop, unit, manager, manager_client: Client
) -> None:
    add_unit_credit(unit=unit, amount=Decimal("75.00"), reason="Facture annulée")
    unit_url = reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    assert "Rembourser le crédit" in manager_client.get(unit_url).content.decode()
    url = reverse("payments:refund_credit", args=[prop.pk, unit.pk])
    response = manager_client.post(url, {"amount": "80", "method": "cheque", "reason": "Départ"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = manager_client.post(
        url, {"amount": "75,00", "method": "cheque", "reason": "Départ du résident"}
    )
    assert response.status_code == 302
    assert credit_balance(unit=unit) == 0
    page = manager_client.get(unit_url).content.decode()
    assert "Départ du résident" in page and "Rembourser le crédit" not in page
    payments = (
        manager_client.get(reverse("payments:list", args=[prop.pk])).content.decode().replace("\xa0", " ")
    )
    assert "Crédit remboursé aux résidents" in payments and "75,00 $" in payments
