"""The demo's fake of Stripe keeps its objects in the database: a session opened through one worker
process is served by any other (here: a second ``FakeStripe``, with no state of its own, as a second
gunicorn worker or the same one after a restart has), expires and is paid once."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from django.test import Client

from logis.payments import fake_stripe_demo
from logis.payments.fake_stripe import FakeStripe
from logis.payments.fake_stripe_store import DatabaseStore, FakeError
from logis.payments.models import FakeStripeObject
from logis.payments.stripe_gateway import DEMO_SECRET_KEY

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEMO_SECRET_KEY}"}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _demo(settings: Any, db: None) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_DEMO = True


def _restart(monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    """A new process: a fresh fake with nothing in memory, reading the same database."""
    fresh = FakeStripe(store=DatabaseStore())
    monkeypatch.setattr(fake_stripe_demo, "DEMO", fresh)
    return fresh


def _create(client: Client, key: str = "") -> Any:
    body = urllib.parse.urlencode(
        {
            "mode": "payment",
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "cad",
            "line_items[0][price_data][unit_amount]": "12550",
            "line_items[0][price_data][product_data][name]": "#7 Frais de condo",
            "success_url": "http://testserver/portal/?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://testserver/portal/",
        }
    )
    headers = {**AUTH, **({"HTTP_IDEMPOTENCY_KEY": key} if key else {})}
    return client.post("/demo-stripe/v1/checkout/sessions", body, content_type=FORM, **headers)


def test_a_session_opened_in_one_worker_is_served_by_another_and_after_a_restart(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = _create(client)
    assert created.status_code == 200
    session_id = created.json()["id"]
    assert FakeStripeObject.objects.filter(kind="session", object_id=session_id).exists()

    _restart(monkeypatch)
    retrieved = client.get(f"/demo-stripe/v1/checkout/sessions/{session_id}", **AUTH)
    assert retrieved.status_code == 200 and retrieved.json()["status"] == "open"
    page = client.get(f"/demo-stripe/pay/{session_id}")
    assert page.status_code == 200
    assert "125,50" in page.content.decode() or "125.50" in page.content.decode()

    # Paid through a third process: the charge and the event are found by the next one.
    _restart(monkeypatch).complete_session(session_id)
    fresh = _restart(monkeypatch)
    assert fresh.get_session(session_id)["status"] == "complete"
    assert fresh.charges[fresh.charge_of_session(session_id)]["status"] == "succeeded"
    assert fresh.last_event("checkout.session.completed")["data"]["object"]["id"] == session_id


def test_the_same_idempotency_key_in_two_workers_opens_one_session(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _create(client, key="logis-checkout-abc").json()
    _restart(monkeypatch)
    second = _create(client, key="logis-checkout-abc").json()
    assert first["id"] == second["id"]
    assert FakeStripeObject.objects.filter(kind="session").count() == 1


def test_a_session_expired_through_one_worker_cannot_be_paid_through_another(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _create(client).json()["id"]
    _restart(monkeypatch)
    expired = client.post(
        f"/demo-stripe/v1/checkout/sessions/{session_id}/expire", "", content_type=FORM, **AUTH
    )
    assert expired.status_code == 200 and expired.json()["status"] == "expired"
    again = client.post(
        f"/demo-stripe/v1/checkout/sessions/{session_id}/expire", "", content_type=FORM, **AUTH
    )
    assert again.status_code == 400  # as Stripe: only an open session can be expired

    _restart(monkeypatch)
    paid = client.post(f"/demo-stripe/pay/{session_id}", "method=card", content_type=FORM)
    assert paid.status_code == 303 and paid["Location"].endswith(f"/pay/{session_id}")  # nothing paid
    page = client.get(f"/demo-stripe/pay/{session_id}").content.decode()
    assert "no longer open" in page or "n&#x27;est plus ouverte" in page
    assert not FakeStripeObject.objects.filter(kind="charge").exists()


def test_a_session_is_paid_once_even_when_two_workers_take_the_click(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _create(client).json()["id"]
    first = FakeStripe(store=DatabaseStore())
    second = FakeStripe(store=DatabaseStore())
    first.complete_session(session_id)
    with pytest.raises(FakeError):
        second.complete_session(session_id)
    assert FakeStripeObject.objects.filter(kind="charge").count() == 1
