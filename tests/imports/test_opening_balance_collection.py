"""An imported opening balance is collected like any amount owed: the scheduler's automatic reminder goes
out for it, and the resident pays it online from the portal (Stripe Checkout, recorded from the signed
webhook)."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import User
from logis.collections.models import ReminderPolicy, ReminderSent
from logis.core import scheduler
from logis.core.dates import today_in
from logis.imports.services import apply_import, preview_import
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.models import Payment
from logis.properties.models import Property, Resident, Unit
from tests.factories import UserFactory
from tests.imports.helpers import csv_bytes
from tests.payments.stripe_fake import RunningFake, post_event, stripe_fake_fixture  # noqa: F401

D = Decimal


def _import_balance(manager: User, prop: Property, days_ago: int) -> Invoice:
    day = (today_in(prop.timezone) - dt.timedelta(days=days_ago)).isoformat()
    rows = [["101", "100", "", "Marie", "Tremblay", "marie@example.com", "oui", "432,10", day]]
    batch, plan = preview_import(actor=manager, property=prop, name="u.csv", data=csv_bytes(rows))
    assert plan.ok, plan.errors
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    return Invoice.objects.get(unit=Unit.objects.get(property=prop, number="101"))


def test_the_scheduler_reminds_an_overdue_opening_balance_once(manager: User, prop: Property) -> None:
    invoice = _import_balance(manager, prop, days_ago=7)
    ReminderPolicy.objects.update_or_create(
        property=prop, defaults={"enabled": True, "days_before": [], "days_after": [7]}
    )
    now = timezone.now()
    first = scheduler.run_due_jobs(now=now, only=lambda name: name == "collections.reminders")
    again = scheduler.run_due_jobs(now=now, only=lambda name: name == "collections.reminders")
    assert (first["collections.reminders"], again["collections.reminders"]) == (1, 0)
    assert ReminderSent.objects.filter(invoice=invoice).count() == 1
    email = EmailMessage.objects.get(to_email="marie@example.com", kind__contains="reminder")
    assert "Solde d'ouverture" in email.subject


def test_the_resident_pays_an_opening_balance_online(
    manager: User, prop: Property, stripe_fake: RunningFake
) -> None:
    prop.accepted_methods = ["card", "cheque"]
    prop.save()
    invoice = _import_balance(manager, prop, days_ago=3)
    marie = UserFactory(email="marie@example.com")
    Resident.objects.filter(email="marie@example.com").update(user=marie)
    client = Client()
    client.force_login(marie)
    page = client.get(reverse("portal:invoice", args=[invoice.pk]))
    assert "Solde d'ouverture" in html.unescape(page.content.decode())
    response = client.post(reverse("portal:pay", args=[invoice.pk]))
    assert response.status_code == 302 and response["Location"].startswith(stripe_fake.url)
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    event = stripe_fake.fake.complete_session(session_id)
    assert post_event(Client(), event).status_code == 200
    assert post_event(Client(), event).status_code == 200  # Stripe retries: recorded once
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.amount, payment.method) == (D("432.10"), "card")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, D("432.10"))


def test_late_fees_start_on_the_day_set_so_an_old_opening_balance_gets_none(
    manager: User, prop: Property
) -> None:
    from logis.collections.models import LateFee
    from logis.collections.policies import update_late_fee_policy

    opening = _import_balance(manager, prop, days_ago=40)
    today = today_in(prop.timezone)
    newer = Invoice.objects.create(
        property=prop,
        unit=opening.unit,
        number=9001,
        title="Charges",
        amount=D("100.00"),
        due_date=today - dt.timedelta(days=20),
        status=InvoiceStatus.OPEN,
        published_at=timezone.now(),
    )
    from logis.core.permissions import Role
    from tests.factories import member

    update_late_fee_policy(
        actor=member(prop, Role.ADMIN),
        property=prop,
        enabled=True,
        mode="fixed",
        fixed_amount=D("25.00"),
        yearly_rate=None,
        grace_days=0,
        applies_from=today - dt.timedelta(days=30),
    )
    scheduler.run_due_jobs(now=timezone.now(), only=lambda name: name == "collections.late_fees")
    assert set(LateFee.objects.values_list("original_id", flat=True)) == {newer.pk}
