"""The property dashboard: where the money stands (the same figures as Factures and Paiements) and what
needs doing (drafts to publish, invoices due soon, emails that bounced, debits clearing), fast."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.selectors import invoice_summary
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.payments import services as payments
from logis.payments.models import Payment, PaymentStatus
from logis.properties.models import Property
from logis.reports.dashboard import dashboard_overview
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member, open_invoice

pytestmark = pytest.mark.django_db


def _today(prop: Property) -> dt.date:
    return today_in(prop.timezone)


def _url(prop: Property) -> str:
    return reverse("properties:dashboard", args=[prop.pk])


def _text(html: str) -> str:
    """The page's words, tags stripped and spaces collapsed (no-break spaces included)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ").replace("\u202f", " ").split())


def _pay(prop: Property, manager: User, invoice_id: int, amount: str, paid_on: dt.date) -> Payment:
    return payments.record_payment(
        property=prop,
        invoice_id=invoice_id,
        actor=manager,
        amount=Decimal(amount),
        paid_on=paid_on,
        method="cheque",
        reference="Chèque 12",
    )


def test_the_open_and_overdue_cards_are_the_factures_pages_cards(prop: Property) -> None:
    today = _today(prop)
    open_invoice(prop, number=1, amount=Decimal("100.00"), due_date=today + dt.timedelta(days=3))
    open_invoice(prop, number=2, amount=Decimal("250.00"), due_date=today - dt.timedelta(days=1))
    open_invoice(prop, number=3, amount=Decimal("80.00"), amount_paid=Decimal("80.00"))
    overview = dashboard_overview(property=prop, today=today)
    factures = invoice_summary(prop, today)
    assert (overview.summary.open, overview.summary.overdue) == (factures.open, factures.overdue)
    assert (overview.summary.open.amount, overview.summary.overdue.amount) == (
        Decimal("100.00"),
        Decimal("250.00"),
    )
    assert (overview.owed.amount, overview.owed.count) == (Decimal("350.00"), 2)


def test_received_this_month_is_the_net_of_the_local_month_so_far(prop: Property, manager: User) -> None:
    today = _today(prop)
    first = today.replace(day=1)
    a = open_invoice(prop, number=1, amount=Decimal("500.00"), due_date=today)
    b = open_invoice(prop, number=2, amount=Decimal("500.00"), due_date=today)
    _pay(prop, manager, a.pk, "120.00", first)
    mistake = _pay(prop, manager, b.pk, "30.00", today)
    payments.reverse_payment(property=prop, payment_id=mistake.pk, actor=manager, reason="Erreur")
    _pay(prop, manager, b.pk, "45.50", first - dt.timedelta(days=1))  # last month: not counted
    overview = dashboard_overview(property=prop, today=today)
    assert overview.month_start == first
    assert overview.month_net == Decimal("120.00")


def test_drafts_and_invoices_due_within_a_week_are_counted_with_their_amounts(prop: Property) -> None:
    today = _today(prop)
    unit = UnitFactory(property=prop, number="101")
    InvoiceFactory(property=prop, unit=unit, amount=Decimal("416.67"))
    InvoiceFactory(property=prop, unit=unit, amount=Decimal("416.66"))
    open_invoice(prop, number=1, amount=Decimal("100.00"), due_date=today)  # due today: soon
    open_invoice(
        prop,
        number=2,
        amount=Decimal("300.00"),
        amount_paid=Decimal("120.00"),
        due_date=today + dt.timedelta(7),
    )
    open_invoice(prop, number=3, amount=Decimal("999.00"), due_date=today + dt.timedelta(days=8))  # later
    open_invoice(prop, number=4, amount=Decimal("999.00"), due_date=today - dt.timedelta(days=1))  # overdue
    open_invoice(
        prop, number=5, amount=Decimal("50.00"), amount_paid=Decimal("50.00"), due_date=today
    )  # paid
    overview = dashboard_overview(property=prop, today=today)
    assert (overview.drafts.count, overview.drafts.amount) == (2, Decimal("833.33"))
    assert (overview.due_soon.count, overview.due_soon.amount) == (2, Decimal("280.00"))
    assert overview.due_soon_until == today + dt.timedelta(days=7)


def test_failed_emails_of_the_last_30_days_are_listed_not_sent_or_older_ones(prop: Property) -> None:
    invoice = open_invoice(prop, number=7, title="Cotisation de décembre")
    for key, status in [
        ("a", DeliveryStatus.FAILED),
        ("b", DeliveryStatus.SENT),
        ("c", DeliveryStatus.QUEUED),
    ]:
        EmailMessage.objects.create(
            property=prop, invoice=invoice, key=key, kind="invoice_published", to_email=f"{key}@example.com",
            subject="s", body_text="b", status=status,
        )  # fmt: skip
    old = EmailMessage.objects.create(
        property=prop, invoice=invoice, key="old", kind="invoice_published", to_email="old@example.com",
        subject="s", body_text="b", status=DeliveryStatus.FAILED,
    )  # fmt: skip
    EmailMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    overview = dashboard_overview(property=prop, today=_today(prop))
    assert overview.failed_email_count == 1
    assert [e.to_email for e in overview.failed_emails] == ["a@example.com"]


def test_the_page_shows_the_money_and_the_work_in_french(
    prop: Property, manager: User, manager_client: Client
) -> None:
    today = _today(prop)
    InvoiceFactory(property=prop, unit=UnitFactory(property=prop, number="112"), amount=Decimal("1234.50"))
    due = open_invoice(prop, number=1, amount=Decimal("395.00"), due_date=today + dt.timedelta(days=2))
    open_invoice(prop, number=2, amount=Decimal("80.00"), due_date=today - dt.timedelta(days=3))
    _pay(prop, manager, due.pk, "95.00", today)
    EmailMessage.objects.create(
        property=prop, invoice=due, key="k", kind="invoice_published", to_email="marie@example.com",
        subject="s", body_text="b", status=DeliveryStatus.FAILED,
    )  # fmt: skip
    response = manager_client.get(_url(prop))
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "Où en sont les comptes" in text
    assert "Ouvertes 300,00 $ 1 facture" in text
    assert "En retard 80,00 $ 1 facture" in text
    assert "95,00 $ net des contrepassations et des remboursements" in text
    assert "Brouillons 1 234,50 $ 1 facture pas encore publiée" in text
    assert "1 facture en brouillon à vérifier et à publier (1 234,50 $)" in text
    assert "1 facture arrive à échéance d'ici le" in text and "(300,00 $ à recevoir)" in text
    assert "1 courriel n'a pas pu être livré" in text and "marie@example.com — facture nº 1" in text
    assert "Derniers paiements" in text
    html = response.content.decode()
    invoices = reverse("invoicing:list", args=[prop.pk])
    assert f'href="{invoices}?status=overdue"' in html
    assert f'href="{invoices}?status=draft"' in html
    assert reverse("invoicing:detail", args=[prop.pk, due.pk]) in html


def test_the_page_reads_in_english(prop: Property) -> None:
    user = member(prop, Role.BOARD, language="en")
    client = Client()
    client.force_login(user)
    open_invoice(prop, number=1, amount=Decimal("1234.56"), due_date=_today(prop) - dt.timedelta(days=1))
    text = _text(client.get(_url(prop)).content.decode())
    assert "Where the money stands" in text
    assert "Overdue $1,234.56 1 invoice" in text
    assert "1 unit has no primary resident: no invoice email can be sent to it." in text
    assert "No payment yet." in text


def test_a_clean_property_has_nothing_to_do(prop: Property, manager_client: Client) -> None:
    text = _text(manager_client.get(_url(prop)).content.decode())
    assert "Rien à faire pour l'instant." in text
    assert "Aucun paiement pour l'instant." in text


def test_pending_online_payments_are_work_to_follow(prop: Property, manager: User) -> None:
    invoice = open_invoice(prop, number=1, amount=Decimal("200.00"))
    Payment.objects.create(
        property=prop, unit=invoice.unit, invoice=invoice, amount=Decimal("200.00"), paid_on=_today(prop),
        method="acss_debit", status=PaymentStatus.PENDING, provider_payment_id="pi_1",
    )  # fmt: skip
    overview = dashboard_overview(property=prop, today=_today(prop))
    assert overview.pending_payments == 1 and overview.has_work
    assert overview.month_net == Decimal("0.00")  # not money received until the debit clears


def _queries(client: Client, prop: Property) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url(prop)).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_costs_the_same_queries_with_3_or_40_invoices(
    manager: User, manager_client: Client
) -> None:
    prop = manager.memberships.get().property
    today = _today(prop)

    def add(n: int, start: int, *, failed_emails: bool = True) -> None:
        for i in range(start, start + n):
            invoice = open_invoice(
                prop, number=i, amount=Decimal("100.00"), due_date=today + dt.timedelta(i % 9)
            )
            _pay(prop, manager, invoice.pk, "10.00", today)
            InvoiceFactory(property=prop, unit=invoice.unit)
            if failed_emails:
                EmailMessage.objects.create(
                    property=prop, invoice=invoice, key=f"k{i}", kind="invoice_published",
                    to_email=f"r{i}@example.com", subject="s", body_text="b", status=DeliveryStatus.FAILED,
                )  # fmt: skip

    add(3, 1, failed_emails=False)
    # Session, user, property with role; the counts of units, residents and units without a primary
    # resident in one query; the cards; the month's net (2); pending payments and failed emails counted in
    # one query; the latest payments; the excess online payments; the units without a primary resident.
    assert _queries(manager_client, prop) == 11
    add(3, 4)
    assert _queries(manager_client, prop) == 12  # and the failed emails, now that there are some
    add(34, 7)
    assert _queries(manager_client, prop) == 12


def test_nobody_without_a_role_sees_the_dashboard(prop: Property) -> None:
    stranger = member(PropertyFactory(), Role.ADMIN)
    client = Client()
    client.force_login(stranger)
    assert client.get(_url(prop)).status_code == 404
