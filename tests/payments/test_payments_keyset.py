"""The Paiements list pages by cursor: every payment once, newest date first, forward and back; a deep page
runs no COUNT and no OFFSET."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from typing import cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, UnitFactory

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r"/payments/(\d+)/receipt")


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="\?([^"]*)"[^>]*rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def test_next_and_previous_walk_every_payment_once_in_order(
    manager_client: Client, manager: User, prop: Property
) -> None:
    unit = cast(Unit, UnitFactory(property=prop, number="7"))
    invoice = cast(
        Invoice,
        InvoiceFactory(
            property=prop, unit=unit, amount=Decimal("5000.00"), status=InvoiceStatus.OPEN, number=1
        ),
    )
    day = dt.date(2026, 3, 1)
    Payment.objects.bulk_create(
        [
            Payment(
                property=prop,
                unit=unit,
                invoice=invoice,
                amount=Decimal("10.00"),
                paid_on=day + dt.timedelta(days=i % 4),  # ties on the date: the id decides
                method="cheque",
                reference=f"Réf-{i:03d}",
                recorded_by=manager,
            )
            for i in range(120)
        ]
    )
    expected = [p.reference for p in Payment.objects.filter(property=prop).order_by("-paid_on", "-id")]
    url = reverse("payments:list", args=[prop.pk])
    seen: list[str] = []
    query = ""
    queries = []
    while True:
        with CaptureQueriesContext(connection) as ctx:
            html = manager_client.get(f"{url}?{query}").content.decode()
        queries.append(" ".join(q["sql"] for q in ctx.captured_queries).upper())
        seen += re.findall(r"Réf-\d{3}", html)
        nxt = _link(html, "next")
        if nxt is None:
            break
        query = nxt
    assert seen == expected
    assert len(queries) == 3
    assert " OFFSET " not in queries[-1]
    last = manager_client.get(f"{url}?{query}").content.decode()
    prev = _link(last, "prev")
    assert prev is not None
    middle = manager_client.get(f"{url}?{prev}").content.decode()
    assert re.findall(r"Réf-\d{3}", middle) == expected[50:100]
    assert "Première page" in middle
