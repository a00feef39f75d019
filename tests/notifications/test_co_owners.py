"""Co-owners: every resident of a unit who asked for it (« Recevoir les factures et reçus par courriel »)
receives the unit's invoice, reminder and receipt emails, each once and in their own language; the
primary resident always does and stays the one billed; one who did not ask receives none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.collections.reminders import send_manual_reminder
from logis.invoicing.emails import queue_invoice_published_email
from logis.invoicing.models import Invoice
from logis.invoicing.services import publish_invoice
from logis.notifications.models import EmailMessage
from logis.payments.services import record_payment
from logis.properties.models import Occupancy, Property, Resident
from tests.factories import OccupancyFactory, ResidentFactory, outside_quebec
from tests.notifications.conftest import run_worker
from tests.smtp import SMTPServer

ResidentMaker = Callable[..., Resident]
DraftMaker = Callable[..., Invoice]


def _co_owners(prop: Property, primary: Resident) -> tuple[Occupancy, Occupancy]:
    unit = primary.occupancies.get(is_primary=True).unit
    john = ResidentFactory(property=prop, name="John Smith", email="john@example.com", language="en")
    paul = ResidentFactory(property=prop, name="Paul Roy", email="paul@example.com", language="fr")
    return (
        OccupancyFactory(unit=unit, resident=john, is_primary=False, receives_emails=True),
        OccupancyFactory(unit=unit, resident=paul, is_primary=False, receives_emails=False),
    )


def test_publishing_sends_one_email_to_each_co_owner_who_asked_in_their_language(
    prop: Property,
    manager: User,
    resident_of_unit: ResidentMaker,
    draft_for: DraftMaker,
    smtp_server: SMTPServer,
) -> None:
    outside_quebec(prop)  # John reads English alone: outside Quebec (tests/documents/test_charter.py)
    marie = resident_of_unit(language="fr")
    _co_owners(prop, marie)
    invoice = draft_for(marie)
    result = publish_invoice(actor=manager, invoice_id=invoice.pk)
    assert result.email is not None and result.email.to_email == "marie@example.com"
    # Queuing again (a retried task) writes nothing more: once per recipient.
    queue_invoice_published_email(invoice=Invoice.objects.get(pk=invoice.pk))
    run_worker()
    subjects = {str(m["To"]): str(m["Subject"]) for m in smtp_server.messages}
    assert len(smtp_server.messages) == 2
    assert subjects == {
        "marie@example.com": "Nouvelle facture — Cotisation spéciale — Réparation du toit",
        "john@example.com": "New invoice — Cotisation spéciale — Réparation du toit",
    }


def test_receipts_and_reminders_go_to_the_co_owners_who_asked_too(
    prop: Property,
    manager: User,
    resident_of_unit: ResidentMaker,
    draft_for: DraftMaker,
    smtp_server: SMTPServer,
) -> None:
    outside_quebec(prop)  # John reads English alone: outside Quebec (tests/documents/test_charter.py)
    marie = resident_of_unit(language="fr")
    _co_owners(prop, marie)
    invoice = draft_for(marie, notify_resident=False)
    publish_invoice(actor=manager, invoice_id=invoice.pk)
    send_manual_reminder(actor=manager, property=prop, invoice_id=invoice.pk)
    record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("100.00"),
        paid_on=dt.date.today() - dt.timedelta(days=1),
        method="cheque",
    )
    run_worker()
    received = sorted((str(m["To"]), str(m["Subject"]).split(" — ")[0]) for m in smtp_server.messages)
    kinds = {to for to, _subject in received}
    assert kinds == {"marie@example.com", "john@example.com"}  # never paul@, who did not ask
    assert len(received) == 4  # one reminder and one receipt each
    john = [subject for to, subject in received if to == "john@example.com"]
    assert "Payment received" in john
    receipt = next(
        m
        for m in smtp_server.messages
        if str(m["To"]) == "john@example.com" and str(m["Subject"]).startswith("Payment received")
    )
    assert any(part.get_content_type() == "application/pdf" for part in receipt.iter_attachments())
    assert EmailMessage.objects.filter(to_email="paul@example.com").count() == 0


def test_managers_turn_it_on_and_off_on_the_resident_page_and_the_unit_page_shows_who_receives_what(
    prop: Property, manager_client: Client, resident_of_unit: ResidentMaker
) -> None:
    marie = resident_of_unit(language="fr")
    john_link, paul_link = _co_owners(prop, marie)
    url = reverse("properties:occupancy_emails", args=[prop.pk, paul_link.pk])
    response = manager_client.post(url, {"receives_emails": "1", "next": "unit"})
    assert response.status_code == 302
    paul_link.refresh_from_db()
    assert paul_link.receives_emails
    manager_client.post(
        reverse("properties:occupancy_emails", args=[prop.pk, john_link.pk]), {"receives_emails": "0"}
    )
    john_link.refresh_from_db()
    assert not john_link.receives_emails
    page = manager_client.get(
        reverse("properties:unit_detail", args=[prop.pk, paul_link.unit_id])
    ).content.decode()
    assert "Recevoir les factures et reçus par courriel" in page
    assert "Oui (résident principal : toujours)" in page
    resident_page = manager_client.get(
        reverse("properties:resident_detail", args=[prop.pk, john_link.resident_id])
    )
    assert "Activer" in resident_page.content.decode()


def test_residents_list_shows_which_co_owners_receive_the_emails(
    prop: Property, manager_client: Client, resident_of_unit: ResidentMaker
) -> None:
    marie = resident_of_unit(language="fr")
    _co_owners(prop, marie)
    page = manager_client.get(reverse("properties:residents", args=[prop.pk])).content.decode()
    rows = {name: page.split(name, 1)[1].split("</tr>", 1)[0] for name in ("John Smith", "Paul Roy")}
    assert "Reçoit les courriels" in rows["John Smith"]
    assert "Reçoit les courriels" not in rows["Paul Roy"]
