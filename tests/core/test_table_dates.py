"""Issue 14: tables showed « 05/12/2026 » in French and « 12/05/2026 » in English for the same day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from logis.core.dates import table_date
from logis.core.permissions import Role
from logis.payments.services import record_payment
from tests.factories import PropertyFactory, UnitFactory, member, open_invoice


def test_table_dates_cannot_be_misread_in_either_language() -> None:
    day = dt.date(2026, 12, 5)
    assert table_date(day, "fr") == "5 déc. 2026"
    assert table_date(day, "en") == "Dec. 5, 2026"
    assert table_date(dt.date(2026, 12, 1), "fr") == "1er déc. 2026"
    assert table_date(dt.date(2026, 5, 12), "en") == "May 12, 2026"
    with translation.override("fr"):
        assert table_date(None) == ""


@pytest.mark.parametrize(("language", "shown"), [("fr", "5 déc. 2026"), ("en", "Dec. 5, 2026")])
def test_payments_table_shows_the_day_unambiguously(db: None, language: str, shown: str) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER, language=language)
    invoice = open_invoice(prop, number=1, unit=UnitFactory(property=prop), amount=Decimal("50.00"))
    record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("10.00"),
        paid_on=dt.date(2026, 12, 5),
        method="cheque",
    )
    client = Client()
    client.force_login(manager)
    html = client.get(f"/p/{prop.pk}/payments/").content.decode()
    assert shown in html
    assert "05/12/2026" not in html and "12/05/2026" not in html and "2026-12-05<" not in html
