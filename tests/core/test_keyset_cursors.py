"""The lists' cursors are signed (``logis.core.keyset``): only a cursor this server wrote is read back.

Before they were signed, a cursor written by hand put any value into the query: a word where a date or an
id is compared, a number beyond the column's range, and the Factures and Paiements pages answered with a
server error (decision 0041). Now such a cursor shows the first page, as a damaged one always did."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from logis.core import keyset
from logis.invoicing import selectors as invoice_selectors
from logis.invoicing.forms import SORT_VALUES
from logis.invoicing.models import Invoice
from logis.payments.views import PAYMENT_ORDER
from logis.properties.models import Property
from tests.factories import InvoiceFactory, UnitFactory

pytestmark = pytest.mark.django_db

WRONG_VALUES: list[Any] = ["x", "2026-99-99", True, 10**30]


def _hand_made(order: keyset.Order, value: Any) -> str:
    """What a person can write: the JSON payload of a cursor, base64, without the server's signature."""
    payload = {"o": [f"-{n}" if d else n for n, d in order], "v": [value] * len(order)}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _ids(html: str) -> list[str]:
    return re.findall(r'id="invoice-(\d+)"', html)


@pytest.mark.parametrize("sort", sorted(SORT_VALUES))
def test_factures_ignores_a_hand_made_cursor_on_every_sort(
    manager_client: Client, prop: Property, sort: str
) -> None:
    unit = UnitFactory(property=prop)
    for _ in range(30):
        InvoiceFactory(property=prop, unit=unit)
    url = reverse("invoicing:list", args=[prop.pk])
    first = _ids(manager_client.get(url, {"sort": sort}).content.decode())
    assert len(first) == 25
    order = invoice_selectors.keyset_order(sort)
    for value in WRONG_VALUES:
        for side in ("after", "before"):
            response = manager_client.get(url, {"sort": sort, side: _hand_made(order, value)})
            assert response.status_code == 200, (sort, value, side)
            assert _ids(response.content.decode()) == first, (sort, value, side)


def test_paiements_ignores_a_hand_made_cursor(manager_client: Client, prop: Property) -> None:
    url = reverse("payments:list", args=[prop.pk])
    first = manager_client.get(url).content.decode()
    for value in WRONG_VALUES:
        for side in ("after", "before"):
            response = manager_client.get(url, {side: _hand_made(PAYMENT_ORDER, value)})
            assert response.status_code == 200, (value, side)
            assert response.content.decode().count("<tr") == first.count("<tr")


def test_a_cursor_the_server_wrote_is_read_back_and_a_retouched_one_is_not() -> None:
    order = [("title", False), ("id", False)]
    cursor = keyset.encode(order, Invoice(pk=7, title="Cotisation"))
    assert keyset.decode(order, cursor) == ["Cotisation", 7]
    payload, _dot, signature = cursor.rpartition(".")
    assert keyset.decode(order, payload) is None  # the signature removed
    retouched = _hand_made(order, "Cotisation")
    assert keyset.decode(order, f"{retouched}.{signature}") is None  # another payload, the same signature
