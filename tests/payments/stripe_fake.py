"""Test helpers for online payments: the local fake of Stripe served on 127.0.0.1 in a thread (the SDK
makes real HTTP calls to it), webhook requests signed exactly as Stripe signs them, and a resident
with an open invoice to pay.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.test import Client

from logis.accounts.models import User
from logis.invoicing.models import Invoice
from logis.payments.fake_stripe import FakeStripe
from logis.payments.stripe_gateway import sign_payload
from logis.properties.models import Property
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, UserFactory, open_invoice

SECRET_KEY = "sk_test_logis_tests"  # the fake's key
WEBHOOK_SECRET = "whsec_logis_tests"  # the fake's signing secret
WEBHOOK_PATH = "/stripe/webhook/"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class RunningFake:
    fake: FakeStripe
    url: str


@pytest.fixture(name="stripe_fake")
def stripe_fake_fixture(settings: Any) -> Iterator[RunningFake]:
    """A FakeStripe on 127.0.0.1:<free port>, with Logis configured as with real Stripe keys."""
    fake = FakeStripe(webhook_secret=WEBHOOK_SECRET)
    server = make_server("127.0.0.1", 0, fake, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = url
    try:
        yield RunningFake(fake, url)
    finally:
        server.shutdown()
        server.server_close()


def signature(body: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """``Stripe-Signature: t=…,v1=…``: HMAC-SHA256 of f"{t}.{raw_body}" with the webhook secret."""
    return sign_payload(body, secret, timestamp=int(time.time()) if timestamp is None else timestamp)


def post_event(
    client: Client,
    event: dict[str, Any] | str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    header: str | None = None,
) -> Any:
    """POST an event to the webhook as Stripe does (raw JSON body, signed header)."""
    body = event if isinstance(event, str) else json.dumps(event)
    sig = header if header is not None else signature(body, secret=secret, timestamp=timestamp)
    return client.post(WEBHOOK_PATH, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sig)


@dataclass
class Payer:
    user: User
    invoice: Invoice


def payer(
    prop: Property,
    *,
    amount: Decimal = Decimal("125.50"),
    number: int = 1,
    email: str = "marie@example.com",
    language: str = "fr",
) -> Payer:
    """A resident with a portal login, primary on a unit that has an open invoice of ``amount``."""
    user = UserFactory(email=email, language=language)
    unit = UnitFactory(property=prop, number=f"{100 + number}")
    resident = ResidentFactory(
        property=prop, name="Marie Tremblay", email=email, user=user, language=language
    )
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    invoice = open_invoice(prop, number=number, amount=amount, unit=unit, title="Frais de condo")
    return Payer(user, invoice)
