"""The OpenAPI description fuzzed by schemathesis against the app in-process (WSGI), with a valid token:
no 5xx whatever the input (valid or not), and every answer conforms to the schema (status code documented,
JSON body and headers as described). Deterministic (derandomized) and bounded so CI never flakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from logis.api.types import MAX_ID
from logis.core.permissions import Role
from logis.payments.services import record_payment
from tests.api.conftest import token_for
from tests.factories import InvoiceFactory, member, open_invoice
from tests.roles import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


# Loaded from the running app, as a client would (the description itself needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# The token is always sent (its absence is tested in test_tokens.py); unknown parameters are not
# generated (endpoints without parameters ignore them, as HTTP APIs do).
schema.config.generation.update(
    allow_extra_parameters=False, with_security_parameters=False, deterministic=True
)


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI app directly, so Django's request signals close "old" connections at
    the end of each request, and the test's transaction (not in autocommit) looks old: on PostgreSQL the
    next request would find its connection closed. Django's own test client disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world: World, _keep_the_test_connection: None, settings: Any) -> dict[str, Any]:
    """Real objects for generated ids to land on: a draft, an open invoice with a payment, a paid one.

    The per-token rate limit is lifted: past it every answer is a 429 and the fuzzing would stop reaching
    the services (tests/api/test_rate_limits.py proves the limit itself)."""
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    admin = world.users[Role.ADMIN]
    draft = InvoiceFactory(
        property=world.prop, unit=world.unit, due_date=dt.date.today() + dt.timedelta(days=30)
    )
    opened = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("300.00"))
    paid = open_invoice(
        world.prop, number=2, unit=world.unit, amount=Decimal("80.00"), amount_paid=Decimal("80.00")
    )
    world.prop.next_invoice_number = 3  # as publishing would have left it
    world.prop.save(update_fields=["next_invoice_number"])
    payment = record_payment(
        property=world.prop,
        invoice_id=opened.pk,
        actor=admin,
        amount=Decimal("100.00"),
        paid_on=dt.date.today() - dt.timedelta(days=1),
        method="cheque",
    )
    other_admin = member(world.other_prop, Role.ADMIN)
    return {
        "token": token_for(admin),
        "property_id": [world.prop.pk, world.other_prop.pk],
        "invoice_id": [draft.pk, opened.pk, paid.pk],
        "payment_id": [payment.pk],
        "unit_id": [world.unit.pk],
        "other_admin": other_admin,
    }


def _land_on_real_objects(case: Any, world: dict[str, Any]) -> None:
    """Half the valid generated ids become ids of real objects, so the fuzzing reaches the services
    and not only the 404 of an id nobody has."""
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        real = world.get(name)
        if real and isinstance(value, int) and 1 <= value <= MAX_ID and value % 2 == 1:
            params[name] = real[(value // 2) % len(real)]


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_answers_every_input_within_its_schema(case: Any, fuzz_world: dict[str, Any]) -> None:
    _land_on_real_objects(case, fuzz_world)
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_world['token']}"}, checks=CHECKS)
