"""« Payer le solde » (decision 0036): one Stripe Checkout for several open invoices of a unit, recorded as
ONE remittance when Stripe's signed webhook says it is paid, applied by imputation (art. 1569–1572), with
one receipt listing each invoice. Events are produced by the local fake of Stripe and signed as Stripe
signs them; replays and concurrent deliveries record one remittance at most."""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.core.errors import InvalidTransition, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import void_invoice
from logis.ledger.models import AccountKind, JournalLine
from logis.notifications.models import EmailMessage
from logis.payments import online
from logis.payments.balance_checkout import start_balance_checkout
from logis.payments.models import CheckoutSession, Payment, Remittance, UnitCredit, WebhookEvent
from logis.payments.online_refunds import refund_online_payment
from logis.payments.services import record_payment
from logis.properties.models import Property
from tests.factories import PropertyFactory, member, open_invoice
from tests.payments.stripe_fake import (  # noqa: F401 - stripe_fake is a fixture
    Payer,
    RunningFake,
    payer,
    post_event,
    stripe_fake_fixture,
)

TODAY = dt.date.today()


@pytest.fixture
def building(db: None) -> Property:
    return PropertyFactory(name="Les Jardins du Parc", accepted_methods=["card", "acss_debit"])


def two_invoices(prop: Property, **kwargs: Any) -> tuple[Payer, Invoice, Invoice]:
    """A resident whose unit has two open invoices: the older one 100,00 $, the newer one 50,00 $."""
    p = payer(prop, amount=Decimal("100.00"), **kwargs)
    p.invoice.due_date = timezone.localdate() + dt.timedelta(days=3)
    p.invoice.save(update_fields=["due_date"])
    newer = open_invoice(
        prop,
        number=2,
        amount=Decimal("50.00"),
        unit=p.invoice.unit,
        title="Cotisation spéciale",
        due_date=timezone.localdate() + dt.timedelta(days=20),
    )
    return p, p.invoice, newer


def start(p: Payer, invoices: list[Invoice]) -> str:
    url = start_balance_checkout(
        unit_id=p.invoice.unit_id,
        user=p.user,
        invoice_ids=[i.pk for i in invoices],
        success_url="http://testserver/portal/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/portal/",
    )
    return url.rsplit("/", 1)[1]


def completed(fake: RunningFake, session_id: str, method: str = "card") -> dict[str, Any]:
    return fake.fake.complete_session(session_id, method=method)


def test_one_checkout_for_two_invoices_records_one_remittance_paying_both_and_one_receipt(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    asked = stripe_fake.fake.get_session(session_id)
    assert asked["amount_total"] == 15000  # no fee added
    response = post_event(client, completed(stripe_fake, session_id))
    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    remittance = Remittance.objects.get()
    assert (remittance.amount, remittance.method, remittance.rule, remittance.excess) == (
        Decimal("150.00"),
        "card",
        "default",
        Decimal("0.00"),
    )
    assert remittance.provider_payment_id.startswith("pi_")
    shares = list(remittance.payments.order_by("pk").values_list("invoice_id", "amount", "imputation"))
    # Oldest due first (art. 1572): the order of the rule.
    assert shares == [(older.pk, Decimal("100.00"), "oldest_due"), (newer.pk, Decimal("50.00"), "oldest_due")]
    for invoice in (older, newer):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
    receipts = EmailMessage.objects.filter(kind="remittance_receipt", to_email="marie@example.com")
    assert receipts.count() == 1
    text = receipts.get().body_text
    assert "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens." in text
    assert "Frais de condo" in text and "Cotisation spéciale" in text
    assert not EmailMessage.objects.filter(kind="payment_receipt").exists()  # one receipt, not one per share
    # Dr Stripe clearing 150 / Cr the unit's receivable 150, balanced entries.
    clearing = JournalLine.objects.filter(account__kind=AccountKind.STRIPE_CLEARING)
    assert sum(line.debit - line.credit for line in clearing) == Decimal("150.00")
    receivable = JournalLine.objects.filter(account__kind=AccountKind.RECEIVABLE, unit=p.invoice.unit)
    assert sum(line.credit - line.debit for line in receivable) == Decimal("150.00")
    assert CheckoutSession.objects.get().status == "complete"
    assert AuditEvent.objects.filter(verb="remittance.recorded", actor=None).count() == 1


def test_the_same_event_twice_and_the_payers_return_record_one_remittance(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    event = completed(stripe_fake, session_id)
    assert post_event(client, event).json()["outcome"] == "processed"
    assert post_event(client, event).json()["outcome"] == "duplicate"
    again = {**copy.deepcopy(event), "id": event["id"] + "_again"}
    assert post_event(client, again).json()["outcome"] == "processed"
    online.sync_checkout_session(session_id=session_id)
    assert Remittance.objects.count() == 1
    assert Payment.objects.count() == 2
    assert EmailMessage.objects.filter(kind="remittance_receipt").count() == 1
    older.refresh_from_db()
    assert older.amount_paid == older.amount


def test_an_amount_mismatch_is_a_problem_and_pays_nothing(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, older, newer = two_invoices(building)
    event = completed(stripe_fake, start(p, [older, newer]))
    event["data"]["object"]["amount_total"] = 10000
    response = post_event(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "problem"
    other_unit = copy.deepcopy(event)
    other_unit["id"] += "_unit"
    other_unit["data"]["object"]["amount_total"] = 15000
    other_unit["data"]["object"]["metadata"]["unit_id"] = "999999"
    assert post_event(client, other_unit).json()["outcome"] == "problem"
    assert not Remittance.objects.exists() and not Payment.objects.exists()
    older.refresh_from_db()
    assert older.status == InvoiceStatus.OPEN and older.amount_paid == 0
    assert WebhookEvent.objects.filter(outcome="problem", property=building).count() == 2


def test_an_invoice_voided_meanwhile_leaves_its_share_as_the_units_credit(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    manager = member(building)
    void_invoice(actor=manager, invoice_id=newer.pk, reason="Facturée par erreur")
    # (Its open session is closed once the void commits, which this test does not run: the payer paid
    # in that instant.)
    event = completed(stripe_fake, session_id)
    assert post_event(client, event).json()["outcome"] == "processed"
    remittance = Remittance.objects.get()
    assert list(remittance.payments.values_list("invoice_id", "amount")) == [(older.pk, Decimal("100.00"))]
    assert remittance.excess == Decimal("50.00")
    assert UnitCredit.objects.filter(unit=p.invoice.unit).first().amount == Decimal("50.00")  # type: ignore[union-attr]
    newer.refresh_from_db()
    assert newer.status == InvoiceStatus.VOID and newer.amount_paid == 0


def test_a_session_closes_when_a_balance_it_asks_for_changes(
    building: Property, stripe_fake: RunningFake, django_capture_on_commit_callbacks: Any
) -> None:
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    manager = member(building)
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            property=building,
            invoice_id=newer.pk,
            actor=manager,
            amount=Decimal("10.00"),
            paid_on=timezone.localdate(),
            method="cheque",
        )
    assert CheckoutSession.objects.get(session_id=session_id).status == "expired"
    assert stripe_fake.fake.get_session(session_id)["status"] == "expired"


def test_an_invoice_paid_meanwhile_by_cheque_gives_its_part_to_the_credit_designated_order_kept(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    """The resident unticked nothing but the newer invoice is paid by cheque before the webhook: the money
    it no longer needs is the unit's credit; the older invoice gets its whole balance."""
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    event = completed(stripe_fake, session_id)
    manager = member(building)
    record_payment(
        property=building,
        invoice_id=newer.pk,
        actor=manager,
        amount=Decimal("50.00"),
        paid_on=timezone.localdate(),
        method="cheque",
    )
    assert post_event(client, event).json()["outcome"] == "processed"
    remittance = Remittance.objects.get()
    assert remittance.excess == Decimal("50.00")
    assert list(remittance.payments.values_list("invoice_id", "amount")) == [(older.pk, Decimal("100.00"))]


def test_a_chosen_subset_is_the_payers_designation(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, older, newer = two_invoices(building)
    session_id = start(p, [newer])
    assert stripe_fake.fake.get_session(session_id)["amount_total"] == 5000
    post_event(client, completed(stripe_fake, session_id))
    remittance = Remittance.objects.get()
    assert remittance.rule == "designated" and remittance.designated == [newer.pk]
    assert list(remittance.payments.values_list("invoice_id", "imputation")) == [(newer.pk, "designated")]
    older.refresh_from_db()
    assert older.status == InvoiceStatus.OPEN
    text = EmailMessage.objects.get(kind="remittance_receipt").body_text
    assert "Imputé selon votre choix." in text


def test_nothing_chosen_or_another_units_invoice_is_refused_beside_the_list(
    building: Property, stripe_fake: RunningFake
) -> None:
    p, _older, _newer = two_invoices(building)
    stranger = open_invoice(building, number=9)
    for chosen in ([], [stranger]):
        with pytest.raises(ValidationError) as refused:
            start(p, chosen)
        assert "invoices" in refused.value.errors
    assert not CheckoutSession.objects.exists()


def test_a_pre_authorized_debit_records_the_remittance_only_once_it_clears(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    post_event(client, completed(stripe_fake, session_id, method="acss_debit"))
    assert not Remittance.objects.exists()
    # Meanwhile nobody pays these invoices again online.
    with pytest.raises(InvalidTransition):
        start(p, [older])
    post_event(client, stripe_fake.fake.settle_debit(session_id, succeeded=True))
    remittance = Remittance.objects.get()
    assert remittance.method == "acss_debit" and remittance.payments.count() == 2


def test_a_failed_debit_records_nothing_and_lets_the_resident_pay_again(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    member(building, Role.MANAGER, email="gestion@example.com", language="fr")
    member(building, Role.BOARD, email="conseil@example.com")
    p, older, newer = two_invoices(building)
    session_id = start(p, [older, newer])
    post_event(client, completed(stripe_fake, session_id, method="acss_debit"))
    failed = stripe_fake.fake.settle_debit(session_id, succeeded=False)
    post_event(client, failed)
    post_event(client, failed)  # redelivered: told once
    assert not Remittance.objects.exists() and not Payment.objects.exists()
    # The resident and the managers are told, each once, with both invoices still due (issue 13).
    resident = EmailMessage.objects.get(kind="checkout_debit_failed")
    assert resident.to_email == "marie@example.com" and "150,00" in resident.subject
    assert f"#{older.number}" in resident.body_text and f"#{newer.number}" in resident.body_text
    assert "/portal/" in resident.body_text
    staff = EmailMessage.objects.get(kind="checkout_debit_failed_staff")
    assert staff.to_email == "gestion@example.com"
    assert "100,00" in staff.body_text and "50,00" in staff.body_text
    assert start(p, [older, newer]) != session_id


def test_a_share_is_not_refunded_through_stripe_and_a_dashboard_refund_is_a_problem(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    """Decision 0036: the refund of a « Payer le solde » payment is refused cleanly, never half-applied."""
    p, older, newer = two_invoices(building)
    post_event(client, completed(stripe_fake, start(p, [older, newer])))
    share = Payment.objects.filter(remittance__isnull=False).first()
    assert share is not None
    manager = member(building)
    with pytest.raises(InvalidTransition) as refused:
        refund_online_payment(property=building, payment_id=share.pk, actor=manager, reason="Erreur")
    assert "plusieurs factures : Logis ne le rembourse pas par Stripe" in str(refused.value.message)
    staff = Client()
    staff.force_login(manager)
    page = staff.post(
        reverse("payments:refund_online", args=[building.pk, share.pk]),
        {"amount": "10,00", "reason": "Erreur"},
    )
    assert page.status_code == 200
    assert "Logis ne le rembourse pas par Stripe" in html.unescape(page.content.decode())
    remittance = Remittance.objects.get()
    event = {
        "id": "evt_dashboard_refund",
        "type": "charge.refunded",
        "data": {"object": {"id": "ch_x", "payment_intent": remittance.provider_payment_id}},
    }
    response = post_event(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "problem"
    assert (
        f"payment for several invoices {remittance.pk}"
        in WebhookEvent.objects.get(event_id="evt_dashboard_refund").detail
    )
    assert not Payment.objects.filter(kind="refund").exists()


# --- Concurrency, on PostgreSQL -------------------------------------------------------------------


def _race(bodies: list[str]) -> list[int]:
    start_line = threading.Barrier(len(bodies))

    def deliver(body: str) -> int:
        try:
            client = Client()
            start_line.wait()
            return int(post_event(client, body).status_code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(deliver, bodies))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))  # a race shows only sometimes: try it several times
def test_concurrent_deliveries_record_one_remittance(stripe_fake: RunningFake, round_: int) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")
    building = PropertyFactory(accepted_methods=["card"])
    p, older, newer = two_invoices(building, email=f"race{round_}@example.com")
    event = completed(stripe_fake, start(p, [older, newer]))
    same = json.dumps(event)
    other = json.dumps({**event, "id": event["id"] + "_other"})
    assert _race([same, same, other, other]) == [200, 200, 200, 200]
    assert Remittance.objects.filter(unit=p.invoice.unit).count() == 1
    assert Payment.objects.filter(invoice__unit=p.invoice.unit).count() == 2
    for invoice in (older, newer):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == invoice.amount
    assert EmailMessage.objects.filter(kind="remittance_receipt", to_email=p.user.email).count() == 1


def test_the_receipt_email_of_an_english_reader_of_a_quebec_property_is_french_first(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    """Charter of the French language, s. 57 (core/charter.py): French first, English after it."""
    p, older, newer = two_invoices(building, language="en")
    post_event(client, completed(stripe_fake, start(p, [older, newer])))
    receipt = EmailMessage.objects.get(kind="remittance_receipt")
    text = receipt.body_text
    french = text.index("Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens.")
    english = text.index("Applied first to late fees and interest, then to the oldest amounts.")
    assert french < text.index("English version below") < english
    assert " / " in receipt.subject
