"""The Paiements page (all payments of the property: method, invoice, unit, status, filters, totals in a
constant number of queries) and who may do what with payments (the role table)."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.payments.credits import apply_credit
from logis.payments.models import Payment
from logis.payments.services import record_payment, refund_payment, reverse_payment
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, UnitFactory, add_unit_credit, member
from tests.roles import ROLES, Case, World, check_case, members_may, nobody, readable

TODAY = timezone.localdate()
WRITERS = {Role.ADMIN, Role.MANAGER, Role.TREASURER}


def open_invoice(
    prop: Property, unit: Unit | None = None, amount: str = "100.00", number: int = 1
) -> Invoice:
    if unit is None:
        unit = cast(Unit, UnitFactory(property=prop, number=f"U{number}"))
    return InvoiceFactory(
        property=prop, unit=unit, amount=Decimal(amount), status=InvoiceStatus.OPEN, number=number
    )


def pay(prop, invoice, actor, amount: str, method: str = "cheque", reference: str = ""):  # type: ignore[no-untyped-def]
    return record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        paid_on=TODAY,
        method=method,
        reference=reference,
    )


def _admin(w: World):  # type: ignore[no-untyped-def]
    return w.users[Role.ADMIN]


def _paid(w: World) -> Payment:
    invoice = open_invoice(w.prop, w.unit, number=1)
    return pay(w.prop, invoice, _admin(w), "40.00")


def _credit_unit(w: World) -> Invoice:
    add_unit_credit(unit=w.unit, amount=Decimal("30.00"), reason="Trop-perçu")
    return open_invoice(w.prop, w.unit, number=2)


CASES = [
    Case("payments page", "get", lambda w: reverse("payments:list", args=[w.prop.pk]), readable()),
    Case(
        "record a payment",
        "post",
        lambda w: reverse("payments:record", args=[w.prop.pk, open_invoice(w.prop, w.unit).pk]),
        members_may(WRITERS),
        data=lambda w: {"amount": "10,00", "paid_on": TODAY.isoformat(), "method": "cheque"},
    ),
    Case(
        "reverse a payment",
        "post",
        lambda w: reverse("payments:reverse", args=[w.prop.pk, _paid(w).pk]),
        members_may(WRITERS),
        data=lambda w: {"reason": "Erreur"},
    ),
    Case(
        "refund a payment",
        "post",
        lambda w: reverse("payments:refund", args=[w.prop.pk, _paid(w).pk]),
        members_may(WRITERS),
        data=lambda w: {"amount": "10,00", "method": "cheque", "reason": "Trop payé"},
    ),
    Case(
        "apply the unit credit",
        "post",
        lambda w: reverse("payments:apply_credit", args=[w.prop.pk, w.unit.pk]),
        members_may(WRITERS),
        data=lambda w: {"invoice": str(_credit_unit(w).pk), "amount": "30,00"},
    ),
    Case(
        "refund the unit credit",
        "post",
        lambda w: reverse("payments:refund_credit", args=[w.prop.pk, _credit_unit(w).unit_id]),
        members_may(WRITERS),
        data=lambda w: {"amount": "30,00", "method": "cheque", "reason": "Départ"},
    ),
    Case(
        "refund a payment of another property",
        "post",
        lambda w: reverse(
            "payments:refund",
            args=[w.prop.pk, pay(w.other_prop, open_invoice(w.other_prop), member(w.other_prop), "5.00").pk],
        ),
        {**nobody(), Role.BOARD: 403},
        data=lambda w: {"amount": "5,00", "method": "cheque", "reason": "x"},
    ),
    Case(
        "apply credit of another property's unit",
        "post",
        lambda w: reverse("payments:apply_credit", args=[w.prop.pk, w.other_unit.pk]),
        {**nobody(), Role.BOARD: 403},
        data=lambda w: {"invoice": "1", "amount": "1"},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_table(case: Case, role: str, world: World) -> None:
    check_case(case, role, world)


def test_board_member_sees_payments_and_credit_but_no_action_buttons(world: World) -> None:
    invoice = open_invoice(world.prop, world.unit)
    pay(world.prop, invoice, _admin(world), "40.00")
    add_unit_credit(unit=world.unit, amount=Decimal("5.00"), reason="Trop-perçu")
    client = Client()
    client.force_login(world.users[Role.BOARD])
    detail = client.get(reverse("invoicing:detail", args=[world.prop.pk, invoice.pk])).content.decode()
    assert "Contrepasser" not in detail and "Rembourser" not in detail
    unit_page = client.get(
        reverse("properties:unit_detail", args=[world.prop.pk, world.unit.pk])
    ).content.decode()
    assert "Crédit au compte" in unit_page and "Appliquer le crédit" not in unit_page


def _page(client: Client, prop: Property, **params: str) -> str:
    return client.get(reverse("payments:list", args=[prop.pk]), params).content.decode().replace("\xa0", " ")


def _total(html: str, key: str) -> str:
    start = html.index(f'data-total="{key}"')
    return html[html.index(">", start) + 1 : html.index("<", start)].strip()


def test_payments_page_lists_method_invoice_unit_status_and_totals(prop, manager, manager_client) -> None:
    a = open_invoice(prop, amount="100.00", number=1)
    b = open_invoice(prop, amount="250.00", number=2)
    pay(prop, a, manager, "100.00", reference="Chèque 118")
    p = pay(prop, b, manager, "50.00", method="interac")
    pay(prop, b, manager, "25.00", method="cash")
    reverse_payment(property=prop, payment_id=p.pk, actor=manager, reason="erreur")
    html = _page(manager_client, prop)
    assert "Chèque 118" in html and "Virement Interac" in html and "Comptant" in html
    assert "U1" in html and "U2" in html and f"#{a.number}" in html
    assert "Réussi" in html or "Réussie" in html
    assert _total(html, "received") == "175,00 $"
    assert _total(html, "returned") == "−50,00 $"  # money out is negative (decision 0030)
    assert _total(html, "net") == "125,00 $"
    assert _total(html, "credit_applied") == "0,00 $"
    # The button is a verb: Django admin's « Filtre » (the noun) must not win over ours.
    assert ">Filtrer</button>" in html


def test_payments_page_filters_by_method_unit_kind_status_and_dates(prop, manager, manager_client) -> None:
    a = open_invoice(prop, amount="100.00", number=1)
    b = open_invoice(prop, amount="250.00", number=2)
    pay(prop, a, manager, "60.00")
    p = pay(prop, b, manager, "50.00", method="interac")
    reverse_payment(property=prop, payment_id=p.pk, actor=manager, reason="erreur")
    assert _total(_page(manager_client, prop, method="interac"), "net") == "0,00 $"
    assert _total(_page(manager_client, prop, unit=str(a.unit_id)), "received") == "60,00 $"
    assert _total(_page(manager_client, prop, kind="reversal"), "returned") == "−50,00 $"
    assert _total(_page(manager_client, prop, status="succeeded"), "net") == "60,00 $"
    later = (TODAY.replace(year=TODAY.year + 1)).isoformat()
    assert "Aucun paiement ne correspond" in _page(manager_client, prop, date_from=later)
    bad = _page(manager_client, prop, date_from="demain")
    assert "is-invalid" in bad or "Saisissez une date valide" in bad


def test_credit_applied_is_shown_apart_and_is_not_new_money(prop, manager, manager_client) -> None:
    unit = UnitFactory(property=prop, number="7")
    voided = open_invoice(prop, unit, "100.00", 1)
    pay(prop, voided, manager, "80.00")
    void_invoice(actor=manager, invoice_id=voided.pk, property=prop, reason="Doublon")
    target = open_invoice(prop, unit, "50.00", 2)
    apply_credit(property=prop, unit_id=unit.pk, invoice_id=target.pk, amount=Decimal("50.00"), actor=manager)
    html = _page(manager_client, prop)
    assert _total(html, "received") == "80,00 $"
    assert _total(html, "net") == "80,00 $"
    assert _total(html, "credit_applied") == "50,00 $"
    assert _total(html, "unit_credit") == "30,00 $"
    assert "Crédit au compte" in html
    assert _total(_page(manager_client, prop, method="credit"), "credit_applied") == "50,00 $"


def test_payments_page_in_english(prop, manager, manager_client) -> None:
    manager.language = "en"
    manager.save()
    pay(prop, open_invoice(prop, amount="1234.50"), manager, "1234.50")
    html = _page(manager_client, prop)
    assert "Payments" in html and "Received" in html and _total(html, "received") == "$1,234.50"


def test_payments_page_query_count_is_constant(
    prop, manager, manager_client, django_assert_num_queries
) -> None:
    unit = UnitFactory(property=prop, number="1")
    for n in range(3):
        pay(prop, open_invoice(prop, amount="10.00", number=n + 1), manager, "10.00")
    add_unit_credit(unit=unit, amount=Decimal("3.00"), reason="x")
    url = reverse("payments:list", args=[prop.pk])
    manager_client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        manager_client.get(url, {"method": "cheque"})
    n_few = len(few.captured_queries)  # now: every request start empties the query log
    for n in range(3, 60):
        invoice = open_invoice(prop, amount="10.00", number=n + 1)
        p = pay(prop, invoice, manager, "5.00", method="cash")
        if n % 3 == 0:
            refund_payment(
                property=prop,
                payment_id=p.pk,
                actor=manager,
                amount=Decimal("1.00"),
                reason="x",
                method="cash",
            )
    with django_assert_num_queries(n_few):
        response = manager_client.get(url, {"method": "cheque"})
    assert response.status_code == 200
    first = manager_client.get(url).content.decode()
    found = re.search(r'href="\?([^"]*)"[^>]*rel="next"', first)
    assert found is not None
    with django_assert_num_queries(n_few):
        response = manager_client.get(f"{url}?{unescape(found.group(1))}")
    # 3 + 57 payments + 19 refunds = 79 rows: 50 on page 1, 29 on the next (by cursor).
    assert response.content.decode().count('<td class="amount">') == 29


def test_unit_page_query_count_does_not_grow_with_credit_entries(
    prop, manager, manager_client, django_assert_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    unit = UnitFactory(property=prop, number="9")
    url = reverse("properties:unit_detail", args=[prop.pk, unit.pk])
    add_unit_credit(unit=unit, amount=Decimal("1.00"), reason="x", invoice=open_invoice(prop, unit, number=1))
    manager_client.get(url)
    with CaptureQueriesContext(connection) as few:
        manager_client.get(url)
    for n in range(2, 15):
        add_unit_credit(
            unit=unit, amount=Decimal("1.00"), reason="x", invoice=open_invoice(prop, unit, number=n)
        )
    with django_assert_num_queries(len(few.captured_queries)):
        manager_client.get(url)
