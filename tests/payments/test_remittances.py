"""One payment over several invoices of a unit (decision 0032): imputation (art. 1569–1572), one receipt,
excess to credit, reversal of the whole, and the manager's pages."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.collections.models import LateFee, LateFeeMode
from logis.core.errors import InvalidTransition, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.credits import credit_balance
from logis.payments.models import Payment, PaymentKind, Remittance
from logis.payments.remittances import record_remittance, reverse_remittance
from logis.payments.services import reverse_payment
from logis.properties.models import Unit
from tests.documents.conftest import pdf_text
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UnitFactory,
    member,
    open_invoice,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def setup():  # type: ignore[no-untyped-def]
    prop = PropertyFactory(payments_enabled=True)
    manager = member(prop, Role.MANAGER)
    unit = Unit.objects.get(pk=UnitFactory(property=prop, number="101").pk)
    resident = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", language="fr")
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    old = open_invoice(
        prop, number=1, amount=Decimal("100.00"), unit=unit, due_date=TODAY - dt.timedelta(days=60)
    )
    mid = open_invoice(
        prop, number=2, amount=Decimal("200.00"), unit=unit, due_date=TODAY - dt.timedelta(days=30)
    )
    new = open_invoice(
        prop, number=3, amount=Decimal("300.00"), unit=unit, due_date=TODAY + dt.timedelta(days=10)
    )
    return prop, manager, unit, old, mid, new


def pay(prop, manager, unit, amount: str, designated=(), token=None):  # type: ignore[no-untyped-def]
    return record_remittance(
        property=prop,
        unit_id=unit.pk,
        actor=manager,
        amount=Decimal(amount),
        paid_on=TODAY,
        method="cheque",
        reference="Chèque 412",
        designated=designated,
        request_token=token,
    )


def test_without_a_choice_the_oldest_amounts_are_paid_first(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, old, mid, new = setup
    remittance = pay(prop, manager, unit, "250.00")
    paid = {p.invoice_id: (p.amount, p.imputation) for p in remittance.payments.all()}
    assert paid == {old.pk: (Decimal("100.00"), "oldest_due"), mid.pk: (Decimal("150.00"), "oldest_due")}
    assert remittance.rule == Remittance.Rule.DEFAULT
    old.refresh_from_db(), mid.refresh_from_db(), new.refresh_from_db()
    assert (old.status, mid.amount_paid, new.amount_paid) == (InvoiceStatus.PAID, Decimal("150.00"), 0)
    assert AuditEvent.objects.filter(verb="remittance.recorded").count() == 1


def test_late_fees_are_paid_before_older_capital(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, old, _mid, _new = setup
    fee = open_invoice(prop, number=4, amount=Decimal("25.00"), unit=unit, due_date=TODAY)
    LateFee.objects.create(
        property=prop,
        original=old,
        fee_invoice=fee,
        period_index=1,
        period_start=TODAY,
        mode=LateFeeMode.FIXED,
        balance=Decimal("100.00"),
        amount=Decimal("25.00"),
    )
    remittance = pay(prop, manager, unit, "50.00")
    shares = list(remittance.payments.order_by("pk").values_list("invoice_id", "amount", "imputation"))
    assert shares == [(fee.pk, Decimal("25.00"), "fees_first"), (old.pk, Decimal("25.00"), "oldest_due")]


def test_the_invoices_the_payer_chose_are_paid_first(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, old, _mid, new = setup
    remittance = pay(prop, manager, unit, "350.00", designated=[new.pk])
    paid = list(remittance.payments.order_by("pk").values_list("invoice_id", "amount", "imputation"))
    assert paid == [(new.pk, Decimal("300.00"), "designated"), (old.pk, Decimal("50.00"), "oldest_due")]
    assert remittance.rule == Remittance.Rule.DESIGNATED


def test_the_excess_becomes_unit_credit_and_nothing_is_lost(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, *_ = setup
    remittance = pay(prop, manager, unit, "650.00")
    assert remittance.excess == Decimal("50.00")
    assert credit_balance(unit=unit) == Decimal("50.00")
    assert sum(p.amount for p in remittance.payments.all()) + remittance.excess == Decimal("650.00")
    assert not Invoice.objects.filter(unit=unit, status=InvoiceStatus.OPEN).exists()


def test_one_receipt_email_lists_each_invoice_and_the_rule(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, _old, _mid, _new = setup
    pay(prop, manager, unit, "300.00")
    messages = list(EmailMessage.objects.filter(to_email="marie@example.com"))
    assert len(messages) == 1
    body = messages[0].body_text
    assert "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens." in body
    assert "Facture nº 1" in body and "Facture nº 2" in body and "Facture nº 3" not in body


def test_the_same_form_sent_twice_records_once(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, *_ = setup
    token = uuid.uuid4()
    first = pay(prop, manager, unit, "120.00", token=token)
    second = pay(prop, manager, unit, "120.00", token=token)
    assert first.pk == second.pk
    assert Payment.objects.filter(unit=unit).count() == 2


def test_refuses_bad_input_beside_the_field(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, _old, *_ = setup
    with pytest.raises(ValidationError) as caught:
        record_remittance(
            property=prop,
            unit_id=unit.pk,
            actor=manager,
            amount=Decimal("0"),
            paid_on=TODAY + dt.timedelta(days=1),
            method="card",
        )
    assert set(caught.value.errors) == {"amount", "paid_on", "method"}
    other = open_invoice(prop, number=9)
    with pytest.raises(ValidationError) as caught:
        pay(prop, manager, unit, "10.00", designated=[other.pk])
    assert "invoices" in caught.value.errors
    assert not Payment.objects.exists()


def test_a_board_member_cannot_record(setup) -> None:  # type: ignore[no-untyped-def]
    from logis.core.errors import PermissionDenied

    prop, _manager, unit, *_ = setup
    with pytest.raises(PermissionDenied):
        pay(prop, member(prop, Role.BOARD), unit, "10.00")


def test_reversing_reverses_every_payment_and_the_credit(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, _old, _mid, _new = setup
    remittance = pay(prop, manager, unit, "650.00")
    one = remittance.payments.first()
    with pytest.raises(InvalidTransition):
        reverse_payment(property=prop, payment_id=one.pk, actor=manager, reason="x")
    reverse_remittance(
        property=prop, remittance_id=remittance.pk, actor=manager, reason="Chèque sans provision"
    )
    assert Payment.objects.filter(kind=PaymentKind.REVERSAL, unit=unit).count() == 3
    assert Payment.objects.filter(unit=unit).count() == 6  # nothing deleted
    assert credit_balance(unit=unit) == 0
    assert Invoice.objects.filter(unit=unit, status=InvoiceStatus.OPEN, amount_paid=0).count() == 3
    with pytest.raises(InvalidTransition):
        reverse_remittance(property=prop, remittance_id=remittance.pk, actor=manager, reason="again")


def test_manager_previews_then_records_and_sees_the_receipt(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, _old, _mid, _new = setup
    client = Client()
    client.force_login(manager)
    url = reverse("payments:record_remittance", args=[prop.pk, unit.pk])
    assert client.get(url).status_code == 200
    form = {
        "amount": "600",
        "paid_on": TODAY.isoformat(),
        "method": "cheque",
        "reference": "412",
        "token": str(uuid.uuid4()),
    }
    preview = client.post(url, {**form, "preview": ""})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Aperçu de l" in html, html[html.find("<main") :][:3000]
    assert not Payment.objects.exists()
    bad = client.post(
        url, {**form, "amount": "12,5x", "reference": "Chèque 77", "record": ""}
    ).content.decode()
    assert 'id="id_amount-error"' in bad and 'value="Chèque 77"' in bad
    assert Remittance.objects.count() == 0
    done = client.post(url, {**form, "record": ""})
    remittance = Remittance.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/several-invoices/{remittance.pk}/")
    page = client.get(done["Location"]).content.decode()
    assert page.count("/invoices/") >= 3
    pdf = pdf_text(client.get(reverse("payments:remittance_pdf", args=[prop.pk, remittance.pk])))
    assert "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens." in pdf
    assert pdf.count("Montant dû le plus ancien d'abord") == 3


def test_another_property_answers_404(setup) -> None:  # type: ignore[no-untyped-def]
    prop, manager, unit, *_ = setup
    other = PropertyFactory()
    client = Client()
    client.force_login(manager)
    remittance = pay(prop, manager, unit, "10.00")
    assert client.get(reverse("payments:record_remittance", args=[other.pk, unit.pk])).status_code == 404
    assert client.get(reverse("payments:remittance", args=[other.pk, remittance.pk])).status_code == 404


def test_the_api_records_a_remittance_with_a_designation(setup) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import token_for

    prop, manager, unit, old, _mid, new = setup
    client = Client()
    url = f"/api/v1/properties/{prop.pk}/units/{unit.pk}/remittances"
    body = {"amount": "350.00", "paid_on": TODAY.isoformat(), "method": "cheque", "invoices": [new.pk]}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(manager)}", "HTTP_IDEMPOTENCY_KEY": "k-1"}
    first = client.post(url, body, content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["rule"] == "designated"
    assert [(p["invoice"], p["amount"]) for p in data["payments"]] == [(new.pk, "300.00"), (old.pk, "50.00")]
    again = client.post(url, body, content_type="application/json", **headers)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    bad = client.post(
        url,
        {**body, "invoices": [999999]},
        content_type="application/json",
        **headers | {"HTTP_IDEMPOTENCY_KEY": "k-2"},
    )
    assert bad.status_code == 422 and "invoices" in bad.content.decode()
