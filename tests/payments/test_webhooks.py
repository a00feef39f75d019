"""The Stripe webhook: payloads signed exactly as Stripe signs them (``Stripe-Signature: t=…,v1=…``,
HMAC-SHA256 of f"{t}.{raw_body}"), events produced by the local fake of Stripe. A bad or stale signature
records nothing; each event counts once; what does not match never becomes a payment; never a 500."""

from __future__ import annotations

import copy
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from logis.core.models import AuditEvent
from logis.invoicing.models import InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments import online
from logis.payments.models import CheckoutSession, Payment, WebhookEvent
from logis.properties.models import Property
from tests.factories import PropertyFactory
from tests.payments.stripe_fake import (  # noqa: F401 - stripe_fake is a fixture
    WEBHOOK_PATH,
    Payer,
    RunningFake,
    payer,
    post_event,
    signature,
    stripe_fake_fixture,
)


@pytest.fixture
def building(db: None) -> Property:
    return PropertyFactory(name="Les Jardins du Parc", accepted_methods=["card", "acss_debit"])


def _completed_event(p: Payer, fake: RunningFake, method: str = "card") -> dict[str, Any]:
    url = online.start_checkout(
        invoice_id=p.invoice.pk,
        user=p.user,
        success_url="http://testserver/portal/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/portal/",
    )
    return fake.fake.complete_session(url.rsplit("/", 1)[1], method=method)


def test_a_completed_checkout_records_the_payment_marks_the_invoice_paid_and_queues_the_receipt(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building, amount=Decimal("99.99"))
    response = post_event(client, _completed_event(p, stripe_fake))
    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    payment = Payment.objects.get()
    assert (payment.status, payment.method, payment.amount) == ("succeeded", "card", Decimal("99.99"))
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID
    assert EmailMessage.objects.filter(kind="payment_receipt", to_email="marie@example.com").count() == 1


def test_the_same_event_delivered_twice_records_one_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    event = _completed_event(p, stripe_fake)
    assert post_event(client, event).json()["outcome"] == "processed"
    replay = post_event(client, event)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert Payment.objects.count() == 1
    assert WebhookEvent.objects.count() == 1
    assert EmailMessage.objects.filter(kind="payment_receipt").count() == 1


def test_two_events_for_one_session_record_one_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    event = _completed_event(p, stripe_fake)
    again = {**copy.deepcopy(event), "id": event["id"] + "_2"}
    assert post_event(client, event).status_code == 200
    assert post_event(client, again).status_code == 200
    online.sync_checkout_session(session_id=event["data"]["object"]["id"])  # and the payer's return
    assert Payment.objects.count() == 1
    p.invoice.refresh_from_db()
    assert p.invoice.amount_paid == p.invoice.amount


@pytest.mark.parametrize(
    "how",
    [
        "wrong secret",
        "no header",
        "garbage header",
        "body changed after signing",
        "stale timestamp",
        "future",
    ],
)
def test_a_bad_or_stale_signature_is_refused_and_records_nothing(
    building: Property, stripe_fake: RunningFake, client: Client, how: str
) -> None:
    p = payer(building)
    event = _completed_event(p, stripe_fake)
    body = json.dumps(event)
    header = {
        "wrong secret": signature(body, secret="whsec_someone_else"),
        "no header": "",
        "garbage header": "t=abc,v1=zzz",
        "body changed after signing": signature(body.replace('"amount_total": ', '"amount_total": 1')),
        "stale timestamp": signature(body, timestamp=int(time.time()) - 301),
        "future": signature(body, timestamp=int(time.time()) + 3600),
    }[how]
    response = post_event(client, body, header=header)
    if how == "future":
        # Stripe's tolerance only bounds the age of a signature; a clock ahead is not a forgery.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert not Payment.objects.exists()
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.OPEN


def test_a_signed_body_that_is_not_an_event_is_refused(
    db: None, stripe_fake: RunningFake, client: Client
) -> None:
    for body in ("not json", "[1, 2]", '{"object": "event"}'):
        assert post_event(client, body).status_code == 400
    assert client.get(WEBHOOK_PATH).status_code == 405
    assert not WebhookEvent.objects.exists()


def test_an_event_for_an_unknown_invoice_is_recorded_as_a_problem_and_pays_nothing(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    event = _completed_event(p, stripe_fake)
    forged = copy.deepcopy(event)
    forged["id"] = "evt_forged"
    forged["data"]["object"]["id"] = "cs_test_not_opened_by_logis"
    forged["data"]["object"]["metadata"]["invoice_id"] = "999999"
    response = post_event(client, forged)
    assert response.status_code == 200 and response.json()["outcome"] == "problem"
    assert not Payment.objects.exists()
    problem = WebhookEvent.objects.get(event_id="evt_forged")
    assert problem.outcome == "problem" and "999999" in problem.detail
    # The same session pointing at another invoice of Logis: also a problem.
    other = payer(building, number=2, email="other@example.com")
    moved = copy.deepcopy(event)
    moved["id"] = "evt_moved"
    moved["data"]["object"]["metadata"]["invoice_id"] = str(other.invoice.pk)
    assert post_event(client, moved).json()["outcome"] == "problem"
    assert not Payment.objects.exists()
    problem = WebhookEvent.objects.get(event_id="evt_moved")
    assert problem.property == building
    assert AuditEvent.objects.filter(verb="payment.online_problem", property=building).exists()


def test_an_amount_mismatch_is_recorded_as_a_problem_and_pays_nothing(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building, amount=Decimal("100.00"))
    event = _completed_event(p, stripe_fake)
    event["data"]["object"]["amount_total"] = 100  # 1,00 $ instead of 100,00 $
    response = post_event(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "problem"
    assert not Payment.objects.exists()
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.OPEN and p.invoice.amount_paid == 0
    currency = copy.deepcopy(event)
    currency["id"] += "_usd"
    currency["data"]["object"].update(amount_total=10000, currency="usd")
    assert post_event(client, currency).json()["outcome"] == "problem"
    assert not Payment.objects.exists()


def test_a_signed_event_of_an_unexpected_shape_is_a_problem_never_a_500(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    event = _completed_event(p, stripe_fake)
    odd = copy.deepcopy(event)
    odd["id"] = "evt_odd"
    odd["data"]["object"]["amount_total"] = "douze"
    listed = {**copy.deepcopy(event), "id": "evt_list", "data": {"object": [1, 2]}}
    for bad in (odd, listed):
        response = post_event(client, bad)
        assert response.status_code == 200 and response.json()["outcome"] == "problem"
    assert not Payment.objects.exists()
    assert post_event(client, event).json()["outcome"] == "processed"  # the genuine one still counts


def test_pre_authorized_debit_completed_unpaid_is_pending_then_succeeds_on_the_async_event(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    event = _completed_event(p, stripe_fake, method="acss_debit")
    assert event["data"]["object"]["payment_status"] == "unpaid"
    post_event(client, event)
    assert Payment.objects.get().status == "pending"
    session_id = event["data"]["object"]["id"]
    succeeded = stripe_fake.fake.settle_debit(session_id, succeeded=True)
    assert post_event(client, succeeded).json()["outcome"] == "processed"
    assert post_event(client, succeeded).json()["outcome"] == "duplicate"
    payment = Payment.objects.get()
    assert (payment.status, payment.method) == ("succeeded", "acss_debit")
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID


def test_an_async_event_arriving_before_the_completed_one_still_records_one_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    completed = _completed_event(p, stripe_fake, method="acss_debit")
    succeeded = stripe_fake.fake.settle_debit(completed["data"]["object"]["id"], succeeded=True)
    post_event(client, succeeded)
    post_event(client, completed)  # late: must not turn the payment back to pending
    payment = Payment.objects.get()
    assert payment.status == "succeeded"
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID


def test_a_refund_event_for_a_payment_logis_does_not_know_is_a_problem(
    db: None, stripe_fake: RunningFake, client: Client
) -> None:
    event = {
        "id": "evt_refund_unknown",
        "type": "charge.refunded",
        "data": {"object": {"id": "ch_x", "payment_intent": "pi_unknown", "amount_refunded": 100}},
    }
    response = post_event(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "problem"
    assert not Payment.objects.exists()


# --- Concurrency, on PostgreSQL -------------------------------------------------------------------


def _in_thread(fn):  # type: ignore[no-untyped-def]
    def run(*args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


def _race(bodies: list[str]) -> list[int]:
    start = threading.Barrier(len(bodies))

    @_in_thread
    def deliver(body: str) -> int:
        client = Client()
        start.wait()
        return int(post_event(client, body).status_code)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(deliver, bodies))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))  # a race shows only sometimes: try it several times
def test_concurrent_deliveries_record_one_payment(stripe_fake: RunningFake, round_: int) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")
    building = PropertyFactory(accepted_methods=["card"])
    p = payer(building, email=f"race{round_}@example.com")
    event = _completed_event(p, stripe_fake)
    same = json.dumps(event)
    other = json.dumps({**event, "id": event["id"] + "_other"})
    # Two threads posting the same event, and two more with another event for the same session.
    statuses = _race([same, same, other, other])
    assert statuses == [200, 200, 200, 200]
    assert Payment.objects.filter(invoice=p.invoice).count() == 1
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID and p.invoice.amount_paid == p.invoice.amount
    assert EmailMessage.objects.filter(kind="payment_receipt", invoice=p.invoice).count() == 1
    assert WebhookEvent.objects.filter(event_id__startswith=event["id"]).count() == 2


def test_an_expired_session_is_marked_expired_and_records_no_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    url = online.start_checkout(
        invoice_id=p.invoice.pk,
        user=p.user,
        success_url="http://testserver/s",
        cancel_url="http://testserver/c",
    )
    session_id = url.rsplit("/", 1)[1]
    stripe_fake.fake.expire_session(session_id)
    event = {
        "id": "evt_expired",
        "type": "checkout.session.expired",
        "data": {"object": stripe_fake.fake.get_session(session_id)},
    }
    assert post_event(client, event).json()["outcome"] == "processed"
    assert CheckoutSession.objects.get().status == "expired"
    assert not Payment.objects.exists()


def test_without_a_real_key_the_deploy_check_warns_that_payments_are_a_demo(settings) -> None:  # type: ignore[no-untyped-def]
    from logis.payments.checks import stripe_is_configured

    settings.STRIPE_SECRET_KEY, settings.STRIPE_DEMO = "", True
    assert [w.id for w in stripe_is_configured(None)] == ["logis.W101"]
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_live_x", ""
    assert [w.id for w in stripe_is_configured(None)] == ["logis.W102"]
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert stripe_is_configured(None) == []
