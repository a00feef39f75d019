"""The Factures list pages by cursor (keyset): every invoice once, in the order of the sort, forward and
back, whatever the depth; no COUNT and no OFFSET in the page's SQL."""

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
from django.utils import timezone

from logis.core import keyset
from logis.invoicing import selectors
from logis.invoicing.forms import SORT_VALUES
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property
from tests.factories import InvoiceFactory, UnitFactory, open_invoice

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr id="invoice-(\d+)">')


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="\?([^"]*)"[^>]*rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def _many(prop: Property, n: int) -> list[Invoice]:
    """Invoices with many ties (same amounts, titles, due dates, creation instants) to test the order."""
    units = [UnitFactory(property=prop, number=str(i)) for i in (2, 10, 101)]
    now = timezone.now()
    made: list[Invoice] = []
    for i in range(n):
        kwargs = {"unit": units[i % 3], "title": f"Facture {i % 4}", "due_date": dt.date(2026, 1, 1 + i % 5)}
        inv: Invoice
        if i % 3 == 0:
            inv = cast(Invoice, InvoiceFactory(property=prop, amount=Decimal(100 + i % 2), **kwargs))
        else:
            paid = Decimal("50.00") if i % 3 == 1 else Decimal("0.00")
            inv = open_invoice(prop, number=i + 1, amount=Decimal(100 + i % 2), amount_paid=paid, **kwargs)
        made.append(inv)
    # Same creation instant for groups of 7: the id must break the ties.
    for inv in made:
        Invoice.objects.filter(pk=inv.pk).update(created_at=now - dt.timedelta(minutes=inv.pk // 7))
    return made


def _walk(client: Client, url: str, query: str) -> tuple[list[int], list[str]]:
    """Every row id following the Next links from the first page, and the pages' queries."""
    ids: list[int] = []
    pages = []
    while True:
        html = client.get(f"{url}?{query}").content.decode()
        pages.append(query)
        ids += [int(x) for x in ROW.findall(html)]
        nxt = _link(html, "next")
        if nxt is None:
            return ids, pages
        query = nxt


@pytest.mark.parametrize("sort", sorted(SORT_VALUES))
def test_following_next_lists_every_invoice_once_in_the_sorts_order_and_previous_goes_back(
    manager_client: Client, prop: Property, sort: str
) -> None:
    _many(prop, 60)
    today = timezone.localdate()
    expected = [inv.pk for inv in selectors.invoice_list(prop, today, selectors.InvoiceFilters(sort=sort))]
    url = reverse("invoicing:list", args=[prop.pk])
    ids, pages = _walk(manager_client, url, f"sort={sort}")
    assert ids == expected and len(pages) == 3
    # Back from the last page: the second page again, then the first.
    last = manager_client.get(f"{url}?{pages[-1]}").content.decode()
    prev = _link(last, "prev")
    assert prev is not None
    second = manager_client.get(f"{url}?{prev}").content.decode()
    assert [int(x) for x in ROW.findall(second)] == expected[25:50]
    first = manager_client.get(f"{url}?{_link(second, 'prev')}").content.decode()
    assert [int(x) for x in ROW.findall(first)] == expected[:25]
    assert _link(first, "prev") is None


def test_a_damaged_or_foreign_cursor_shows_the_first_page(manager_client: Client, prop: Property) -> None:
    _many(prop, 30)
    url = reverse("invoicing:list", args=[prop.pk])
    first = ROW.findall(manager_client.get(url).content.decode())
    for cursor in ("!!", "eyJvIjpbXX0", "x" * 3000, keyset.encode([("title", False)], Invoice(title="a"))):
        response = manager_client.get(url, {"after": cursor, "before": cursor})
        assert response.status_code == 200
        assert ROW.findall(response.content.decode()) == first


def test_a_deep_page_reads_no_count_and_no_offset(manager_client: Client, prop: Property) -> None:
    _many(prop, 60)
    url = reverse("invoicing:list", args=[prop.pk])
    html = manager_client.get(url, {"q": "Facture"}).content.decode()
    nxt = _link(html, "next")
    assert nxt is not None
    with CaptureQueriesContext(connection) as ctx:
        assert manager_client.get(f"{url}?{nxt}").status_code == 200
    sql = " ".join(q["sql"] for q in ctx.captured_queries).upper()
    assert "COUNT(*)" not in sql.replace("COUNT(*) FILTER", "")
    assert " OFFSET " not in sql


def test_the_total_shows_when_the_cards_already_know_it(manager_client: Client, prop: Property) -> None:
    _many(prop, 30)
    url = reverse("invoicing:list", args=[prop.pk])
    html = manager_client.get(url, {"status": InvoiceStatus.DRAFT}).content.decode()
    assert re.search(r'id="invoices-count">\s*10 factures', html)
    html = manager_client.get(url, {"q": "Facture 1"}).content.decode()
    assert 'id="invoices-count"' not in html
