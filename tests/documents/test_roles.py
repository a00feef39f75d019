"""Who may download an invoice's or a receipt's PDF on the manager side: every role on the property (the
board member too: reading is their role); nobody else (404), not even the unit's resident, whose way is
the portal; and nothing of another property through this one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.payments.services import record_payment
from tests.factories import InvoiceFactory, member
from tests.roles import ROLES, Case, World, check_case, nobody, readable


def _invoice(w: World) -> Invoice:
    if "invoice" not in w.extra:
        w.extra["invoice"] = InvoiceFactory(
            property=w.prop, unit=w.unit, number=1, status=InvoiceStatus.OPEN, amount=Decimal("100.00")
        )
    return w.extra["invoice"]


def _draft(w: World) -> Invoice:
    return InvoiceFactory(property=w.prop, unit=w.unit)


def _payment(w: World) -> Payment:
    invoice = _invoice(w)
    return record_payment(
        property=w.prop,
        invoice_id=invoice.pk,
        actor=member(w.prop, Role.TREASURER),
        amount=Decimal("10.00"),
        paid_on=today_in(w.prop.timezone),
        method="cash",
    )


def _other_invoice(w: World) -> Invoice:
    return InvoiceFactory(property=w.other_prop, unit=w.other_unit, number=1, status=InvoiceStatus.OPEN)


def _other_payment(w: World) -> Payment:
    invoice = _other_invoice(w)
    return record_payment(
        property=w.other_prop,
        invoice_id=invoice.pk,
        actor=member(w.other_prop, Role.MANAGER),
        amount=Decimal("10.00"),
        paid_on=today_in(w.other_prop.timezone),
        method="cash",
    )


CASES = [
    Case(
        "invoice pdf", "get", lambda w: reverse("invoicing:pdf", args=[w.prop.pk, _invoice(w).pk]), readable()
    ),
    Case("draft pdf", "get", lambda w: reverse("invoicing:pdf", args=[w.prop.pk, _draft(w).pk]), readable()),
    Case(
        "receipt pdf",
        "get",
        lambda w: reverse("payments:receipt_pdf", args=[w.prop.pk, _payment(w).pk]),
        readable(),
    ),
    Case(
        "another property's invoice pdf through this property",
        "get",
        lambda w: reverse("invoicing:pdf", args=[w.prop.pk, _other_invoice(w).pk]),
        nobody(),
    ),
    Case(
        "another property's receipt pdf through this property",
        "get",
        lambda w: reverse("payments:receipt_pdf", args=[w.prop.pk, _other_payment(w).pk]),
        nobody(),
    ),
    Case(
        "another property's invoice pdf",
        "get",
        lambda w: reverse("invoicing:pdf", args=[w.other_prop.pk, _other_invoice(w).pk]),
        nobody(),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_table(case: Case, role: str, world: World, client: Client) -> None:
    check_case(case, role, world, client)


def test_the_invoice_page_offers_the_pdf_and_a_receipt_per_payment_received(world: World) -> None:
    invoice = _invoice(world)
    payment = _payment(world)
    client = Client()
    client.force_login(world.users[Role.BOARD])
    page = client.get(reverse("invoicing:detail", args=[world.prop.pk, invoice.pk])).content.decode()
    assert (
        f'href="{reverse("invoicing:pdf", args=[world.prop.pk, invoice.pk])}" download>Télécharger le PDF'
        in page
    )
    receipt = reverse("payments:receipt_pdf", args=[world.prop.pk, payment.pk])
    assert f'href="{receipt}" download>PDF<span class="visually-hidden"> — reçu du paiement de 10,00' in page


def test_the_payments_page_links_each_payment_received_to_its_receipt_and_nothing_else(world: World) -> None:
    from logis.payments.services import reverse_payment

    payment = _payment(world)
    reversal = reverse_payment(
        property=world.prop, payment_id=payment.pk, actor=world.users[Role.ADMIN], reason="Erreur"
    )
    client = Client()
    client.force_login(world.users[Role.BOARD])
    page = client.get(reverse("payments:list", args=[world.prop.pk])).content.decode()
    assert reverse("payments:receipt_pdf", args=[world.prop.pk, payment.pk]) in page
    assert reverse("payments:receipt_pdf", args=[world.prop.pk, reversal.pk]) not in page
