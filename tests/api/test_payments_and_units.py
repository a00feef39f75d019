"""Payments through the API are the Paiements page and the payment dialogs: a manual payment lowers the
balance (never below 0), a reversal reopens the invoice, the list filters and totals as the page does;
units come in natural order with their primary resident and credit. Lists take a constant number of
queries whatever their size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logis.api.invoice_schemas import InvoiceSort
from logis.api.payment_schemas import ManualMethodCode, PaymentMethodCode
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.selectors import SORTS
from logis.invoicing.services import void_invoice
from logis.payments.models import METHOD_CHOICES, Payment, PaymentKind
from logis.payments.services import MANUAL_METHODS, record_payment
from tests.factories import OccupancyFactory, UnitFactory, open_invoice
from tests.roles import World

pytestmark = pytest.mark.django_db


def _today(w: World) -> dt.date:
    return today_in(w.prop.timezone)


@pytest.fixture
def manager_api(api_for: Any) -> Any:
    return api_for(Role.MANAGER)


def _pay(w: World, invoice: Invoice, amount: str, **over: Any) -> dict[str, Any]:
    return {
        "amount": amount,
        "paid_on": _today(w).isoformat(),
        "method": "cheque",
        "reference": "123",
        **over,
    }


def test_partial_then_full_payment_marks_the_invoice_paid(world: World, manager_api: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("1234.50"))
    url = f"/properties/{world.prop.pk}/invoices/{invoice.pk}/payments"
    first = manager_api.post(url, _pay(world, invoice, "1000.00"))
    assert first.status_code == 201
    assert first.json()["invoice"]["balance_due"] == "234.50"
    assert first.json()["payment"]["amount"] == "1000.00"
    second = manager_api.post(url, _pay(world, invoice, "234.50", method="interac"))
    assert second.status_code == 201
    assert (second.json()["invoice"]["status"], second.json()["invoice"]["balance_due"]) == ("paid", "0.00")


def test_the_same_idempotency_key_records_one_payment(world: World, manager_api: Any) -> None:
    """A script retrying after a timeout must not record the cheque twice."""
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("500.00"))
    url = f"/properties/{world.prop.pk}/invoices/{invoice.pk}/payments"
    key = {"Idempotency-Key": "depot-2026-12-03-cheque-118"}
    first = manager_api.post(url, _pay(world, invoice, "200.00"), **key)
    again = manager_api.post(url, _pay(world, invoice, "200.00"), **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert again.json()["invoice"]["balance_due"] == "300.00"
    other = manager_api.post(url, _pay(world, invoice, "200.00"), **{"Idempotency-Key": "cheque-119"})
    assert other.status_code == 201
    assert Payment.objects.filter(invoice=invoice).count() == 2
    # The same key on another invoice is a mistake of the caller's, said as such.
    second = open_invoice(world.prop, number=2, unit=world.unit, amount=Decimal("50.00"))
    clash = manager_api.post(
        f"/properties/{world.prop.pk}/invoices/{second.pk}/payments", _pay(world, second, "50.00"), **key
    )
    assert clash.status_code == 409
    assert not Payment.objects.filter(invoice=second).exists()


def test_a_payment_above_the_balance_is_refused_in_the_readers_language(world: World, api_for: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("100.00"))
    url = f"/properties/{world.prop.pk}/invoices/{invoice.pk}/payments"
    fr = api_for(Role.TREASURER).post(url, _pay(world, invoice, "100.01"))
    en = api_for(Role.TREASURER, "en").post(url, _pay(world, invoice, "100.01"))
    assert fr.status_code == en.status_code == 422
    assert fr.json()["errors"] == {"amount": ["Le montant dépasse le solde dû (100,00\xa0$)."]}
    assert en.json()["errors"] == {"amount": ["The amount is more than the balance due ($100.00)."]}
    assert not Payment.objects.exists()


def test_a_future_date_or_an_online_method_is_refused(world: World, manager_api: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit)
    url = f"/properties/{world.prop.pk}/invoices/{invoice.pk}/payments"
    future = (_today(world) + dt.timedelta(days=1)).isoformat()
    assert manager_api.post(url, _pay(world, invoice, "5.00", paid_on=future)).json()["errors"] == {
        "paid_on": ["La date du paiement ne peut pas être dans le futur."]
    }
    card = manager_api.post(url, _pay(world, invoice, "5.00", method="card"))
    assert card.status_code == 422 and list(card.json()["errors"]) == ["method"]


def test_a_draft_cannot_receive_a_payment_409(world: World, manager_api: Any) -> None:
    draft = manager_api.post(
        f"/properties/{world.prop.pk}/invoices",
        {"unit": world.unit.pk, "title": "x", "amount": "5.00", "due_date": _today(world).isoformat()},
    ).json()
    response = manager_api.post(
        f"/properties/{world.prop.pk}/invoices/{draft['id']}/payments",
        _pay(world, None, "5.00"),  # type: ignore[arg-type]
    )
    assert response.status_code == 409
    assert response.json()["message"]


def test_reversing_a_payment_reopens_the_invoice_once(world: World, manager_api: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("50.00"))
    payment = record_payment(
        property=world.prop,
        invoice_id=invoice.pk,
        actor=world.users[Role.ADMIN],
        amount=Decimal("50.00"),
        paid_on=_today(world),
        method="cash",
    )
    url = f"/properties/{world.prop.pk}/payments/{payment.pk}/reverse"
    response = manager_api.post(url, {"reason": "Saisi deux fois"})
    assert response.status_code == 201
    body = response.json()
    assert (body["payment"]["kind"], body["payment"]["reverses"], body["payment"]["amount"]) == (
        "reversal",
        payment.pk,
        "50.00",
    )
    assert (body["invoice"]["status"], body["invoice"]["balance_due"]) == ("open", "50.00")
    again = manager_api.post(url, {"reason": "Encore"})
    assert again.status_code == 409
    assert again.json() == {"message": "Ce paiement a déjà été contrepassé."}


def test_payments_list_filters_and_totals_like_the_paiements_page(world: World, manager_api: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("500.00"))
    admin = world.users[Role.ADMIN]
    cheque = record_payment(
        property=world.prop,
        invoice_id=invoice.pk,
        actor=admin,
        amount=Decimal("100.00"),
        paid_on=_today(world) - dt.timedelta(days=3),
        method="cheque",
    )
    cash = record_payment(
        property=world.prop,
        invoice_id=invoice.pk,
        actor=admin,
        amount=Decimal("40.25"),
        paid_on=_today(world),
        method="cash",
    )
    url = f"/properties/{world.prop.pk}/payments"
    everything = manager_api.get(url).json()
    assert [p["id"] for p in everything["items"]] == [cash.pk, cheque.pk]
    assert everything["totals"] == {
        "received": "140.25",
        "returned": "0.00",
        "net": "140.25",
        "credit_applied": "0.00",
        "credit_refunded": "0.00",
    }
    only_cash = manager_api.get(url, {"method": "cash"}).json()
    assert [p["id"] for p in only_cash["items"]] == [cash.pk] and only_cash["totals"]["received"] == "40.25"
    window = manager_api.get(url, {"date_to": (_today(world) - dt.timedelta(days=1)).isoformat()}).json()
    assert [p["id"] for p in window["items"]] == [cheque.pk]
    assert manager_api.get(url, {"kind": PaymentKind.REVERSAL}).json()["count"] == 0


def test_payments_list_takes_a_constant_number_of_queries(world: World, manager_api: Any) -> None:
    url = f"/properties/{world.prop.pk}/payments"
    manager_api.get(url)
    admin = world.users[Role.ADMIN]

    def add(n: int) -> None:
        for _ in range(n):
            invoice = open_invoice(
                world.prop, number=Invoice.objects.count() + 1, unit=UnitFactory(property=world.prop)
            )
            record_payment(
                property=world.prop,
                invoice_id=invoice.pk,
                actor=admin,
                amount=Decimal("10.00"),
                paid_on=_today(world),
                method="cheque",
            )

    add(2)
    with CaptureQueriesContext(connection) as small:
        manager_api.get(url, {"limit": 1})
    add(40)
    with CaptureQueriesContext(connection) as large:
        assert len(manager_api.get(url, {"limit": 200}).json()["items"]) == 42
    # token, property with the role (decision 0042), the summary rows' count (decision 0041), rows, totals,
    # credit refunded (0030)
    assert len(small.captured_queries) == len(large.captured_queries) == 6
    # Unfiltered, the totals read the property's summary rows (decision 0033), never a SUM over payments.
    sums = [q["sql"] for q in large.captured_queries if "SUM(" in q["sql"].upper()]
    assert sums and all(
        'payments_payment"' not in sql and "payments_paymenttotal" in sql
        for sql in sums
        if "unitcredit" not in sql
    ), sums


def test_units_in_natural_order_with_primary_resident_and_credit(world: World, manager_api: Any) -> None:
    for number in ["10", "2", "PH-1"]:
        UnitFactory(property=world.prop, number=number)
    unit = world.unit  # "101", with a primary resident
    invoice = open_invoice(world.prop, number=1, unit=unit, amount=Decimal("80.00"))
    record_payment(
        property=world.prop,
        invoice_id=invoice.pk,
        actor=world.users[Role.ADMIN],
        amount=Decimal("30.55"),
        paid_on=_today(world),
        method="cheque",
    )
    void_invoice(actor=world.users[Role.ADMIN], invoice_id=invoice.pk, reason="Erreur")
    body = manager_api.get(f"/properties/{world.prop.pk}/units").json()
    assert [u["number"] for u in body["items"]] == ["2", "10", "101", "PH-1"]
    row = next(u for u in body["items"] if u["id"] == unit.pk)
    assert row["credit"] == "30.55"
    assert row["primary_resident"] == {
        "id": world.resident.pk,
        "name": world.resident.name,
        "email": world.resident.email,
    }
    assert next(u for u in body["items"] if u["number"] == "2")["primary_resident"] is None


def test_units_list_takes_a_constant_number_of_queries(world: World, manager_api: Any) -> None:
    url = f"/properties/{world.prop.pk}/units"
    manager_api.get(url)
    with CaptureQueriesContext(connection) as small:
        manager_api.get(url, {"limit": 1})
    for _ in range(30):
        OccupancyFactory(unit=UnitFactory(property=world.prop))
    with CaptureQueriesContext(connection) as large:
        assert manager_api.get(url, {"limit": 200}).json()["count"] == 31
    # token, property with the role (decision 0042), count, units (their resident and credit joined)
    assert len(small.captured_queries) == len(large.captured_queries) == 4


def test_api_enums_are_the_models_codes() -> None:
    assert {m.value for m in PaymentMethodCode} == {value for value, _label in METHOD_CHOICES}
    assert {m.value for m in ManualMethodCode} == {str(m) for m in MANUAL_METHODS}
    assert {s.value for s in InvoiceSort} == set(SORTS) | {f"-{k}" for k in SORTS}
    assert InvoiceStatus.OVERDUE.value == "overdue"


def test_the_description_says_money_is_a_string(client: Any, db: None) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    create = spec["paths"]["/api/v1/properties/{property_id}/invoices"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    amount = spec["components"]["schemas"][ref]["properties"]["amount"]
    assert amount["type"] == "string" and "pattern" in amount
    assert spec["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"/static/ninja/swagger-ui-bundle.js" in docs.content


def test_properties_list_takes_a_constant_number_of_queries(world: World, api_for: Any) -> None:
    from tests.factories import MembershipFactory, PropertyFactory

    user = world.users[Role.MANAGER]
    client = api_for(Role.MANAGER)
    client.get("/properties")
    with CaptureQueriesContext(connection) as small:
        client.get("/properties")
    for n in range(12):
        prop = PropertyFactory(name=f"Immeuble {n:02d}")
        MembershipFactory(user=user, property=prop, role=Role.BOARD)
        UnitFactory(property=prop)
    with CaptureQueriesContext(connection) as large:
        body = client.get("/properties", {"limit": 200}).json()
    assert body["count"] == 13 and {p["role"] for p in body["items"]} == {"manager", "board"}
    # token, COUNT, rows
    assert len(small.captured_queries) == len(large.captured_queries) == 3


def test_payments_list_gives_the_signed_amount_and_counts_credit_refunded_to_residents(
    world: World, manager_api: Any
) -> None:
    """Decision 0030: ``signed_amount`` is negative for money given back (``amount`` stays positive, as
    before); the Net is the money that moved, unit credit refunded by cheque included."""
    from logis.payments.credits import refund_credit
    from logis.payments.services import reverse_payment

    admin = world.users[Role.ADMIN]
    kept = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("300.00"))
    voided = open_invoice(world.prop, number=2, unit=world.unit, amount=Decimal("200.00"))

    def pay(invoice: Invoice, amount: str) -> Payment:
        return record_payment(
            property=world.prop,
            invoice_id=invoice.pk,
            actor=admin,
            amount=Decimal(amount),
            paid_on=_today(world),
            method="cheque",
        )

    first = pay(kept, "100.00")
    pay(voided, "60.00")
    reversal = reverse_payment(property=world.prop, payment_id=first.pk, actor=admin, reason="NSF")
    void_invoice(actor=admin, property=world.prop, invoice_id=voided.pk, reason="Erreur")
    refund_credit(
        property=world.prop,
        unit_id=world.unit.pk,
        amount=Decimal("60.00"),
        method="cheque",
        reason="Chq",
        actor=admin,
    )
    body = manager_api.get(f"/properties/{world.prop.pk}/payments").json()
    by_id = {p["id"]: p for p in body["items"]}
    assert by_id[reversal.pk]["amount"] == "100.00" and by_id[reversal.pk]["signed_amount"] == "-100.00"
    assert by_id[first.pk]["signed_amount"] == "100.00"
    assert body["totals"] == {
        "received": "160.00",
        "returned": "160.00",
        "net": "0.00",
        "credit_applied": "0.00",
        "credit_refunded": "60.00",
    }


def test_payments_by_offset_count_from_the_summary_rows_and_match_the_rows(
    world: World, manager_api: Any
) -> None:
    """By offset the « count » of a list filtered at most by kind, status and method comes from the summary
    rows (no COUNT over every payment, decision 0041); with a unit or dates, it is counted. Either way it is
    the number of rows the list holds."""
    admin = world.users[Role.ADMIN]
    for i, method in enumerate(["cheque", "cheque", "cash"]):
        invoice = open_invoice(world.prop, number=100 + i, unit=UnitFactory(property=world.prop))
        record_payment(
            property=world.prop,
            invoice_id=invoice.pk,
            actor=admin,
            amount=Decimal("10.00"),
            paid_on=_today(world),
            method=method,
        )
    url = f"/properties/{world.prop.pk}/payments"
    manager_api.get(url)  # the token's "last used" is written on its first request only
    cases: list[tuple[dict[str, str], int]] = [
        ({}, 3),
        ({"method": "cheque"}, 2),
        ({"method": "cash", "kind": PaymentKind.PAYMENT}, 1),
        ({"kind": PaymentKind.REVERSAL}, 0),
    ]
    for params, expected in cases:
        with CaptureQueriesContext(connection) as queries:
            body = manager_api.get(url, {**params, "limit": 1}).json()
        assert not any('"__count"' in q["sql"] for q in queries.captured_queries), params
        every = manager_api.get(url, {**params, "limit": 200}).json()["items"]
        assert body["count"] == expected == len(every), params
    dated = manager_api.get(url, {"date_to": (_today(world) - dt.timedelta(days=1)).isoformat()}).json()
    assert dated["count"] == 0 and dated["items"] == []
