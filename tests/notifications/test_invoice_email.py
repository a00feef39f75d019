"""The 'new invoice' email: queued once at publish, in the resident's language, delivered by the worker
to a real SMTP server (aiosmtpd on 127.0.0.1), retried through an outage, never sent twice."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import itertools
import re
import socket
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from logis.accounts.models import User
from logis.invoicing.emails import invoice_email_blocker, invoice_link, queue_invoice_published_email
from logis.invoicing.models import Invoice
from logis.invoicing.services import create_invoice, publish_invoice, void_invoice
from logis.notifications.delivery import MAX_ATTEMPTS, requeue_stalled_emails, retry_delay
from logis.notifications.delivery_state import delivery_state
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.notifications.selectors import emails_for_invoice
from logis.notifications.tasks import deliver_email
from logis.properties.models import Property, Resident
from tests.factories import InvoiceFactory, OccupancyFactory, ResidentFactory, UnitFactory, outside_quebec
from tests.notifications.conftest import pending_tasks, run_worker, time_passes
from tests.smtp import SMTPServer, body_text

NBSP = "\u00a0"

ResidentMaker = Callable[..., Resident]
DraftMaker = Callable[..., Invoice]


def publish(manager: User, invoice: Invoice) -> EmailMessage:
    result = publish_invoice(actor=manager, invoice_id=invoice.pk)
    assert result.email is not None, result.email_blocker
    return result.email


# --- Queued once, at publish, in the same transaction --------------------------------------------


def test_publish_with_notify_queues_exactly_one_email_and_one_task(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker
) -> None:
    invoice = draft_for(resident_of_unit())

    message = publish(manager, invoice)

    assert EmailMessage.objects.count() == 1
    assert message.key == f"invoice-published:{invoice.pk}"
    assert message.status == DeliveryStatus.QUEUED
    assert message.to_email == "marie@example.com"
    [task] = pending_tasks()
    assert task.task_path == "logis.notifications.tasks.deliver_email"
    assert task.args_kwargs["args"] == [message.pk]


def test_queuing_twice_for_the_same_invoice_keeps_one_email(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker
) -> None:
    invoice = draft_for(resident_of_unit())
    first = publish(manager, invoice)

    again = queue_invoice_published_email(invoice=Invoice.objects.get(pk=invoice.pk))

    assert again == first
    assert EmailMessage.objects.count() == 1
    assert len(pending_tasks()) == 1


def test_drafts_never_send_email(manager: User, prop: Property, resident_of_unit: ResidentMaker) -> None:
    resident = resident_of_unit()
    create_invoice(
        actor=manager,
        property=prop,
        unit_id=resident.occupancies.get().unit_id,
        title="Frais de stationnement — Janvier 2026",
        amount=Decimal("50.00"),
        due_date=timezone.localdate() + dt.timedelta(days=3),
        notify_resident=True,
    )

    assert EmailMessage.objects.count() == 0
    assert pending_tasks() == []


def test_publish_without_notify_sends_no_email(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker
) -> None:
    invoice = draft_for(resident_of_unit(), notify_resident=False)

    result = publish_invoice(actor=manager, invoice_id=invoice.pk)

    assert result.email is None
    assert EmailMessage.objects.count() == 0
    assert pending_tasks() == []


def test_rolled_back_publish_queues_nothing(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker
) -> None:
    invoice = draft_for(resident_of_unit())

    with pytest.raises(RuntimeError), transaction.atomic():
        publish(manager, invoice)
        assert EmailMessage.objects.count() == 1
        raise RuntimeError("something later in the same transaction failed")

    assert EmailMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert Invoice.objects.get(pk=invoice.pk).number is None


def test_queuing_the_email_takes_a_bounded_number_of_queries(
    resident_of_unit: ResidentMaker, draft_for: DraftMaker, django_assert_max_num_queries: Callable
) -> None:
    invoice = draft_for(resident_of_unit(), status="open", number=1)
    invoice = Invoice.objects.select_related("property", "unit").get(pk=invoice.pk)

    # 10: the eighth, the invoice's lines (issue 11), the « Voir et payer » link's INSERT (decision 0025).
    with django_assert_max_num_queries(10):
        queue_invoice_published_email(invoice=invoice)


# --- Delivered by the worker, in the resident's language ------------------------------------------


def test_worker_delivers_the_email_in_french_to_a_french_resident(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    invoice = draft_for(resident_of_unit(language="fr"))
    message = publish(manager, invoice)
    number = Invoice.objects.get(pk=invoice.pk).number

    run_worker()

    [received] = smtp_server.messages
    assert received["To"] == "marie@example.com"
    assert received["Subject"] == "Nouvelle facture — Cotisation spéciale — Réparation du toit"
    text = body_text(received)
    assert "Bonjour Marie Tremblay," in text
    assert "unité 101 (Les Jardins du Parc)" in text
    assert re.search(rf"Facture n[º°] {number}\n", text)
    assert "Titre : Cotisation spéciale — Réparation du toit" in text
    assert f"Montant : 1{NBSP}234,56{NBSP}$" in text
    assert "Date d'échéance : 15 janvier 2031" in text
    assert "Remplacement de la membrane.\nTravaux en mai." in text
    assert f"Consulter la facture : {invoice_link(invoice)}" in text
    html = body_text(received, "html")
    assert '<html lang="fr">' in html
    assert f"1{NBSP}234,56{NBSP}$" in html
    assert "15 janvier 2031" in html
    assert f'href="{invoice_link(invoice)}"' in html
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert pending_tasks() == []


def test_worker_delivers_the_email_in_english_to_an_english_resident(
    prop: Property,
    manager: User,
    resident_of_unit: ResidentMaker,
    draft_for: DraftMaker,
    smtp_server: SMTPServer,
) -> None:
    outside_quebec(prop)  # English alone: outside Quebec (in Quebec, tests/documents/test_charter.py)
    resident = resident_of_unit(language="en", email="john@example.com", name="John Smith")
    invoice = draft_for(resident, title="Monthly condo fees", description="January dues.")
    # The manager works in French: the email is still written in the resident's language.
    with translation.override("fr"):
        publish(manager, invoice)

    run_worker()

    [received] = smtp_server.messages
    assert received["To"] == "john@example.com"
    assert received["Subject"] == "New invoice — Monthly condo fees"
    text = body_text(received)
    assert "Hello John Smith," in text
    assert "unit 101 (Les Jardins du Parc)" in text
    assert "Title: Monthly condo fees" in text
    assert "Amount: $1,234.56" in text
    assert "Due date: January 15, 2031" in text
    assert "January dues." in text
    assert f"View the invoice: {invoice_link(invoice)}" in text
    html = body_text(received, "html")
    assert '<html lang="en">' in html
    assert "$1,234.56" in html
    assert "View the invoice" in html


def test_the_link_points_to_the_resident_portal_on_the_site(settings, db: None) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://logis.example.com"
    invoice = InvoiceFactory()

    assert invoice_link(invoice).startswith("https://logis.example.com/portal/")


def test_html_email_escapes_what_managers_typed(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    resident = resident_of_unit(name="<b>Zoé</b>")
    invoice = draft_for(resident, title="<script>alert(1)</script>", description='<img src=x onerror="x()">')
    publish(manager, invoice)

    run_worker()

    [received] = smtp_server.messages
    html = body_text(received, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "&lt;b&gt;Zoé&lt;/b&gt;" in html
    # Plain text is not HTML: it shows exactly what was typed.
    assert "Titre : <script>alert(1)</script>" in body_text(received)


# --- Never twice ---------------------------------------------------------------------------------


def test_delivery_task_run_twice_sends_once(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    deliver_email.enqueue(message.pk)  # a second task for the same message

    run_worker()
    assert deliver_email.call(message.pk) == "skipped"

    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 1


# --- SMTP outage: retried with backoff, none lost, none twice ---------------------------------------


def test_smtp_outage_records_the_attempt_and_schedules_a_retry(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    smtp_server.stop()
    before = timezone.now()

    run_worker()

    message.refresh_from_db()
    assert message.status == DeliveryStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error_code == "connection_refused"
    assert "refused" in message.last_error.lower()
    assert message.next_attempt_at is not None
    assert (
        before + dt.timedelta(seconds=29)
        <= message.next_attempt_at
        <= timezone.now() + dt.timedelta(seconds=31)
    )
    [retry] = pending_tasks()
    assert retry.args_kwargs["args"] == [message.pk]
    assert retry.run_after == message.next_attempt_at
    # Not due yet: running the worker again now sends nothing and counts no attempt.
    smtp_server.start()
    run_worker()
    assert smtp_server.messages == []
    message.refresh_from_db()
    assert message.attempts == 1


def test_status_reads_queued_and_retrying_while_the_mail_server_is_down(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    smtp_server.stop()
    run_worker()
    message.refresh_from_db()

    with translation.override("fr"):
        state = delivery_state(message)
        assert state.label == "En file d'attente"
        assert state.retrying
        assert state.summary.startswith(
            f"La tentative 1 sur {MAX_ATTEMPTS} a échoué : Le serveur de courriel a refusé la connexion."
        )
        assert "Prochain essai : " in state.summary
    with translation.override("en"):
        state = delivery_state(message)
        assert state.label == "Queued"
        assert state.summary.startswith(
            f"Attempt 1 of {MAX_ATTEMPTS} failed: The mail server refused the connection. Next try: "
        )


def test_retry_after_the_smtp_server_restarts_delivers_exactly_one_email(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    smtp_server.stop()
    run_worker()
    time_passes(message)
    run_worker()  # still down: a second failed attempt
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > timezone.now() + dt.timedelta(seconds=100)  # 2 min the second time

    smtp_server.start()
    time_passes(message)
    run_worker()

    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 3
    assert message.last_error == ""
    assert pending_tasks() == []
    # Whatever runs again afterwards sends nothing more.
    time_passes(message)
    run_worker()
    deliver_email.call(message.pk)
    assert len(smtp_server.messages) == 1


def test_gives_up_after_max_attempts_with_the_reason(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    smtp_server.stop()

    for _attempt in range(MAX_ATTEMPTS):
        time_passes(message)
        run_worker()

    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert message.last_error_code == "connection_refused"
    assert message.next_attempt_at is None
    assert pending_tasks() == []
    with translation.override("fr"):
        state = delivery_state(message)
        assert state.label == "Échec"
        assert state.summary == (
            f"Non envoyé après {MAX_ATTEMPTS} tentatives : Le serveur de courriel a refusé la connexion."
        )
    with translation.override("en"):
        assert delivery_state(message).summary == (
            f"Not sent after {MAX_ATTEMPTS} attempts: The mail server refused the connection."
        )
    # Final: the server coming back, or the safety net, sends nothing.
    smtp_server.start()
    assert requeue_stalled_emails() == []
    deliver_email.call(message.pk)
    assert smtp_server.messages == []


def test_backoff_grows_exponentially_and_is_capped() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]

    assert delays[:4] == [
        dt.timedelta(seconds=30),
        dt.timedelta(minutes=2),
        dt.timedelta(minutes=8),
        dt.timedelta(minutes=32),
    ]
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert max(delays) == dt.timedelta(hours=6)


def test_refused_recipient_fails_at_once_without_retrying(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit(email="gone@example.com")))
    smtp_server.refused_recipients.add("gone@example.com")

    run_worker()

    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert message.attempts == 1
    assert message.last_error_code == "recipient_refused"
    assert "550" in message.last_error
    assert pending_tasks() == []
    with translation.override("fr"):
        assert "Le serveur de courriel a refusé l'adresse du destinataire." in delivery_state(message).summary


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung mail server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def test_mail_server_that_does_not_answer_counts_as_a_timeout_and_is_retried(
    manager: User,
    resident_of_unit: ResidentMaker,
    draft_for: DraftMaker,
    smtp_server: SMTPServer,
    settings,
    silent_server: int,
) -> None:  # type: ignore[no-untyped-def]
    message = publish(manager, draft_for(resident_of_unit()))
    settings.EMAIL_PORT = silent_server
    settings.EMAIL_TIMEOUT = 0.3

    run_worker()

    message.refresh_from_db()
    assert message.status == DeliveryStatus.QUEUED
    assert message.last_error_code == "timeout"
    assert len(pending_tasks()) == 1
    with translation.override("en"):
        assert "The mail server did not answer in time." in delivery_state(message).summary


def test_email_still_waiting_when_the_invoice_is_voided_is_never_sent(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    invoice = draft_for(resident_of_unit())
    message = publish(manager, invoice)
    smtp_server.stop()
    run_worker()  # the outage delays it
    void_invoice(actor=manager, invoice_id=invoice.pk, reason="Erreur de montant")
    smtp_server.start()

    time_passes(message)
    run_worker()

    assert smtp_server.messages == []
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert pending_tasks() == []
    with translation.override("fr"):
        state = delivery_state(message)
        assert state.label == "Échec"
        assert state.summary == "La facture a été annulée avant que le courriel puisse être envoyé."


# --- Safety net: a worker that died mid-delivery --------------------------------------------------


def test_send_queued_emails_hands_a_stalled_email_to_the_worker_again(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker, smtp_server: SMTPServer
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    # The worker took the task, leased the message and died before sending: task gone, lease passed.
    DBTaskResult.objects.all().delete()
    EmailMessage.objects.filter(pk=message.pk).update(
        attempts=1, next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )

    call_command("send_queued_emails", verbosity=0)
    run_worker()

    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_safety_net_leaves_alone_emails_that_have_a_task_or_a_lease(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))
    old = timezone.now() + dt.timedelta(hours=1)

    assert requeue_stalled_emails(now=old) == []  # its task is waiting
    DBTaskResult.objects.all().delete()
    EmailMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert requeue_stalled_emails() == []  # a worker holds the lease


# --- No email possible: the reason, in the manager's language --------------------------------------


def test_unit_without_primary_resident_queues_no_email_and_says_why(manager: User, prop: Property) -> None:
    unit = UnitFactory(property=prop, number="112")
    invoice = InvoiceFactory(property=prop, unit=unit, notify_resident=True)

    result = publish_invoice(actor=manager, invoice_id=invoice.pk)

    assert result.email is None
    assert EmailMessage.objects.count() == 0
    assert pending_tasks() == []
    with translation.override("fr"):
        assert invoice_email_blocker(invoice) == (
            "L'unité 112 n'a pas de résident principal : aucun courriel ne peut être envoyé."
        )
    with translation.override("en"):
        assert invoice_email_blocker(invoice) == "Unit 112 has no primary resident: no email can be sent."


def test_primary_resident_without_email_queues_no_email_and_says_why(prop: Property) -> None:
    unit = UnitFactory(property=prop, number="104")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Luc Roy", email=""))
    invoice = InvoiceFactory(property=prop, unit=unit, notify_resident=True)

    assert queue_invoice_published_email(invoice=invoice) is None
    assert EmailMessage.objects.count() == 0
    with translation.override("fr"):
        assert invoice_email_blocker(invoice) == (
            "Luc Roy, le résident principal de l'unité 104, n'a pas d'adresse courriel."
        )
    with translation.override("en"):
        assert (
            invoice_email_blocker(invoice)
            == "Luc Roy, the primary resident of unit 104, has no email address."
        )


def test_invalid_email_address_queues_no_email_and_says_why(prop: Property) -> None:
    unit = UnitFactory(property=prop, number="105")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop, name="Ana Lee", email="ana@@example"))
    invoice = InvoiceFactory(property=prop, unit=unit, notify_resident=True)

    assert queue_invoice_published_email(invoice=invoice) is None
    assert DBTaskResult.objects.count() == 0
    with translation.override("fr"):
        assert invoice_email_blocker(invoice) == "L'adresse courriel inscrite pour Ana Lee n'est pas valide."
    with translation.override("en"):
        assert invoice_email_blocker(invoice) == "The email address of Ana Lee is not valid."


def test_secondary_resident_does_not_count_as_primary(prop: Property) -> None:
    unit = UnitFactory(property=prop, number="106")
    OccupancyFactory(unit=unit, resident=ResidentFactory(property=prop), is_primary=False)
    invoice = InvoiceFactory(property=prop, unit=unit, notify_resident=True)

    assert queue_invoice_published_email(invoice=invoice) is None
    with translation.override("en"):
        assert invoice_email_blocker(invoice) == "Unit 106 has no primary resident: no email can be sent."


# --- Delivery state on the invoice page ------------------------------------------------------------


def test_delivery_badges_read_queued_sent_failed_in_french_and_english(
    manager: User, resident_of_unit: ResidentMaker, draft_for: DraftMaker
) -> None:
    message = publish(manager, draft_for(resident_of_unit()))

    def badge(language: str) -> str:
        with translation.override(language):
            return html_lib.unescape(
                render_to_string("notifications/_delivery_badge.html", {"message": message})
            )

    assert "En file d'attente" in badge("fr")
    assert "En attente d'envoi." in badge("fr")
    assert "Queued" in badge("en")
    message.status, message.sent_at = DeliveryStatus.SENT, timezone.now()
    assert "Envoyé" in badge("fr")
    assert "Sent on " in badge("en")
    message.status, message.attempts, message.last_error_code = DeliveryStatus.FAILED, 8, "network"
    message.last_error = "[Errno 101] Network is unreachable"
    assert "Échec" in badge("fr")
    assert "Le serveur de courriel est injoignable." in badge("fr")
    assert "[Errno 101] Network is unreachable" in badge("en")


def test_invoice_email_list_renders_in_a_constant_number_of_queries(
    manager: User,
    prop: Property,
    resident_of_unit: ResidentMaker,
    draft_for: DraftMaker,
    django_assert_num_queries: Callable,
) -> None:
    invoice = draft_for(resident_of_unit())
    publish(manager, invoice)
    for n in range(3):
        EmailMessage.objects.create(
            key=f"other:{n}",
            property=prop,
            invoice=invoice,
            kind="reminder",
            to_email="marie@example.com",
            subject=f"Rappel {n}",
            body_text="…",
        )

    with django_assert_num_queries(1), translation.override("en"):
        html = render_to_string("notifications/_invoice_emails.html", {"emails": emails_for_invoice(invoice)})

    assert html.count('class="badge') == 4
    assert "Nouvelle facture — Cotisation spéciale — Réparation du toit" in html
