"""Autopay (docs/decisions/0031): enrolment through Checkout in setup mode, the notice at least 10 days
ahead (Payments Canada Rule H1), the off-session debit on the due date — never before, once — and what a
failed debit or a revoked mandate does. Stripe is the local fake served over HTTP (tests/payments/
stripe_fake.py); its events reach Logis signed as Stripe signs them."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from logis.collections.late_fees import apply_late_fees
from logis.collections.models import LateFee, LateFeeMode, LateFeePolicy, ReminderPolicy
from logis.collections.reminders import send_due_reminders
from logis.core.dates import today_in
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.finances.models import CategoryCode
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments import autopay
from logis.payments.autopay import run_autopay
from logis.payments.fake_stripe_autopay import (
    CARD_DECLINED_WHEN_CHARGED,
    PAD_ACCOUNT_FAILS,
    PAD_ACCOUNT_SUCCEEDS,
)
from logis.payments.models import (
    AutopayDebit,
    AutopayEnrolment,
    Payment,
    WebhookEvent,
)
from logis.properties.models import Property, Unit
from tests.factories import PropertyFactory, member, open_invoice
from tests.payments.stripe_fake import (  # noqa: F401 - stripe_fake is a fixture
    Payer,
    RunningFake,
    payer,
    post_event,
    stripe_fake_fixture,
)

PORTAL = "http://testserver/portal/autopay/"


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request of an English user leaves English active in this thread: later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def building(db: None) -> Property:
    return PropertyFactory(
        name="Les Jardins du Parc",
        payments_enabled=True,
        accepted_methods=["card", "acss_debit", "cheque"],
        next_invoice_number=10,  # after the invoices the factories number by hand
    )


def enrol(
    p: Payer, stripe_fake: RunningFake, client: Client, *, method: str = "acss_debit", number: str = ""
) -> AutopayEnrolment:
    """The resident saves a method on the fake's hosted setup page; its signed event reaches Logis."""
    url = autopay.start_enrolment(
        user=p.user,
        unit_id=p.invoice.unit_id,
        method=method,
        success_url=PORTAL + "?setup=done&session_id={CHECKOUT_SESSION_ID}",
        cancel_url=PORTAL,
    )
    session_id = url.rsplit("/", 1)[1]
    event = stripe_fake.fake.complete_setup(
        session_id,
        method=method,
        account_number=number if method == "acss_debit" else "",
        card_number=number if method == "card" else "",
    )
    response = post_event(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    return AutopayEnrolment.objects.get(setup_session_id=session_id)


def at(day: dt.date) -> dt.datetime:
    """Noon in Montréal on ``day``."""
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=dt.UTC)


def next_invoice(p: Payer, *, days: int, amount: str = "250.00", number: int = 2) -> Invoice:
    today = today_in("America/Toronto")
    return open_invoice(
        p.invoice.property,
        number=number,
        amount=Decimal(amount),
        unit=p.invoice.unit,
        due_date=today + dt.timedelta(days=days),
        title="Cotisation de février",
    )


def announce_and_debit(invoice: Invoice) -> None:
    """The job today (the notice), then on the due date (the debit)."""
    run_autopay(now=at(today_in("America/Toronto")))
    run_autopay(now=at(invoice.due_date))


def deliver_new_events(stripe_fake: RunningFake, client: Client, seen: set[str]) -> list[str]:
    """POST, signed, every event of the fake not delivered yet; returns their outcomes."""
    outcomes = []
    for event in stripe_fake.fake.events:
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        outcomes.append(post_event(client, event).json()["outcome"])
    return outcomes


def intents_created(stripe_fake: RunningFake) -> list[dict[str, str]]:
    return [h for m, path, h in stripe_fake.fake.requests if m == "POST" and path == "/v1/payment_intents"]


def test_enrolling_saves_the_mandate_and_emails_the_agreement(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client, number=PAD_ACCOUNT_SUCCEEDS)
    assert (enrolment.status, enrolment.method, enrolment.method_label) == (
        "active",
        "acss_debit",
        "•••• 6789",
    )
    assert enrolment.mandate_id.startswith("mandate_") and enrolment.payment_method_id.startswith("pm_")
    session = stripe_fake.fake.sessions[enrolment.setup_session_id]
    assert session["mode"] == "setup"
    assert session["payment_method_options"]["acss_debit"]["mandate_options"] == {
        "payment_schedule": "sporadic",
        "transaction_type": "personal",
    }
    email = EmailMessage.objects.get(kind="autopay_enrolled")
    assert email.to_email == "marie@example.com"
    assert "Accord de débit préautorisé" in email.body_text
    assert AuditEvent.objects.filter(verb="autopay.enrolled").count() == 1


def test_the_invoice_is_announced_ten_days_ahead_and_debited_once_on_its_due_date(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=30)
    due = invoice.due_date
    # p.invoice was published before the enrolment: never debited (only invoices published after).
    assert run_autopay(now=at(due - dt.timedelta(days=11))) == 0
    assert not AutopayDebit.objects.exists()

    assert run_autopay(now=at(due - dt.timedelta(days=10))) == 1
    debit = AutopayDebit.objects.get()
    assert (debit.invoice_id, debit.amount, debit.debit_on, debit.status) == (
        invoice.pk,
        Decimal("250.00"),
        due,
        "scheduled",
    )
    notice = EmailMessage.objects.get(kind="autopay_notice")
    assert "250,00" in notice.subject and str(due.year) in notice.subject
    assert p.invoice.pk not in AutopayDebit.objects.values_list("invoice_id", flat=True)

    # The day before: nothing.
    assert run_autopay(now=at(due - dt.timedelta(days=1))) == 0
    assert intents_created(stripe_fake) == []

    # The due date: one off-session PaymentIntent, a pending payment that moves no money yet.
    assert run_autopay(now=at(due)) == 1
    (headers,) = intents_created(stripe_fake)
    assert headers["Idempotency-Key"] == f"logis-autopay-invoice-{invoice.pk}-attempt-1"
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.status, payment.method, payment.amount) == ("pending", "acss_debit", Decimal("250.00"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, Decimal("0.00"))

    # Stripe's events (processing, then succeeded): the invoice is paid, once.
    assert deliver_new_events(stripe_fake, client, set(_setup_events(stripe_fake))) == [
        "processed",
        "processed",
    ]
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.status, payment.status) == (InvoiceStatus.PAID, "succeeded")
    assert AutopayDebit.objects.get().status == "succeeded"

    # The job again, the next day: nothing more.
    assert run_autopay(now=at(due + dt.timedelta(days=1))) == 0
    assert len(intents_created(stripe_fake)) == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1


def _setup_events(stripe_fake: RunningFake) -> list[str]:
    return [e["id"] for e in stripe_fake.fake.events if e["type"] == "checkout.session.completed"]


def test_an_invoice_due_sooner_than_ten_days_is_debited_ten_days_after_the_notice(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=3)
    today = today_in(building.timezone)
    run_autopay(now=at(today))
    debit = AutopayDebit.objects.get(invoice=invoice)
    assert debit.debit_on == today + dt.timedelta(days=10)
    run_autopay(now=at(invoice.due_date))
    assert intents_created(stripe_fake) == []  # due, but the 10 days are not over
    run_autopay(now=at(today + dt.timedelta(days=10)))
    assert len(intents_created(stripe_fake)) == 1


def test_no_late_fee_nor_reminder_while_the_notice_holds_the_debit_after_the_due_date(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    """Our mandates keep the 10-day notice (no waiver, decision 0038): an invoice due 4 days after it is
    published is debited 10 days after the notice. Meanwhile it is past due through no fault of the
    resident: no late fee, no reminder. Once the debit fails, the property's rules apply again."""
    LateFeePolicy.objects.create(
        property=building, enabled=True, mode=LateFeeMode.FIXED, fixed_amount=Decimal("25.00"), grace_days=0
    )
    ReminderPolicy.objects.create(property=building, enabled=True, days_before=[3], days_after=[1, 3])
    p = payer(building)
    enrol(p, stripe_fake, client, number=PAD_ACCOUNT_FAILS)
    invoice = next_invoice(p, days=4)
    today = today_in(building.timezone)
    run_autopay(now=at(today))
    debit = AutopayDebit.objects.get(invoice=invoice)
    assert debit.debit_on == today + dt.timedelta(days=10) > invoice.due_date
    for day in (1, 5, 7, 9):  # before the due date, then past it, the debit still ahead
        send_due_reminders(now=at(today + dt.timedelta(days=day)))
        apply_late_fees(now=at(today + dt.timedelta(days=day)))
    assert not LateFee.objects.filter(original=invoice).exists()
    assert not EmailMessage.objects.filter(kind="invoice_reminder").exists()

    run_autopay(now=at(debit.debit_on))
    deliver_new_events(stripe_fake, client, set(_setup_events(stripe_fake)))
    debit.refresh_from_db()
    assert debit.status == "failed"
    apply_late_fees(now=at(debit.debit_on + dt.timedelta(days=1)))
    assert LateFee.objects.filter(original=invoice).count() == 1


def test_a_failed_debit_leaves_the_invoice_due_emails_both_sides_and_bills_the_nsf_fee(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    building.nsf_fee = Decimal("45.00")
    building.save()
    member(building, Role.MANAGER, email="gestionnaire@example.com", language="fr")
    member(building, Role.BOARD, email="conseil@example.com")
    p = payer(building)
    enrol(p, stripe_fake, client, number=PAD_ACCOUNT_FAILS)
    invoice = next_invoice(p, days=12)
    run_autopay(now=at(invoice.due_date - dt.timedelta(days=10)))
    run_autopay(now=at(invoice.due_date))
    deliver_new_events(stripe_fake, client, set(_setup_events(stripe_fake)))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, Decimal("0.00"))
    debit = AutopayDebit.objects.get(invoice=invoice)
    assert (debit.status, debit.failure_code) == ("failed", "insufficient_funds")
    assert Payment.objects.get(invoice=invoice).status == "failed"
    fee = debit.nsf_invoice
    assert fee is not None and fee.amount == Decimal("45.00") and fee.status == InvoiceStatus.OPEN
    assert fee.lines.get().category.code == CategoryCode.LATE_FEE
    assert "NSF" in fee.title
    resident = EmailMessage.objects.get(kind="autopay_failed")
    assert resident.to_email == "marie@example.com" and "45,00" in resident.body_text
    assert "(provision insuffisante)" in resident.body_text  # Stripe's code, in the resident's language
    staff = EmailMessage.objects.filter(kind="autopay_failed_staff").values_list("to_email", flat=True)
    assert list(staff) == ["gestionnaire@example.com"]  # who records payments; not the board
    # The NSF fee is not debited automatically in its turn.
    run_autopay(now=at(invoice.due_date + dt.timedelta(days=30)))
    assert not AutopayDebit.objects.filter(invoice=fee).exists()


def test_a_declined_card_fails_the_debit_without_any_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client, method="card", number=CARD_DECLINED_WHEN_CHARGED)
    invoice = next_invoice(p, days=10)
    announce_and_debit(invoice)
    debit = AutopayDebit.objects.get(invoice=invoice)
    assert (debit.status, debit.failure_code) == ("failed", "card_declined")
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert EmailMessage.objects.filter(kind="autopay_failed").count() == 1
    run_autopay(now=at(invoice.due_date + dt.timedelta(days=1)))
    assert len(intents_created(stripe_fake)) == 1


def test_a_card_is_paid_at_once(building: Property, stripe_fake: RunningFake, client: Client) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client, method="card")
    invoice = next_invoice(p, days=10)
    announce_and_debit(invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get(invoice=invoice).method == "card"
    # The webhook of that success then changes nothing.
    assert deliver_new_events(stripe_fake, client, set(_setup_events(stripe_fake))) == ["processed"]
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_stopping_cancels_what_was_announced(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=5)
    run_autopay(now=at(today_in(building.timezone)))
    autopay.stop_enrolment(actor=p.user, enrolment_id=enrolment.pk)
    assert AutopayDebit.objects.get(invoice=invoice).status == "cancelled"
    run_autopay(now=at(invoice.due_date + dt.timedelta(days=10)))
    assert intents_created(stripe_fake) == []
    assert AuditEvent.objects.filter(verb="autopay.stopped").count() == 1


def test_a_revoked_mandate_stops_autopay_and_tells_the_resident(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=5)
    run_autopay(now=at(today_in(building.timezone)))
    event = stripe_fake.fake.revoke_mandate(enrolment.mandate_id)
    assert post_event(client, event).json()["outcome"] == "processed"
    assert post_event(client, event).json()["outcome"] == "duplicate"
    enrolment.refresh_from_db()
    assert enrolment.status == "revoked"
    assert AutopayDebit.objects.get(invoice=invoice).status == "cancelled"
    assert EmailMessage.objects.filter(kind="autopay_revoked", to_email="marie@example.com").count() == 1


def test_replayed_debit_events_record_one_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=10)
    announce_and_debit(invoice)
    succeeded = next(e for e in stripe_fake.fake.events if e["type"] == "payment_intent.succeeded")
    assert post_event(client, succeeded).json()["outcome"] == "processed"
    assert post_event(client, succeeded).json()["outcome"] == "duplicate"
    # The same PaymentIntent in another event (Stripe may send several): nothing more.
    again = {**succeeded, "id": succeeded["id"] + "_2"}
    assert post_event(client, again).json()["outcome"] == "processed"
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("250.00")


def test_a_replayed_setup_and_a_replayed_failure_act_once(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    """Signed events as Stripe sends them, each twice and under a second event id (Stripe may send one
    thing in several events), plus the resident's return racing the webhook: one enrolment, one failure."""
    building.nsf_fee = Decimal("45.00")
    building.save()
    member(building, Role.MANAGER, email="gestionnaire@example.com")
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client, number=PAD_ACCOUNT_FAILS)
    setup = stripe_fake.fake.last_event("checkout.session.completed")
    assert post_event(client, setup).json()["outcome"] == "duplicate"
    assert post_event(client, {**setup, "id": setup["id"] + "_2"}).json()["outcome"] == "processed"
    autopay.sync_setup_session(session_id=enrolment.setup_session_id)  # back from the setup page
    assert AutopayEnrolment.objects.count() == 1
    assert EmailMessage.objects.filter(kind="autopay_enrolled").count() == 1

    invoice = next_invoice(p, days=10)
    announce_and_debit(invoice)
    seen = set(_setup_events(stripe_fake)) | {setup["id"]}
    deliver_new_events(stripe_fake, client, seen)
    failed = stripe_fake.fake.last_event("payment_intent.payment_failed")
    assert post_event(client, failed).json()["outcome"] == "duplicate"
    assert post_event(client, {**failed, "id": failed["id"] + "_2"}).json()["outcome"] == "processed"
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Invoice.objects.filter(nsf_fee_of__isnull=False).count() == 1
    assert EmailMessage.objects.filter(kind="autopay_failed").count() == 1
    assert EmailMessage.objects.filter(kind="autopay_failed_staff").count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, Decimal("0.00"))


def test_an_intent_for_another_amount_is_a_problem_not_a_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=10)
    stripe_fake.fake.auto_settle = False
    announce_and_debit(invoice)
    processing = next(e for e in stripe_fake.fake.events if e["type"] == "payment_intent.processing")
    forged: dict[str, Any] = {**processing, "id": "evt_forged", "type": "payment_intent.succeeded"}
    forged["data"] = {"object": {**processing["data"]["object"], "status": "succeeded", "amount": 1}}
    assert post_event(client, forged).json()["outcome"] == "problem"
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("0.00")
    assert WebhookEvent.objects.get(event_id="evt_forged").outcome == "problem"


def test_a_checkout_payment_intent_is_left_to_checkout(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    event = {
        "id": "evt_checkout_pi",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_x", "object": "payment_intent", "amount": 100, "metadata": {}}},
    }
    assert post_event(client, event).json()["outcome"] == "processed"
    assert not Payment.objects.exists()


def test_one_active_enrolment_per_unit(building: Property, stripe_fake: RunningFake, client: Client) -> None:
    p = payer(building)
    enrol(p, stripe_fake, client)
    with pytest.raises(autopay.InvalidTransition):
        autopay.start_enrolment(
            user=p.user, unit_id=p.invoice.unit_id, method="card", success_url=PORTAL, cancel_url=PORTAL
        )
    assert Unit.objects.get(pk=p.invoice.unit_id).autopay_enrolments.filter(status="active").count() == 1
    assert timezone.now()


def test_the_nsf_fee_is_set_in_the_payment_settings_beside_its_field(building: Property) -> None:
    client = Client()
    client.force_login(member(building, Role.ADMIN, email="admin@example.com"))
    url = f"/p/{building.pk}/settings/payments/"
    data = {"payments_enabled": "on", "accepted_methods": ["card", "acss_debit"], "nsf_fee": "abc"}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "id_nsf_fee_error" in response.content.decode()
    assert 'value="abc"' in response.content.decode()  # what was typed is kept
    response = client.post(url, {**data, "nsf_fee": "45,00"})
    assert response.status_code == 302
    building.refresh_from_db()
    assert building.nsf_fee == Decimal("45.00")
    assert AuditEvent.objects.filter(verb="property.payment_settings_changed").exists()


def test_the_portal_shows_the_agreement_and_refuses_to_enrol_without_accepting_it(
    building: Property, stripe_fake: RunningFake
) -> None:
    p = payer(building, language="en")
    client = Client()
    client.force_login(p.user)
    page = client.get("/portal/autopay/").content.decode()
    assert "Pre-authorized debit agreement" in page and "www.payments.ca" in page
    unit_id = p.invoice.unit_id
    response = client.post(f"/portal/autopay/units/{unit_id}/enrol/", {f"u{unit_id}-method": "card"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Accept the agreement to turn on automatic payment." in body
    assert re.search(r'<input type="radio"[^>]*value="card"[^>]*checked', body)  # the choice is kept
    assert not re.search(r'<input type="radio"[^>]*value="acss_debit"[^>]*checked', body)
    assert not AutopayEnrolment.objects.exists()
    response = client.post(
        f"/portal/autopay/units/{unit_id}/enrol/",
        {f"u{unit_id}-method": "acss_debit", f"u{unit_id}-agree": "on"},
    )
    assert response.status_code == 302 and response["Location"].startswith(stripe_fake.url + "/pay/cs_")


def test_without_online_payment_the_portal_neither_links_nor_offers_autopay(
    building: Property, stripe_fake: RunningFake
) -> None:
    building.payments_enabled = False
    building.save()
    p = payer(building, language="en")
    client = Client()
    client.force_login(p.user)
    home = client.get("/portal/").content.decode()
    assert 'id="autopay-link"' not in home
    page = client.get("/portal/autopay/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "does not take online payment at the moment" in body and "www.payments.ca" not in body
    unit_id = p.invoice.unit_id
    # A form kept open in another tab: refused with the same message, nothing set up.
    response = client.post(
        f"/portal/autopay/units/{unit_id}/enrol/",
        {f"u{unit_id}-method": "acss_debit", f"u{unit_id}-agree": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert "does not take online payment at the moment" in response.content.decode()
    assert not AutopayEnrolment.objects.exists() and not stripe_fake.fake.requests
    # Only card and debit are online methods: cheques alone offer no automatic payment either.
    building.payments_enabled = True
    building.accepted_methods = ["cheque"]
    building.save()
    assert 'id="autopay-link"' not in client.get("/portal/").content.decode()
    building.accepted_methods = ["card", "acss_debit", "cheque"]
    building.save()
    assert 'id="autopay-link"' in client.get("/portal/").content.decode()


def test_an_enrolled_unit_still_sees_and_stops_autopay_after_online_payment_is_turned_off(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building, language="en")
    enrolment = enrol(p, stripe_fake, client)
    building.payments_enabled = False
    building.save()
    resident = Client()
    resident.force_login(p.user)
    assert 'id="autopay-link"' in resident.get("/portal/").content.decode()
    page = resident.get("/portal/autopay/").content.decode()
    assert f"/portal/autopay/{enrolment.pk}/stop/" in page
    assert resident.post(f"/portal/autopay/{enrolment.pk}/stop/").status_code == 302
    assert AutopayEnrolment.objects.get().status == "stopped"
    assert 'id="autopay-link"' not in resident.get("/portal/").content.decode()


@pytest.mark.parametrize("include", [True, False], ids=["included", "left-out"])
def test_the_resident_chooses_whether_the_invoices_already_open_are_debited(
    building: Property, stripe_fake: RunningFake, client: Client, include: bool
) -> None:
    """« Inclure les factures déjà ouvertes » (decision 0038): offered when the unit has open invoices,
    said plainly on the page and in the email; ticked, they are announced and debited 10 days later."""
    p = payer(building, language="en", amount=Decimal("125.50"))  # p.invoice: open before enrolling
    resident = Client()
    resident.force_login(p.user)
    unit_id = p.invoice.unit_id
    page = resident.get("/portal/autopay/").content.decode()
    assert "Include the invoices already open" in page
    assert "This unit has 1 invoice open now ($125.50)." in page
    assert "Not ticked: only the invoices published from now on are debited" in page
    form = {f"u{unit_id}-method": "acss_debit", f"u{unit_id}-agree": "on"}
    if include:
        form[f"u{unit_id}-include_open"] = "on"
    response = resident.post(f"/portal/autopay/units/{unit_id}/enrol/", form)
    assert response.status_code == 302
    session_id = response["Location"].rsplit("/", 1)[1]
    post_event(client, stripe_fake.fake.complete_setup(session_id, method="acss_debit"))
    enrolment = AutopayEnrolment.objects.get()
    assert enrolment.include_open is include
    page = resident.get("/portal/autopay/").content.decode()
    email = EmailMessage.objects.get(kind="autopay_enrolled").body_text
    if include:
        assert "The invoices that were open when you turned it on are included." in page
        assert "The invoices already open are included" in email
    else:
        assert "already open when you turned it on are not debited: pay them as usual." in page
        assert "The invoices already open are not debited" in email

    # The job on the day the notice is due (10 days before the due date, or today if that is past).
    day = max(today_in(building.timezone), p.invoice.due_date - dt.timedelta(days=10))
    run_autopay(now=at(day))
    debit = AutopayDebit.objects.filter(invoice=p.invoice).first()
    if not include:
        assert debit is None
        return
    assert debit is not None and debit.amount == Decimal("125.50")
    assert debit.debit_on == max(p.invoice.due_date, day + dt.timedelta(days=10))
    assert EmailMessage.objects.filter(kind="autopay_notice").count() == 1
    run_autopay(now=at(debit.debit_on))
    deliver_new_events(stripe_fake, client, set(_setup_events(stripe_fake)))
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID


def test_no_choice_of_open_invoices_when_none_is_open(building: Property, stripe_fake: RunningFake) -> None:
    p = payer(building, language="en")
    Invoice.objects.filter(pk=p.invoice.pk).update(amount_paid=p.invoice.amount, status=InvoiceStatus.PAID)
    resident = Client()
    resident.force_login(p.user)
    page = resident.get("/portal/autopay/").content.decode()
    assert "Include the invoices already open" not in page and "Turn on automatic payment" in page


def test_while_online_payment_is_off_no_new_debit_is_announced_and_the_announced_one_is_made(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building, language="en")
    enrol(p, stripe_fake, client)
    announced = next_invoice(p, days=10, number=2)
    today = today_in(building.timezone)
    run_autopay(now=at(today))  # told the resident: debited on its due date
    building.payments_enabled = False
    building.save()
    later = next_invoice(p, days=5, number=3)
    run_autopay(now=at(today))
    assert not AutopayDebit.objects.filter(invoice=later).exists()  # nothing new announced
    resident = Client()
    resident.force_login(p.user)
    page = resident.get("/portal/autopay/").content.decode()
    assert "no new debit is announced. A debit already announced is made as announced." in page
    run_autopay(now=at(announced.due_date))
    deliver_new_events(stripe_fake, client, set(_setup_events(stripe_fake)))
    announced.refresh_from_db()
    assert announced.status == InvoiceStatus.PAID  # as announced
    assert EmailMessage.objects.filter(kind="autopay_notice").count() == 1
    building.payments_enabled = True
    building.save()
    run_autopay(now=at(announced.due_date))
    debit = AutopayDebit.objects.get(invoice=later)  # taken up again, with its own 10 days' notice
    assert debit.debit_on == announced.due_date + dt.timedelta(days=10)


def test_another_units_autopay_answers_404(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    other = payer(building, number=2, email="luc@example.com")
    intruder = Client()
    intruder.force_login(other.user)
    assert intruder.get(f"/portal/autopay/{enrolment.pk}/stop/").status_code == 404
    assert intruder.post(f"/portal/autopay/{enrolment.pk}/stop/").status_code == 404
    assert intruder.post(f"/portal/autopay/units/{p.invoice.unit_id}/enrol/").status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.status == "active"


def test_the_resident_stops_after_confirming_and_the_manager_sees_it(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=5)
    run_autopay(now=at(today_in(building.timezone)))
    manager = Client()
    manager.force_login(member(building, Role.MANAGER, email="gestionnaire@example.com", language="en"))
    units = manager.get(f"/p/{building.pk}/units/").content.decode()
    assert units.count("Automatic payment</span>") == 1  # the enrolled unit's badge
    unit_page = manager.get(f"/p/{building.pk}/units/{invoice.unit_id}/").content.decode()
    assert 'id="unit-autopay-status">Active' in unit_page and "marie@example.com" in unit_page
    assert "Scheduled" in unit_page and "250.00" in unit_page

    resident = Client()
    resident.force_login(p.user)
    confirm = resident.get(f"/portal/autopay/{enrolment.pk}/stop/").content.decode()
    assert "Arrêter le paiement automatique" in confirm or "Stop automatic payment" in confirm
    assert AutopayEnrolment.objects.get().status == "active"  # asking is not stopping
    assert resident.post(f"/portal/autopay/{enrolment.pk}/stop/").status_code == 302
    assert AutopayEnrolment.objects.get().status == "stopped"
    unit_page = manager.get(f"/p/{building.pk}/units/{invoice.unit_id}/").content.decode()
    assert 'id="unit-autopay-status">Stopped' in unit_page and "Not debited" in unit_page


def _race(calls: list[Any]) -> list[Any]:
    """Run the calls at the same moment, each in its own thread (and database connection)."""
    start = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        try:
            start.wait()
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))  # a race shows only sometimes: try it several times
def test_concurrent_jobs_and_webhooks_record_one_payment_per_invoice(
    stripe_fake: RunningFake, round_: int
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")
    building = PropertyFactory(
        payments_enabled=True, accepted_methods=["card", "acss_debit"], next_invoice_number=10
    )
    p = payer(building, email=f"race{round_}@example.com")
    # The setup's event delivered three times at once (twice the same, once under another id).
    url = autopay.start_enrolment(
        user=p.user,
        unit_id=p.invoice.unit_id,
        method="acss_debit",
        success_url=PORTAL + "?setup=done&session_id={CHECKOUT_SESSION_ID}",
        cancel_url=PORTAL,
    )
    setup = stripe_fake.fake.complete_setup(url.rsplit("/", 1)[1], method="acss_debit")
    bodies = [json.dumps(setup), json.dumps(setup), json.dumps({**setup, "id": setup["id"] + "_other"})]
    statuses = _race([lambda body=body: post_event(Client(), body).status_code for body in bodies])
    assert statuses == [200, 200, 200]
    assert AutopayEnrolment.objects.filter(unit_id=p.invoice.unit_id).count() == 1
    assert EmailMessage.objects.filter(kind="autopay_enrolled", to_email=p.user.email).count() == 1
    invoice = next_invoice(p, days=10)
    run_autopay(now=at(today_in(building.timezone)))
    # Two schedulers on the due date at once: one debit.
    _race([lambda: run_autopay(now=at(invoice.due_date)), lambda: run_autopay(now=at(invoice.due_date))])
    assert Payment.objects.filter(invoice=invoice).count() == 1
    succeeded = next(e for e in stripe_fake.fake.events if e["type"] == "payment_intent.succeeded")
    same = json.dumps(succeeded)
    other = json.dumps({**succeeded, "id": succeeded["id"] + "_other"})
    statuses = _race(
        [lambda body=body: post_event(Client(), body).status_code for body in (same, same, other, other)]
    )
    assert statuses == [200, 200, 200, 200]
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("250.00"))
    assert EmailMessage.objects.filter(kind="payment_receipt", invoice=invoice).count() == 1
    # The bank revokes the mandate while the next invoice's debit is announced: its event delivered four
    # times at once (twice under another id) stops autopay once and tells the resident once.
    later = next_invoice(p, days=10, number=3)
    run_autopay(now=at(today_in(building.timezone)))
    assert AutopayDebit.objects.get(invoice=later).status == "scheduled"
    enrolment = AutopayEnrolment.objects.get(unit_id=p.invoice.unit_id)
    revoked = stripe_fake.fake.revoke_mandate(enrolment.mandate_id)
    same, other = json.dumps(revoked), json.dumps({**revoked, "id": revoked["id"] + "_other"})
    statuses = _race(
        [lambda body=body: post_event(Client(), body).status_code for body in (same, same, other, other)]
    )
    assert statuses == [200, 200, 200, 200]
    enrolment.refresh_from_db()
    assert enrolment.status == "revoked"
    assert AutopayDebit.objects.get(invoice=later).status == "cancelled"
    assert EmailMessage.objects.filter(kind="autopay_revoked", to_email=p.user.email).count() == 1
    assert AuditEvent.objects.filter(verb="autopay.revoked").count() == 1
    run_autopay(now=at(later.due_date))
    assert not Payment.objects.filter(invoice=later).exists()


def test_the_demo_shows_an_enrolled_unit_and_a_failed_debit_offline(db: None, settings: Any) -> None:
    from django.core.management import call_command

    settings.STRIPE_SECRET_KEY, settings.STRIPE_DEMO = "", True
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # idempotent
    enrolments = AutopayEnrolment.objects.order_by("unit__number")
    assert [(e.unit.number, e.status) for e in enrolments] == [("101", "active"), ("102", "active")]
    (debit,) = AutopayDebit.objects.all()
    assert (debit.status, debit.failure_code, debit.invoice.unit.number) == (
        "failed",
        "insufficient_funds",
        "102",
    )
    assert debit.invoice.status == InvoiceStatus.OPEN and debit.nsf_invoice is not None
    assert Payment.objects.get(invoice=debit.invoice).status == "failed"
    assert EmailMessage.objects.filter(kind__in=["autopay_failed", "autopay_failed_staff"]).exists()
