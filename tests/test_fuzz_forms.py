"""Every page of Logis (manager pages, settings, portal, statements, tokens…) and every API operation, sent
arbitrary values: huge strings, odd unicode, NUL bytes, far dates, negative and huge numbers, missing and
repeated fields. Whatever arrives, the answer is never a 500 (the test client re-raises any exception a
view lets out). The URL patterns are enumerated from the URLconf, so a new page is fuzzed without a line
here; each is requested as the person who may use it (an administrator, or the resident for the portal).
The API's schema conformance is schemathesis's (tests/api/test_schema_fuzz.py); here its bodies get the
same hostile values as the forms. Derandomized and bounded: a few seconds on SQLite."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logis.api.services import create_api_token
from logis.billing.batches import create_batch
from logis.billing.models import RecurringSchedule, ScheduleAmountMode, UnitScope
from logis.budgeting.assessments import create_special_assessment
from logis.budgeting.budget_reads import current_fiscal_year
from logis.budgeting.budgets import save_budget
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.finances.selectors import funds as finance_funds
from logis.payments.services import record_payment
from tests.factories import InvoiceFactory, open_invoice
from tests.roles import World, build_world

# --- What is requested ----------------------------------------------------------------------------


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            module = getattr(p.callback, "__module__", "")
            name = f"{namespace}:{p.name}" if namespace else str(p.name)
            yield prefix + str(p.pattern), name, module


# Logis's own pages; the API (its own test below), the Stripe webhook and the demo fake of Stripe (signed
# or off outside demo mode: their own tests) and the regex catch-all of /api/ are left out.
SKIPPED = {"stripe_webhook", "demo_stripe", ""}
ROUTES = sorted(
    {
        (route, name)
        for route, name, module in _routes(get_resolver().url_patterns)
        if module.startswith("logis.") and name not in SKIPPED and not route.startswith("^")
    }
)

# Values people (and attackers) type.
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "-0,01",
    "1e309",
    "NaN",
    "Infinity",
    "9" * 40,
    "-99999999999999999999",
    "1 234,56 $",
    "1,234.567",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "9999-12",
    "0000-00",
    "2027-13",
    "on",
    "true",
    "null",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202eevil",
    "🏠👩‍👩‍👧",
    "é" * 300,
    "x" * 100_000,
    str(uuid.uuid4()),
    "00000000-0000-0000-0000-000000000000",
    "all",
    "only",
    "except",
    "fixed",
    "budget",
    "same",
    "split",
    "cheque",
    "card",
    "fr",
    "en",
    "/",
    "//evil.example.com",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALUE = st.one_of(
    st.sampled_from(ODD),
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
)
GENERIC_FIELDS = [
    "amount",
    "title",
    "description",
    "due_date",
    "unit",
    "units",
    "unit_scope",
    "amount_mode",
    "reason",
    "method",
    "paid_on",
    "note",
    "reference",
    "token",
    "period",
    "paused",
    "invoice",
    "invoices",
    "q",
    "status",
    "sort",
    "page",
    "start",
    "end",
    "next",
    "language",
    "email",
    "name",
    "role",
]
NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


def _fields(client: Client, url: str) -> list[str]:
    """The names of the fields the page itself shows (its forms, its dialogs), then the usual ones."""
    response = client.get(url)
    html = (
        response.content.decode(errors="replace")
        if response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        else ""
    )
    found = NAME.findall(html)
    return sorted(set(found) - {"csrfmiddlewaretoken"}) + [f for f in GENERIC_FIELDS if f not in found]


# --- A property with one of everything -------------------------------------------------------------


def _world_with_everything() -> tuple[World, dict[str, Any]]:
    world = build_world()
    prop, admin = world.prop, world.users[Role.ADMIN]
    assert admin is not None
    today = today_in(prop.timezone)
    draft = InvoiceFactory(property=prop, unit=world.unit, due_date=today + dt.timedelta(days=30))
    opened = open_invoice(prop, number=1, unit=world.unit, amount=Decimal("300.00"))
    prop.next_invoice_number = 2
    prop.save(update_fields=["next_invoice_number"])
    payment = record_payment(
        property=prop,
        invoice_id=opened.pk,
        actor=admin,
        amount=Decimal("100.00"),
        paid_on=today,
        method="cheque",
    )
    batch = create_batch(
        actor=admin,
        property=prop,
        unit_scope=UnitScope.ALL,
        title="Cotisation spéciale",
        amount_mode="same",
        amount=Decimal("50.00"),
        due_date=today + dt.timedelta(days=20),
    )
    schedule = RecurringSchedule.objects.create(
        property=prop,
        title_pattern="Cotisations — {mois}",
        amount_mode=ScheduleAmountMode.FIXED,
        amount=Decimal("100.00"),
        day_of_month=1,
        start_month=today.replace(day=1),
        lead_days=10,
        unit_scope=UnitScope.ALL,
    )
    token = create_api_token(actor=admin, name="Fuzz")
    funds = {f.kind: f.pk for f in finance_funds(prop)}
    budget = save_budget(
        actor=admin,
        property=prop,
        fiscal_year=current_fiscal_year(prop) + 1,
        amounts={funds["operating"]: Decimal("1200.00"), funds["contingency"]: Decimal("120.00")},
    )
    assessment = create_special_assessment(
        actor=admin,
        property=prop,
        description="Toiture",
        total=Decimal("300.00"),
        split_rule="equal",
        instalment_count=2,
        first_due_date=today + dt.timedelta(days=10),
        category_id=None,
    )
    ids = {
        "property_id": prop.pk,
        "unit_id": world.unit.pk,
        "resident_id": world.resident.pk,
        "occupancy_id": world.occupancy.pk,
        "invoice_id": opened.pk,
        "draft_id": draft.pk,
        "payment_id": payment.pk,
        "batch_id": batch.pk,
        "schedule_id": schedule.pk,
        "budget_id": budget.pk,
        "assessment_id": assessment.pk,
        "token_id": token.token.pk,
        "statement_id": 1,
        "token": "not-a-real-invitation",
        "secret": token.secret,
    }
    return world, ids


def _url(route: str, ids: dict[str, Any], *, draft: bool) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name == "invoice_id" and draft:
            return str(ids["draft_id"])
        return str(ids.get(name, 1))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _client_for(route: str, world: World) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    if route.startswith("accounts/invitation/"):
        return client  # someone following an invitation link is not signed in
    user = world.users["resident" if "portal/" in route else Role.ADMIN]
    assert user is not None
    client.force_login(user)
    return client


FUZZ = settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _no_rate_limit_left_over() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _route, name in ROUTES])
@pytest.mark.django_db
def test_a_page_never_answers_500_whatever_is_sent(route: str, name: str) -> None:
    world, ids = _world_with_everything()
    client = _client_for(route, world)
    urls = {draft: _url(route, ids, draft=draft) for draft in (False, True)}
    fields = {draft: _fields(client, url) for draft, url in urls.items()}
    real = [str(v) for v in ids.values()]

    @FUZZ
    @given(
        method=st.sampled_from(["post", "post", "get"]),
        draft=st.booleans(),
        htmx=st.booleans(),
        data=st.data(),
    )
    def run(method: str, draft: bool, htmx: bool, data: st.DataObject) -> None:
        url, names = urls[draft], fields[draft]
        values = st.one_of(VALUE, st.sampled_from(real), st.lists(VALUE, min_size=2, max_size=3))
        sent = data.draw(st.dictionaries(st.sampled_from(names), values, max_size=len(names)))
        headers = {"HX-Request": "true"} if htmx else {}
        response = getattr(client, method)(url, sent, headers=headers)
        assert response.status_code < 500, (method, url, sent, response.status_code)

    run()


# --- The API: the same hostile values in every operation's body and query --------------------------

API_OPERATIONS = [
    ("get", "/properties"),
    ("get", "/properties/{property_id}/units"),
    ("get", "/properties/{property_id}/invoices"),
    ("get", "/properties/{property_id}/invoices/summary"),
    ("get", "/properties/{property_id}/invoices/{invoice_id}"),
    ("post", "/properties/{property_id}/invoices"),
    ("patch", "/properties/{property_id}/invoices/{draft_id}"),
    ("post", "/properties/{property_id}/invoices/{draft_id}/publish"),
    ("post", "/properties/{property_id}/invoices/{invoice_id}/void"),
    ("get", "/properties/{property_id}/payments"),
    ("get", "/properties/{property_id}/ledger/trial-balance"),
    ("get", "/properties/{property_id}/ledger/entries"),
    ("get", "/properties/{property_id}/ledger/accounts"),
    ("post", "/properties/{property_id}/invoices/{invoice_id}/payments"),
    ("post", "/properties/{property_id}/payments/{payment_id}/reverse"),
    ("post", "/properties/{property_id}/units/{unit_id}/remittances"),
    ("post", "/properties"),
    ("post", "/properties/{property_id}/imports"),
    ("post", "/properties/{property_id}/bank-statements"),
    ("post", "/properties/{property_id}/bank-statements/{statement_id}/confirm"),
    ("get", "/properties/{property_id}/autopay"),
]
API_FIELDS = [
    "lines",
    "unit",
    "title",
    "amount",
    "due_date",
    "description",
    "notify_resident",
    "reason",
    "paid_on",
    "method",
    "reference",
    "note",
    "limit",
    "offset",
    "cursor",
    "status",
    "search",
    "sort",
    "due_from",
    "due_to",
    "date_from",
    "date_to",
    "kind",
    "organization",
    "name",
    "legal_name",
    "neq",
    "address",
    "timezone",
    "language",
    "fiscal_year_start_month",
    "first_invoice_number",
    "dry_run",
    "file",
    "bank",
    "matches",
    "line",
    "invoice",
    "invoices",
    "payer",
]
JSON_VALUE = st.one_of(
    VALUE,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def test_the_api_schema_lists_the_operations_fuzzed_here(db: None) -> None:
    """A new API operation must be added above (its path with the ids it needs)."""
    from logis.api.main import api

    schema = api.get_openapi_schema()
    documented = {
        (method, path.removeprefix("/api/v1").replace("{invoice_id}", "{id}").replace("{draft_id}", "{id}"))
        for path, ops in schema["paths"].items()
        for method in ops
    }
    fuzzed = {(m, p.replace("{invoice_id}", "{id}").replace("{draft_id}", "{id}")) for m, p in API_OPERATIONS}
    assert documented <= fuzzed, documented - fuzzed


@pytest.mark.parametrize(("method", "path"), API_OPERATIONS, ids=[f"{m} {p}" for m, p in API_OPERATIONS])
@pytest.mark.django_db
def test_an_api_operation_never_answers_500_whatever_is_sent(method: str, path: str) -> None:
    _world, ids = _world_with_everything()
    url = "/api/v1" + path.format(**ids)
    headers = {"Authorization": f"Bearer {ids['secret']}", "Accept-Language": "fr"}

    @FUZZ
    @given(
        body=st.one_of(
            st.dictionaries(st.sampled_from(API_FIELDS), JSON_VALUE, max_size=8),
            JSON_VALUE,
        ),
        raw=st.sampled_from([None, "", "{", "\x00", "[]", '{"amount": 1e999}', "x" * 50_000]),
        query=st.dictionaries(st.sampled_from(API_FIELDS), VALUE, max_size=4),
        key=st.one_of(st.none(), TEXT, st.sampled_from(["x" * 1000, "\x00"])),
    )
    def run(body: Any, raw: str | None, query: dict[str, str], key: str | None) -> None:
        client = Client()
        extra = {**headers, **({"Idempotency-Key": key} if key is not None else {})}
        if method == "get":
            response = client.get(url, query, headers=extra)
        else:
            payload = raw if raw is not None else json.dumps(body)
            response = getattr(client, method)(url, payload, content_type="application/json", headers=extra)
        assert response.status_code < 500, (method, url, body, raw, response.status_code)

    run()
