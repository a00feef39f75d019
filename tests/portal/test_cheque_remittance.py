"""Issue 11: a resident pays several invoices with one cheque, the manager records it once (decision
0032), and in the portal each invoice's « Reçu » opens the one receipt that lists every invoice paid and
how the cheque was applied (art. 1569–1572) — French first with the English beside for an English
reader of a Quebec property (s. 57)."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.payments.remittances import record_remittance
from logis.properties.models import Property, Unit
from tests.factories import member, open_invoice

pytestmark = pytest.mark.django_db


def _cheque_for_two(prop: Property, unit: Unit):  # type: ignore[no-untyped-def]
    today = today_in(prop.timezone)
    older = open_invoice(prop, number=1, unit=unit, amount=Decimal("100.00"), title="Frais d’octobre",
                         due_date=today - dt.timedelta(days=30))  # fmt: skip
    newer = open_invoice(prop, number=2, unit=unit, amount=Decimal("200.00"), title="Frais de novembre",
                         due_date=today + dt.timedelta(days=5))  # fmt: skip
    remittance = record_remittance(
        property=prop, unit_id=unit.pk, actor=member(prop, Role.TREASURER), amount=Decimal("250.00"),
        paid_on=today, method="cheque", reference="Chèque 412",
    )  # fmt: skip
    return older, newer, remittance


def test_each_invoice_links_to_the_one_receipt_that_shows_the_imputation(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    older, newer, remittance = _cheque_for_two(prop, unit)
    receipt = reverse("portal:remittance", args=[remittance.pk])
    for invoice in (older, newer):
        page = html.unescape(
            resident_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
        )
        assert f'href="{receipt}"' in page, invoice.title
    page = html.unescape(resident_client.get(receipt).content.decode())
    assert "Frais d’octobre" in page and "Frais de novembre" in page
    assert "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens." in page
    assert "100,00" in page and "150,00" in page


def test_an_english_reader_of_a_quebec_property_reads_it_french_first(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    _older, _newer, remittance = _cheque_for_two(prop, unit)
    resident_client.post(reverse("switch_language"), {"language": "en", "next": "/portal/"})
    page = html.unescape(
        resident_client.get(reverse("portal:remittance", args=[remittance.pk])).content.decode()
    )
    assert page.index("Imputé d'abord") < page.index("Applied first to late fees and interest")
