"""The API's lists page by cursor (decision 0034): walking ``next_cursor`` from ``cursor=`` reads every
row exactly once, in the order of the sort (the order offset paging gives), back again by
``previous_cursor``; rows added between two pages never repeat one; each page costs the same queries
whatever its depth, with no COUNT and no OFFSET; a cursor the list did not give is refused with a message
in the caller's language; ``limit``/``offset`` keep working, with their ``count``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logis.api.invoice_schemas import InvoiceSort
from logis.api.main import api
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from logis.payments.models import Payment
from logis.payments.services import record_payment
from logis.properties.models import Property, Unit
from tests.api.conftest import ApiClient, token_for
from tests.factories import (
    InvoiceFactory,
    MembershipFactory,
    PropertyFactory,
    UnitFactory,
    member,
    open_invoice,
)
from tests.roles import World

pytestmark = pytest.mark.django_db

SORTS = [s.value for s in InvoiceSort]


def _walk(
    client: ApiClient, path: str, params: dict[str, Any], *, limit: int, backward_from_end: bool = False
) -> tuple[list[int], list[dict[str, Any]]]:
    """Ids of every row from ``cursor=`` following ``next_cursor``, and the answers."""
    ids: list[int] = []
    answers: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(500):
        response = client.get(path, {**params, "limit": limit, "cursor": cursor})
        assert response.status_code == 200, response.json()
        body = response.json()
        answers.append(body)
        ids += [row["id"] for row in body["items"]]
        if body["next_cursor"] is None:
            return ids, answers
        cursor = body["next_cursor"]
    raise AssertionError("the walk does not end")


def _walk_back(
    client: ApiClient, path: str, params: dict[str, Any], last: dict[str, Any], limit: int
) -> list[int]:
    """From the last page, every row before it by ``previous_cursor``: the list in reverse."""
    ids = [row["id"] for row in reversed(last["items"])]
    cursor = last["previous_cursor"]
    while cursor is not None:
        body = client.get(path, {**params, "limit": limit, "cursor": cursor}).json()
        ids += [row["id"] for row in reversed(body["items"])]
        cursor = body["previous_cursor"]
    return ids


def _by_offset(client: ApiClient, path: str, params: dict[str, Any]) -> list[int]:
    body = client.get(path, {**params, "limit": 200}).json()
    assert body["count"] == len(body["items"])
    return [row["id"] for row in body["items"]]


def _invoices(prop: Property, units: list[Unit], rows: list[tuple[int, int, int, int, int]]) -> None:
    """Invoices of many ties: (unit, state, amount, due day, title) each from a handful of values."""
    now = timezone.now()
    for i, (unit, state, amount, due, title) in enumerate(rows):
        kwargs: dict[str, Any] = {
            "unit": units[unit],
            "title": f"Facture {title}",
            "amount": Decimal(100 + amount),
            "due_date": dt.date(2026, 1, 1 + due),
        }
        if state == 0:
            inv = cast(Invoice, InvoiceFactory(property=prop, **kwargs))
        else:
            paid = {1: Decimal("0.00"), 2: Decimal("50.00"), 3: kwargs["amount"]}[state]
            inv = open_invoice(prop, number=i + 1, amount_paid=paid, **kwargs)
        # Creation instants in groups: the id must break the ties.
        Invoice.objects.filter(pk=inv.pk).update(created_at=now - dt.timedelta(minutes=i // 3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2), st.integers(0, 3), st.integers(0, 2), st.integers(0, 3), st.integers(0, 2)
        ),
        max_size=14,
    ),
    sort=st.sampled_from(SORTS),
    limit=st.integers(1, 5),
    status=st.sampled_from(["", "open", "overdue", "draft"]),
)
def test_walking_invoices_by_cursor_reads_every_row_once_in_the_order_of_the_sort(
    db: None, rows: list[tuple[int, int, int, int, int]], sort: str, limit: int, status: str
) -> None:
    prop = PropertyFactory()
    units = [UnitFactory(property=prop, number=n) for n in ("2", "10", "101")]
    _invoices(prop, units, rows)
    client = ApiClient(token_for(member(prop, Role.MANAGER)))
    path = f"/properties/{prop.pk}/invoices"
    params = {"sort": sort, **({"status": status} if status else {})}
    ids, answers = _walk(client, path, params, limit=limit)
    assert ids == _by_offset(client, path, params)
    assert len(ids) == len(set(ids))
    assert all(a["count"] is None and a["offset"] is None for a in answers)
    assert answers[0]["previous_cursor"] is None
    assert _walk_back(client, path, params, answers[-1], limit) == ids[::-1]


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_by_cursor_forward_and_back(world: World, sort: str) -> None:
    units = [world.unit, *(UnitFactory(property=world.prop, number=n) for n in ("2", "PH-1"))]
    _invoices(world.prop, units, [(i % 3, i % 4, i % 2, i % 4, i % 3) for i in range(17)])
    client = ApiClient(token_for(world.users[Role.MANAGER]))  # type: ignore[arg-type]
    path = f"/properties/{world.prop.pk}/invoices"
    ids, answers = _walk(client, path, {"sort": sort}, limit=4)
    assert ids == _by_offset(client, path, {"sort": sort}) and len(ids) == 17
    assert _walk_back(client, path, {"sort": sort}, answers[-1], 4) == ids[::-1]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payments=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=12),
    limit=st.integers(1, 4),
)
def test_walking_payments_by_cursor_reads_every_row_once_newest_first(
    db: None, payments: list[tuple[int, int]], limit: int
) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    unit = UnitFactory(property=prop, number="1")
    today = today_in(prop.timezone)
    for i, (days_ago, dollars) in enumerate(payments):
        invoice = open_invoice(prop, number=i + 1, unit=unit, amount=Decimal("10.00"))
        record_payment(
            actor=manager, property=prop, invoice_id=invoice.pk, amount=Decimal(dollars),
            paid_on=today - dt.timedelta(days=days_ago), method="cheque",
        )  # fmt: skip
    client = ApiClient(token_for(manager))
    path = f"/properties/{prop.pk}/payments"
    ids, answers = _walk(client, path, {}, limit=limit)
    expected = list(
        Payment.objects.filter(property_id=prop.pk).order_by("-paid_on", "-id").values_list("pk", flat=True)
    )
    assert ids == expected == _by_offset(client, path, {})
    assert all("totals" in a for a in answers)
    assert _walk_back(client, path, {}, answers[-1], limit) == ids[::-1]


def test_units_properties_and_journal_page_by_cursor(world: World) -> None:
    admin = world.users[Role.ADMIN]
    assert admin is not None
    for n in ("10", "2", "PH-2", "PH-10", "3"):
        UnitFactory(property=world.prop, number=n)
    for name in ("Zénith", "Alpha", "Alpha"):
        MembershipFactory(property=PropertyFactory(name=name), user=admin, role=Role.ADMIN)
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("90.00"))
    for _ in range(3):
        record_payment(
            actor=admin, property=world.prop, invoice_id=invoice.pk, amount=Decimal("10.00"),
            paid_on=today_in(world.prop.timezone), method="cash",
        )  # fmt: skip
    client = ApiClient(token_for(admin))
    for path in (
        f"/properties/{world.prop.pk}/units",
        "/properties",
        f"/properties/{world.prop.pk}/ledger/entries",
    ):
        ids, answers = _walk(client, path, {}, limit=2)
        assert ids == _by_offset(client, path, {}) and len(ids) >= 3, path
        assert _walk_back(client, path, {}, answers[-1], 2) == ids[::-1], path


def test_rows_added_between_pages_are_not_read_twice(world: World) -> None:
    client = ApiClient(token_for(world.users[Role.MANAGER]))  # type: ignore[arg-type]
    path = f"/properties/{world.prop.pk}/invoices"
    before = [
        InvoiceFactory(property=world.prop, unit=world.unit, due_date=dt.date(2030, 1, 1 + i))
        for i in range(9)
    ]
    for sort in ("-created", "due"):
        seen: list[int] = []
        body = client.get(path, {"sort": sort, "limit": 3, "cursor": ""}).json()
        seen += [row["id"] for row in body["items"]]
        # Newer than everything (first by -created) and due before and after the rows already read.
        for day in (1, 2, 20):
            InvoiceFactory(property=world.prop, unit=world.unit, due_date=dt.date(2030, 1, day))
        while body["next_cursor"]:
            body = client.get(path, {"sort": sort, "limit": 3, "cursor": body["next_cursor"]}).json()
            seen += [row["id"] for row in body["items"]]
        assert len(seen) == len(set(seen)), sort
        assert {i.pk for i in before} <= set(seen), sort


def _queries(client: ApiClient, path: str, params: dict[str, Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.json()
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize(
    ("path", "sort"),
    [("invoices", "-created"), ("invoices", "number"), ("invoices", "-balance"), ("payments", None)],
)
def test_a_page_by_cursor_costs_the_same_queries_at_any_depth(
    world: World, path: str, sort: str | None
) -> None:
    manager = world.users[Role.MANAGER]
    assert manager is not None
    today = today_in(world.prop.timezone)
    for n in range(40):
        invoice = open_invoice(world.prop, number=n + 1, unit=world.unit, amount=Decimal("20.00"))
        record_payment(
            actor=manager, property=world.prop, invoice_id=invoice.pk, amount=Decimal("5.00"),
            paid_on=today, method="cash",
        )  # fmt: skip
    client = ApiClient(token_for(manager))
    url = f"/properties/{world.prop.pk}/{path}"
    params = {"sort": sort} if sort else {}
    client.get(url)  # the token's "last used" is written on its first request only
    first = _queries(client, url, {**params, "limit": 3, "cursor": ""})
    cursor = ""
    for _ in range(10):
        cursor = client.get(url, {**params, "limit": 3, "cursor": cursor}).json()["next_cursor"]
    deep = _queries(client, url, {**params, "limit": 3, "cursor": cursor})
    back = _queries(
        client,
        url,
        {
            **params,
            "limit": 3,
            "cursor": client.get(url, {**params, "limit": 3, "cursor": cursor}).json()["previous_cursor"],
        },
    )
    assert len(first) == len(deep) == len(back)
    for sql in first + deep + back:
        assert '"__count"' not in sql, sql  # Django's queryset.count()
        assert " OFFSET " not in sql.upper(), sql
    # By offset the answer keeps its COUNT (backward compatible).
    by_offset = client.get(url, {**params, "limit": 3, "offset": 30}).json()
    assert by_offset["count"] == 40 and by_offset["offset"] == 30 and by_offset["next_cursor"]


def test_offset_pages_give_cursors_to_switch_to(world: World) -> None:
    made = [InvoiceFactory(property=world.prop, unit=world.unit) for _ in range(7)]
    client = ApiClient(token_for(world.users[Role.MANAGER]))  # type: ignore[arg-type]
    path = f"/properties/{world.prop.pk}/invoices"
    middle = client.get(path, {"sort": "created", "limit": 3, "offset": 3}).json()
    assert [i["id"] for i in middle["items"]] == [i.pk for i in made[3:6]] and middle["count"] == 7
    after = client.get(path, {"sort": "created", "limit": 3, "cursor": middle["next_cursor"]}).json()
    before = client.get(path, {"sort": "created", "limit": 3, "cursor": middle["previous_cursor"]}).json()
    assert [i["id"] for i in after["items"]] == [made[6].pk] and after["next_cursor"] is None
    assert [i["id"] for i in before["items"]] == [i.pk for i in made[:3]] and before[
        "previous_cursor"
    ] is None
    last = client.get(path, {"sort": "created", "limit": 3, "offset": 6}).json()
    assert last["next_cursor"] is None and last["previous_cursor"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Ce curseur n'a pas été donné par cette liste avec ce tri"),
        ("en", "This cursor was not given by this list with this sort"),
    ],
)
def test_a_cursor_the_list_did_not_give_is_refused_with_a_message(
    world: World, language: str, message: str
) -> None:
    for _ in range(3):
        InvoiceFactory(property=world.prop, unit=world.unit)
    open_invoice(world.prop, number=9, unit=world.unit)
    manager = world.users[Role.MANAGER]
    assert manager is not None
    record_payment(
        actor=manager, property=world.prop, invoice_id=Invoice.objects.get(number=9).pk,
        amount=Decimal("1.00"), paid_on=today_in(world.prop.timezone), method="cash",
    )  # fmt: skip
    client = ApiClient(token_for(manager), language)
    path = f"/properties/{world.prop.pk}/invoices"
    good = client.get(path, {"limit": 1, "cursor": "", "sort": "title"}).json()["next_cursor"]
    payments = client.get(f"/properties/{world.prop.pk}/payments", {"limit": 1, "offset": 0}).json()
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for params in (
        {"cursor": "garbage", "sort": "title"},
        {"cursor": forged, "sort": "title"},
        {"cursor": good, "sort": "amount"},  # another sort
        {"cursor": good, "sort": "-title"},  # the same sort the other way
        {"cursor": "x" * 3000},
    ):
        response = client.get(path, params)
        assert response.status_code == 422, params
        assert list(response.json()["errors"]) == ["cursor"]
        if len(params["cursor"]) < 3000:
            assert response.json()["errors"]["cursor"][0].startswith(message), params
    unit_cursor = client.get(f"/properties/{world.prop.pk}/units", {"limit": 1, "cursor": ""}).json()
    assert client.get(path, {"cursor": unit_cursor["next_cursor"] or good}).status_code == 422
    assert payments["items"]
    both = client.get(path, {"cursor": "", "offset": 0})
    assert both.status_code == 422 and list(both.json()["errors"]) == ["offset"]


def test_the_description_documents_cursor_paging_on_every_list() -> None:
    schema = api.get_openapi_schema()
    lists = [
        (path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method == "get" and any(p["name"] == "offset" for p in op.get("parameters", []))
    ]
    assert sorted(path for path, _op in lists) == [
        "/api/v1/properties",
        "/api/v1/properties/{property_id}/autopay",
        "/api/v1/properties/{property_id}/invoices",
        "/api/v1/properties/{property_id}/ledger/entries",
        "/api/v1/properties/{property_id}/payments",
        "/api/v1/properties/{property_id}/units",
    ]
    for path, op in lists:
        names = {p["name"] for p in op["parameters"]}
        assert {"cursor", "limit", "offset"} <= names, path
        ref = op["responses"][200]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        fields = schema["components"]["schemas"][ref]["properties"]
        assert {"next_cursor", "previous_cursor", "count", "items"} <= set(fields), path


def test_invoices_by_offset_count_from_the_summary_rows_and_match_the_rows(world: World) -> None:
    """By offset the invoices answer keeps its « count », read from the summary rows when only the status
    is filtered (no COUNT over every invoice, decision 0041); with any other filter, counted. Either way it
    is the number of rows the list walks."""
    today = today_in(world.prop.timezone)
    for i in range(3):
        open_invoice(world.prop, number=10 + i, unit=world.unit, due_date=today - dt.timedelta(days=i + 1))
    open_invoice(world.prop, number=20, unit=world.unit, due_date=today + dt.timedelta(days=9))
    InvoiceFactory(property=world.prop, unit=world.unit)  # a draft
    client = ApiClient(token_for(world.users[Role.MANAGER]))  # type: ignore[arg-type]
    path = f"/properties/{world.prop.pk}/invoices"
    client.get(path)  # the token's "last used" is written on its first request only
    for status, expected in [(None, 5), ("overdue", 3), ("open", 1), ("draft", 1), ("paid", 0)]:
        params: dict[str, Any] = {"limit": 2, **({"status": status} if status else {})}
        sql = _queries(client, path, params)
        assert not any('"__count"' in q for q in sql), (status, sql)
        body = client.get(path, params).json()
        assert body["count"] == expected == len(_by_offset(client, path, params)), status
    searched = client.get(path, {"limit": 2, "search": "zzz-nothing"}).json()
    assert searched["count"] == 0 and searched["items"] == []
