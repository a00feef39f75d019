"""Automatic reminders: N days before and M days after the due date, in the property's local dates, in
the resident's language, only for unpaid invoices, each one once — whatever the clock says."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from decimal import Decimal
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.collections.models import ReminderKind, ReminderPolicy, ReminderSent
from logis.collections.reminders import (
    CATCH_UP_DAYS,
    SKIPPED_NO_RECIPIENT,
    SKIPPED_PUBLISHED_LATE,
    SKIPPED_SUPERSEDED,
    send_due_reminders,
)
from logis.core import scheduler
from logis.core.models import AuditEvent
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.properties.models import Property, Unit
from tests.collections.conftest import at
from tests.factories import InvoiceFactory, OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory
from tests.smtp import SMTPServer, body_text, run_worker

InvoiceMaker = Callable[..., Invoice]
PolicyMaker = Callable[..., ReminderPolicy]
NBSP = "\u00a0"

DUE = dt.date(2027, 6, 15)


def reminders_of(invoice: Invoice) -> list[tuple[str, int]]:
    return sorted(ReminderSent.objects.filter(invoice=invoice).values_list("kind", "offset_days"))


# --- Registered, on schedule, once ------------------------------------------------------------


def test_both_jobs_are_registered_with_the_scheduler_and_run_by_it(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    jobs = scheduler.jobs()
    assert "collections.reminders" in jobs
    assert "collections.late_fees" in jobs
    reminder_policy(after=[1])
    invoice_due(DUE)
    results = scheduler.run_due_jobs(
        now=at(DUE + dt.timedelta(days=1)), only=lambda n: n.startswith("collections.")
    )
    assert results == {"collections.late_fees": 0, "collections.reminders": 1}


def test_a_reminder_n_days_before_is_sent_on_that_local_date_only_once(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[3])
    invoice = invoice_due(DUE)

    assert send_due_reminders(now=at(DUE - dt.timedelta(days=4), 23, 59)) == 0
    assert send_due_reminders(now=at(DUE - dt.timedelta(days=3), 0, 1)) == 1
    assert send_due_reminders(now=at(DUE - dt.timedelta(days=3), 0, 2)) == 0  # the job runs every minute
    assert send_due_reminders(now=at(DUE - dt.timedelta(days=2))) == 0

    assert reminders_of(invoice) == [(ReminderKind.BEFORE, 3)]
    [email] = EmailMessage.objects.filter(invoice=invoice)
    assert email.kind == "invoice_reminder"
    assert email.to_email == "marie@example.com"
    assert email.status == DeliveryStatus.QUEUED


def test_several_reminders_before_and_after_are_each_sent_once(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[7, 1], after=[1, 10])
    invoice = invoice_due(DUE)

    sent = 0
    day = DUE - dt.timedelta(days=10)
    while day <= DUE + dt.timedelta(days=15):
        for hour in (0, 9, 23):  # several runs a day
            sent += send_due_reminders(now=at(day, hour))
        day += dt.timedelta(days=1)

    assert sent == 4
    assert reminders_of(invoice) == [
        (ReminderKind.AFTER, 1),
        (ReminderKind.AFTER, 10),
        (ReminderKind.BEFORE, 1),
        (ReminderKind.BEFORE, 7),
    ]
    scheduled = {
        (kind, n): day
        for kind, n, day in ReminderSent.objects.values_list("kind", "offset_days", "scheduled_for")
    }
    assert scheduled[(ReminderKind.BEFORE, 7)] == dt.date(2027, 6, 8)
    assert scheduled[(ReminderKind.AFTER, 10)] == dt.date(2027, 6, 25)
    assert EmailMessage.objects.filter(invoice=invoice).count() == 4


def test_running_the_job_twice_at_the_same_instant_sends_one_reminder(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[5])
    invoice = invoice_due(DUE)
    now = at(DUE + dt.timedelta(days=5))

    assert send_due_reminders(now=now) + send_due_reminders(now=now) == 1
    assert EmailMessage.objects.filter(invoice=invoice).count() == 1


def test_the_send_once_guard_is_a_unique_constraint(invoice_due: InvoiceMaker) -> None:
    from django.db import IntegrityError, transaction

    invoice = invoice_due(DUE)
    fields = {"property": invoice.property, "invoice": invoice, "kind": ReminderKind.AFTER, "offset_days": 5}
    ReminderSent.objects.create(scheduled_for=DUE, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSent.objects.create(scheduled_for=DUE, **fields)
    # Reminders sent by hand are not limited.
    for _ in range(2):
        ReminderSent.objects.create(
            property=invoice.property, invoice=invoice, kind=ReminderKind.MANUAL, scheduled_for=DUE
        )


# --- Only unpaid, not void, not draft ----------------------------------------------------------


def test_no_reminder_for_paid_void_or_draft_invoices(
    prop: Property, unit: Unit, invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[3], after=[3])
    paid = invoice_due(DUE, amount=Decimal("100.00"), amount_paid=Decimal("100.00"))
    void = invoice_due(DUE, status=InvoiceStatus.VOID)
    draft = InvoiceFactory(property=prop, unit=unit, due_date=DUE)
    partly_paid = invoice_due(DUE, amount=Decimal("100.00"), amount_paid=Decimal("40.00"))

    assert paid.status == InvoiceStatus.PAID
    send_due_reminders(now=at(DUE - dt.timedelta(days=3)))
    send_due_reminders(now=at(DUE + dt.timedelta(days=3)))

    assert reminders_of(paid) == reminders_of(void) == reminders_of(draft) == []
    assert reminders_of(partly_paid) == [(ReminderKind.AFTER, 3), (ReminderKind.BEFORE, 3)]


def test_an_invoice_paid_after_the_first_reminder_gets_no_more(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[3], after=[3])
    invoice = invoice_due(DUE)
    send_due_reminders(now=at(DUE - dt.timedelta(days=3)))
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=invoice.amount, status=InvoiceStatus.PAID)

    assert send_due_reminders(now=at(DUE + dt.timedelta(days=3))) == 0
    assert reminders_of(invoice) == [(ReminderKind.BEFORE, 3)]


def test_a_disabled_policy_sends_nothing(invoice_due: InvoiceMaker, reminder_policy: PolicyMaker) -> None:
    reminder_policy(before=[3], enabled=False)
    invoice_due(DUE)
    assert send_due_reminders(now=at(DUE - dt.timedelta(days=3))) == 0
    assert not ReminderSent.objects.exists()


def test_a_before_reminder_is_never_sent_on_or_after_the_due_date(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[1])
    invoice = invoice_due(DUE)
    # The scheduler was down the day before the due date: too late now.
    assert send_due_reminders(now=at(DUE)) == 0
    assert reminders_of(invoice) == []


@pytest.mark.parametrize("published_days_before", [5, 7])
def test_no_reminder_dated_on_or_before_the_day_the_invoice_was_published(
    published_days_before: int, invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[7])
    # Published 5 days before it is due (the "7 days before" date had passed), or that very day
    # (the publish notice says it all).
    published = at(DUE - dt.timedelta(days=published_days_before), 10)
    invoice = invoice_due(DUE, published_at=published)
    assert send_due_reminders(now=published + dt.timedelta(hours=1)) == 0
    assert send_due_reminders(now=at(DUE - dt.timedelta(days=5), 23)) == 0
    # Recorded as not sent, so later runs do not look at it again.
    [reminder] = ReminderSent.objects.filter(invoice=invoice)
    assert (reminder.email, reminder.skipped_reason) == (None, SKIPPED_PUBLISHED_LATE)
    assert not EmailMessage.objects.filter(invoice=invoice).exists()


# --- Catch-up after an outage -------------------------------------------------------------------


@pytest.mark.parametrize("late_by", range(CATCH_UP_DAYS + 1))
def test_a_missed_reminder_is_caught_up_within_two_days(
    late_by: int, invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[5])
    invoice = invoice_due(DUE)
    assert send_due_reminders(now=at(DUE + dt.timedelta(days=5 + late_by))) == 1
    [reminder] = ReminderSent.objects.filter(invoice=invoice)
    assert reminder.scheduled_for == DUE + dt.timedelta(days=5)


def test_a_reminder_missed_by_more_than_two_days_is_never_sent(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[5])
    invoice = invoice_due(DUE)
    assert send_due_reminders(now=at(DUE + dt.timedelta(days=5 + CATCH_UP_DAYS + 1))) == 0
    assert reminders_of(invoice) == []


def test_when_two_reminders_are_due_after_an_outage_only_the_latest_is_sent(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[1, 2])
    invoice = invoice_due(DUE)

    assert send_due_reminders(now=at(DUE + dt.timedelta(days=2))) == 1

    rows = {r.offset_days: r for r in ReminderSent.objects.filter(invoice=invoice)}
    assert rows[2].email is not None
    assert rows[1].email is None and rows[1].skipped_reason == SKIPPED_SUPERSEDED
    assert EmailMessage.objects.filter(invoice=invoice).count() == 1


# --- Nobody to write to ---------------------------------------------------------------------------


def test_a_unit_without_resident_email_records_the_reminder_as_not_sent(
    prop: Property, invoice_due: InvoiceMaker, reminder_policy: PolicyMaker, manager_client: Client
) -> None:
    reminder_policy(after=[1])
    nobody = UnitFactory(property=prop, number="112")
    invoice = invoice_due(DUE, unit=nobody)

    assert send_due_reminders(now=at(DUE + dt.timedelta(days=1))) == 0
    assert send_due_reminders(now=at(DUE + dt.timedelta(days=2))) == 0

    [reminder] = ReminderSent.objects.filter(invoice=invoice)
    assert reminder.email is None and reminder.skipped_reason == SKIPPED_NO_RECIPIENT
    page = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk]))
    assert "aucun résident principal avec une adresse courriel valide" in page.content.decode()


# --- Time travel: the property's local dates ------------------------------------------------------


def test_feb_29_2028_a_reminder_three_days_before_march_3(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[3])
    invoice = invoice_due(dt.date(2028, 3, 3))
    # 23:30 on Feb 28 in Toronto is already Feb 29 in UTC: not yet.
    assert send_due_reminders(now=at(dt.date(2028, 2, 28), 23, 30)) == 0
    assert send_due_reminders(now=at(dt.date(2028, 2, 29), 0, 5)) == 1
    [reminder] = ReminderSent.objects.filter(invoice=invoice)
    assert reminder.scheduled_for == dt.date(2028, 2, 29)


def test_feb_29_2028_a_reminder_one_day_after_feb_28(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[1, 2])
    invoice = invoice_due(dt.date(2028, 2, 28))
    assert send_due_reminders(now=at(dt.date(2028, 2, 29), 8)) == 1
    assert send_due_reminders(now=at(dt.date(2028, 3, 1), 8)) == 1
    assert dict(ReminderSent.objects.filter(invoice=invoice).values_list("offset_days", "scheduled_for")) == {
        1: dt.date(2028, 2, 29),
        2: dt.date(2028, 3, 1),
    }


@pytest.mark.parametrize(
    ("due", "after", "expected"),
    [
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 1)),  # month end
        (dt.date(2027, 2, 28), 1, dt.date(2027, 3, 1)),  # February of a common year
        (dt.date(2027, 12, 31), 1, dt.date(2028, 1, 1)),  # year end
        (dt.date(2027, 4, 30), 31, dt.date(2027, 5, 31)),
    ],
)
def test_reminders_after_month_and_year_ends(
    due: dt.date,
    after: int,
    expected: dt.date,
    invoice_due: InvoiceMaker,
    reminder_policy: PolicyMaker,
) -> None:
    reminder_policy(after=[after])
    invoice = invoice_due(due)
    assert send_due_reminders(now=at(expected - dt.timedelta(days=1), 23, 59)) == 0
    assert send_due_reminders(now=at(expected, 0, 0)) == 1
    assert ReminderSent.objects.get(invoice=invoice).scheduled_for == expected


@pytest.mark.parametrize(
    ("due", "dst_day"),
    [
        (dt.date(2027, 3, 17), dt.date(2027, 3, 14)),  # clocks go forward at 2:00 on March 14, 2027
        (dt.date(2027, 11, 10), dt.date(2027, 11, 7)),  # clocks go back at 2:00 on November 7, 2027
    ],
)
def test_three_days_before_across_daylight_saving_changes_in_toronto(
    due: dt.date, dst_day: dt.date, invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[3])
    invoice = invoice_due(due)
    # The last minute of the day before, local time: in UTC it is already the DST day.
    before_midnight = at(dst_day - dt.timedelta(days=1), 23, 59)
    assert before_midnight.astimezone(dt.UTC).date() == dst_day
    assert send_due_reminders(now=before_midnight) == 0
    # The DST day itself, whichever the UTC offset.
    assert send_due_reminders(now=at(dst_day, 0, 1)) == 1
    assert ReminderSent.objects.get(invoice=invoice).scheduled_for == dst_day
    # Every hour of the 23- or 25-hour day finds nothing more to send.
    instant = at(dst_day, 0, 30).astimezone(dt.UTC)  # step in real hours, not wall-clock ones
    while instant < at(dst_day + dt.timedelta(days=1), 0, 0):
        assert send_due_reminders(now=instant) == 0
        instant += dt.timedelta(hours=1)


def test_each_property_uses_its_own_time_zone(reminder_policy: PolicyMaker) -> None:
    """At 06:00 UTC on March 1 it is already March 1 in Toronto and still Feb 29 in Vancouver."""
    now = dt.datetime(2028, 3, 1, 6, 0, tzinfo=dt.UTC)
    due = dt.date(2028, 3, 3)
    sent_in = {}
    for tz in ("America/Toronto", "America/Vancouver"):
        prop = cast(Property, PropertyFactory(timezone=tz))
        ReminderPolicy.objects.create(property=prop, enabled=True, days_before=[2])
        unit = UnitFactory(property=prop)
        OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop))
        invoice = InvoiceFactory(
            property=prop,
            unit=unit,
            due_date=due,
            status=InvoiceStatus.OPEN,
            number=1,
            published_at=timezone.now(),
        )
        sent_in[tz] = invoice
    send_due_reminders(now=now)
    assert reminders_of(sent_in["America/Toronto"]) == [(ReminderKind.BEFORE, 2)]
    assert reminders_of(sent_in["America/Vancouver"]) == []


# --- Cheap when nothing is due ----------------------------------------------------------------------


def test_the_job_costs_one_query_per_property_when_nothing_is_due(
    prop: Property,
    unit: Unit,
    invoice_due: InvoiceMaker,
    reminder_policy: PolicyMaker,
    django_assert_num_queries,
) -> None:
    reminder_policy(before=[7, 3], after=[1, 5, 10])
    for i in range(40):
        invoice_due(DUE + dt.timedelta(days=30 + i))  # none due in the window
    already = invoice_due(DUE)
    send_due_reminders(now=at(DUE + dt.timedelta(days=1)))
    assert reminders_of(already) == [(ReminderKind.AFTER, 1)]

    with django_assert_num_queries(2):  # the enabled policies, then one query for this property
        assert send_due_reminders(now=at(DUE + dt.timedelta(days=1), 10)) == 0


def test_a_backlog_is_worked_off_over_several_runs(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logis.collections import reminders

    monkeypatch.setattr(reminders, "MAX_PER_RUN", 3)
    reminder_policy(after=[1])
    for _ in range(5):
        invoice_due(DUE)
    now = at(DUE + dt.timedelta(days=1))
    assert [send_due_reminders(now=now + dt.timedelta(minutes=i)) for i in range(3)] == [3, 2, 0]
    assert ReminderSent.objects.count() == 5


# --- Audit --------------------------------------------------------------------------------------------


def test_an_automatic_reminder_is_audited_without_a_user(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[1])
    invoice = invoice_due(DUE)
    send_due_reminders(now=at(DUE + dt.timedelta(days=1)))
    event = AuditEvent.objects.get(verb="reminder.sent")
    assert event.actor is None
    assert event.property_id == invoice.property_id
    assert event.after is not None and event.after["invoice"] == invoice.pk


# --- Content, in the resident's language, and delivery -------------------------------------------------


def test_the_reminder_is_written_in_french_for_a_french_resident(
    invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(before=[3])
    invoice = invoice_due(DUE, amount=Decimal("1234.56"), amount_paid=Decimal("234.56"))
    send_due_reminders(now=at(DUE - dt.timedelta(days=3)))
    email = EmailMessage.objects.get(invoice=invoice)
    assert email.language == "fr"
    assert email.subject == "Rappel de paiement — Cotisation de mars"
    body = email.body_text
    assert "Bonjour Marie Tremblay," in body
    assert "Cette facture est due dans 3 jours, le 15 juin 2027." in body
    assert f"Facture nº {invoice.number}" in body
    assert f"Montant : 1{NBSP}234,56{NBSP}$" in body
    assert f"Solde dû : 1{NBSP}000,00{NBSP}$" in body
    assert "Date d'échéance : 15 juin 2027" in body
    assert "http://" in body and "/portal/" in body
    assert "Solde dû" in email.body_html


def test_the_overdue_reminder_is_written_in_english_for_an_english_resident(
    prop: Property, invoice_due: InvoiceMaker, reminder_policy: PolicyMaker
) -> None:
    reminder_policy(after=[5])
    unit = UnitFactory(property=prop, number="102")
    OccupancyFactory(
        unit=unit,
        resident=ResidentFactory(property=prop, name="Jean Gagnon", email="jean@example.com", language="en"),
    )
    invoice = invoice_due(DUE, unit=unit, title="March dues", amount=Decimal("1234.56"))
    send_due_reminders(now=at(DUE + dt.timedelta(days=5)))
    email = EmailMessage.objects.get(invoice=invoice)
    assert email.language == "en"
    assert email.to_email == "jean@example.com"
    assert email.subject == "Overdue invoice — March dues"
    body = email.body_text
    assert "Hello Jean Gagnon," in body
    assert "This invoice was due on June 15, 2027 and is 5 days overdue." in body
    assert f"Invoice no. {invoice.number}" in body
    assert "Balance due: $1,234.56" in body
    assert "Due date: June 15, 2027" in body


def test_a_reminder_is_delivered_to_a_real_smtp_server_and_shown_on_the_invoice(
    prop: Property,
    invoice_due: InvoiceMaker,
    reminder_policy: PolicyMaker,
    manager_client: Client,
    smtp_server: SMTPServer,
) -> None:
    reminder_policy(after=[2])
    invoice = invoice_due(DUE)
    send_due_reminders(now=at(DUE + dt.timedelta(days=2)))

    run_worker()

    [message] = smtp_server.messages
    assert message["To"] == "marie@example.com"
    assert message["Subject"] == "Facture en retard — Cotisation de mars"
    assert "en retard de 2 jours" in body_text(message)
    assert "Solde dû" in body_text(message, "html")
    reminder = ReminderSent.objects.select_related("email").get(invoice=invoice)
    assert reminder.email is not None and reminder.email.status == DeliveryStatus.SENT
    page = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    section = html.unescape(page[page.index('id="invoice-reminders"') :])
    assert "2 jours après l'échéance" in section
    assert "Envoyé" in section
    assert "marie@example.com" in section
