"""« Envoyer un rappel »: a manager sends a reminder by hand, any time, for an open or overdue invoice
whose resident has an email; the role table for the new pages."""

from __future__ import annotations

import datetime as dt
import html
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import User
from logis.collections.models import ReminderKind, ReminderSent
from logis.collections.reminders import send_manual_reminder
from logis.core.errors import InvalidTransition, PermissionDenied
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, UnitFactory, member, open_invoice
from tests.roles import ROLES, Case, World, check_case, members_may, nobody, readable
from tests.smtp import SMTPServer, run_worker

InvoiceMaker = Callable[..., Invoice]
SOON = timezone.localdate() + dt.timedelta(days=20)


def remind_url(invoice: Invoice) -> str:
    return reverse("collections:remind", args=[invoice.property_id, invoice.pk])


def detail_url(invoice: Invoice) -> str:
    return reverse("invoicing:detail", args=[invoice.property_id, invoice.pk])


def test_a_manager_sends_a_reminder_by_hand_and_sees_its_delivery_state(
    invoice_due: InvoiceMaker, manager: User, manager_client: Client, smtp_server: SMTPServer
) -> None:
    invoice = invoice_due(SOON)
    page = html.unescape(manager_client.get(detail_url(invoice)).content.decode())
    assert "Envoyer un rappel" in page

    dialog = html.unescape(manager_client.get(remind_url(invoice), HTTP_HX_REQUEST="true").content.decode())
    assert "Le rappel sera envoyé par courriel à marie@example.com" in dialog

    response = manager_client.post(remind_url(invoice), {"token": str(uuid.uuid4())})
    assert response.status_code == 302 and response["Location"] == detail_url(invoice)
    [reminder] = ReminderSent.objects.filter(invoice=invoice)
    assert (reminder.kind, reminder.sent_by) == (ReminderKind.MANUAL, manager)
    page = html.unescape(manager_client.get(detail_url(invoice)).content.decode())
    assert "Rappel mis en file d'envoi à marie@example.com." in page
    section = page[page.index('id="invoice-reminders"') :]
    assert "Envoyé manuellement par" in section
    assert "En file d'attente" in section and "marie@example.com" in section

    run_worker()
    assert [m["Subject"] for m in smtp_server.messages] == ["Rappel de paiement — Cotisation de mars"]
    page = html.unescape(manager_client.get(detail_url(invoice)).content.decode())
    section = page[page.index('id="invoice-reminders"') :]
    assert "Envoyé le" in section


def test_the_same_confirmation_posted_twice_sends_one_reminder(
    invoice_due: InvoiceMaker, manager_client: Client
) -> None:
    invoice = invoice_due(SOON)
    token = str(uuid.uuid4())
    manager_client.post(remind_url(invoice), {"token": token})
    manager_client.post(remind_url(invoice), {"token": token})
    assert ReminderSent.objects.filter(invoice=invoice).count() == 1
    assert EmailMessage.objects.filter(invoice=invoice).count() == 1


def test_manual_reminders_may_be_sent_again_and_for_overdue_invoices(
    invoice_due: InvoiceMaker, manager: User
) -> None:
    overdue = invoice_due(timezone.localdate() - dt.timedelta(days=3))
    send_manual_reminder(actor=manager, invoice_id=overdue.pk)
    send_manual_reminder(actor=manager, invoice_id=overdue.pk)
    emails = EmailMessage.objects.filter(invoice=overdue)
    assert emails.count() == 2
    assert all(e.subject.startswith("Facture en retard") for e in emails)


@pytest.mark.parametrize("state", ["paid", "void", "draft"])
def test_no_manual_reminder_for_paid_void_or_draft_invoices(
    state: str, prop: Property, unit: Unit, invoice_due: InvoiceMaker, manager: User, manager_client: Client
) -> None:
    if state == "paid":
        invoice = invoice_due(SOON, amount=Decimal("10.00"), amount_paid=Decimal("10.00"))
    elif state == "void":
        invoice = invoice_due(SOON, status=InvoiceStatus.VOID)
    else:
        invoice = cast(Invoice, InvoiceFactory(property=prop, unit=unit, due_date=SOON))
    with pytest.raises(InvalidTransition):
        send_manual_reminder(actor=manager, invoice_id=invoice.pk)
    assert "Envoyer un rappel" not in html.unescape(manager_client.get(detail_url(invoice)).content.decode())
    response = manager_client.post(remind_url(invoice), {"token": str(uuid.uuid4())}, follow=True)
    assert "Les rappels ne sont envoyés que pour les factures ouvertes ou en retard" in html.unescape(
        response.content.decode()
    )
    assert not ReminderSent.objects.exists()


def test_without_a_resident_email_the_page_says_why_no_reminder_can_be_sent(
    prop: Property, invoice_due: InvoiceMaker, manager: User, manager_client: Client
) -> None:
    invoice = invoice_due(SOON, unit=UnitFactory(property=prop, number="112"))
    page = html.unescape(manager_client.get(detail_url(invoice)).content.decode())
    section = page[page.index('id="invoice-reminders"') :]
    assert 'id="reminder-blocker"' in section and "112" in section
    assert "Envoyer un rappel" not in section
    with pytest.raises(InvalidTransition):
        send_manual_reminder(actor=manager, invoice_id=invoice.pk)


def test_board_members_cannot_send_reminders(prop: Property, invoice_due: InvoiceMaker) -> None:
    board = member(prop, Role.BOARD)
    invoice = invoice_due(SOON)
    with pytest.raises(PermissionDenied):
        send_manual_reminder(actor=board, invoice_id=invoice.pk)
    client = Client()
    client.force_login(board)
    assert "Envoyer un rappel" not in client.get(detail_url(invoice)).content.decode()


def test_the_invoice_page_adds_a_fixed_number_of_queries_for_reminders(
    invoice_due: InvoiceMaker, manager: User, manager_client: Client, django_assert_max_num_queries
) -> None:
    invoice = invoice_due(SOON)
    send_manual_reminder(actor=manager, invoice_id=invoice.pk)
    with CaptureQueriesContext(connection) as one:
        manager_client.get(detail_url(invoice))
    for _ in range(5):
        send_manual_reminder(actor=manager, invoice_id=invoice.pk)
    with django_assert_max_num_queries(len(one.captured_queries)):
        manager_client.get(detail_url(invoice))


# --- Role × action table --------------------------------------------------------------------------------


def _open(w: World) -> Invoice:
    if "open" not in w.extra:
        w.extra["open"] = open_invoice(w.prop, number=1, unit=w.unit, due_date=SOON)
    invoice: Invoice = w.extra["open"]
    return invoice


def _other(w: World) -> Invoice:
    return open_invoice(w.other_prop, number=1, unit=w.other_unit, due_date=SOON)


CASES = [
    Case(
        "reminder settings page",
        "get",
        lambda w: reverse("collections:settings", args=[w.prop.pk]),
        readable(),
    ),
    Case(
        "save reminder settings",
        "post",
        lambda w: reverse("collections:settings", args=[w.prop.pk]),
        members_may({Role.ADMIN}),
        data=lambda w: {
            "reminders-enabled": "on",
            "reminders-days_before": "3",
            "reminders-days_after": "",
            "fees-mode": "fixed",
            "fees-grace_days": "0",
        },
    ),
    Case(
        "reminder confirmation",
        "get",
        lambda w: remind_url(_open(w)),
        members_may({Role.ADMIN, Role.MANAGER, Role.TREASURER}, ok=200),
    ),
    Case(
        "send a reminder",
        "post",
        lambda w: remind_url(_open(w)),
        members_may({Role.ADMIN, Role.MANAGER, Role.TREASURER}),
        data=lambda w: {"token": str(uuid.uuid4())},
    ),
    Case(
        "send a reminder for another property's invoice",
        "post",
        lambda w: reverse("collections:remind", args=[w.prop.pk, _other(w).pk]),
        {**nobody(), "board": 403},
        data=lambda w: {"token": str(uuid.uuid4())},
    ),
    Case(
        "settings of another property",
        "get",
        lambda w: reverse("collections:settings", args=[w.other_prop.pk]),
        nobody(),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_table(case: Case, role: str, world: World, client: Client) -> None:
    check_case(case, role, world, client)


def test_the_reminder_email_carries_the_property_logo(
    prop: Property,
    invoice_due: InvoiceMaker,
    manager: User,
    settings,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (20, 80, 160)).save(buffer, format="PNG")
    prop.logo.save("logo.png", ContentFile(buffer.getvalue()), save=True)
    invoice = invoice_due(SOON)
    send_manual_reminder(actor=manager, invoice_id=invoice.pk)
    email = EmailMessage.objects.get(invoice=invoice, kind__contains="reminder")
    assert f'<img src="{settings.SITE_URL.rstrip("/")}{prop.logo.url}"' in email.body_html
