"""A partial payment opened through a « Voir et payer » link (no account), reported by webhooks signed as
Stripe signs them: replayed, delivered twice and racing the payer's return, it is one payment of the
amount chosen, and the invoice stays open with the rest due (decision 0025)."""

from __future__ import annotations

import copy
from decimal import Decimal

from django.test import Client

from logis.invoicing.models import InvoiceStatus
from logis.payments import online
from logis.payments.checkout import start_link_checkout
from logis.payments.models import CheckoutSession, PayLink, Payment
from logis.payments.paylinks import create_pay_link
from logis.properties.models import Property
from tests.factories import PropertyFactory
from tests.payments.stripe_fake import (
    RunningFake,
    payer,
    post_event,
    stripe_fake_fixture,  # noqa: F401 (fixture "stripe_fake")
)


def test_a_link_payment_of_part_of_the_balance_is_recorded_once_whatever_stripe_repeats(
    db: None, stripe_fake: RunningFake, client: Client
) -> None:
    building = Property.objects.get(
        pk=PropertyFactory(name="Les Jardins du Parc", accepted_methods=["card"]).pk
    )
    p = payer(building, amount=Decimal("250.00"))
    create_pay_link(invoice=p.invoice, sent_to="marie@example.com")
    link = PayLink.objects.get(invoice=p.invoice)
    url = start_link_checkout(
        link=link,
        amount=Decimal("75.25"),
        success_url="http://testserver/portal/link/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/portal/link/",
    )
    session_row = CheckoutSession.objects.get()
    assert session_row.user is None and session_row.amount == Decimal("75.25")
    event = stripe_fake.fake.complete_session(url.rsplit("/", 1)[1])
    again = {**copy.deepcopy(event), "id": event["id"] + "_2"}
    assert post_event(client, event).json()["outcome"] == "processed"
    assert post_event(client, event).json()["outcome"] == "duplicate"
    assert post_event(client, again).status_code == 200
    online.sync_checkout_session(session_id=event["data"]["object"]["id"])
    [payment] = Payment.objects.all()
    assert payment.amount == Decimal("75.25")
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.OPEN
    assert p.invoice.amount - p.invoice.amount_paid == Decimal("174.75")
