"""A resident is not charged twice: a payment recorded while their Checkout page is open closes that page
(Stripe's « expire »), a page is never opened for more than the balance due, and money that still
arrives beyond the balance is kept as credit, told to the resident and the managers by email, shown on
the invoice as something to do, and refunded to the card from there in one confirmed step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.errors import InvalidTransition
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.invoicing.models import InvoiceStatus
from logis.notifications.delivery import deliver_message
from logis.notifications.models import EmailMessage
from logis.payments import fake_stripe, online, services, stripe_gateway
from logis.payments.credits import apply_credit, credit_balance
from logis.payments.models import CheckoutSession, CheckoutSessionStatus, Payment, PaymentKind
from logis.properties.models import Property
from tests.factories import (
    OccupancyFactory,
    PropertyFactory,
    ResidentFactory,
    UserFactory,
    member,
    open_invoice,
)
from tests.payments.stripe_fake import (  # noqa: F401 - stripe_fake is a fixture
    Payer,
    RunningFake,
    payer,
    post_event,
    stripe_fake_fixture,
)
from tests.smtp import SMTPServer, body_text

SUCCESS = "http://testserver/portal/?checkout=success&session_id={CHECKOUT_SESSION_ID}"
CANCEL = "http://testserver/portal/?checkout=cancelled"


@pytest.fixture
def building(db: None) -> Property:
    return PropertyFactory(name="Les Jardins du Parc", accepted_methods=["card", "cheque"], language="fr")


def _open_page(p: Payer) -> str:
    url = online.start_checkout(invoice_id=p.invoice.pk, user=p.user, success_url=SUCCESS, cancel_url=CANCEL)
    return url.rsplit("/", 1)[1]


def _cheque(building: Property, p: Payer, actor: Any, amount: str) -> Payment:
    return services.record_payment(
        property=building,
        invoice_id=p.invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        paid_on=dt.date.today() - dt.timedelta(days=1),
        method="cheque",
    )


def test_a_payment_recorded_while_the_checkout_page_is_open_closes_that_page(
    building: Property, stripe_fake: RunningFake, django_capture_on_commit_callbacks: Any
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("100.00"))
    session_id = _open_page(p)
    with django_capture_on_commit_callbacks(execute=True):
        _cheque(building, p, manager, "100.00")
    assert stripe_fake.fake.sessions[session_id]["status"] == "expired"
    assert CheckoutSession.objects.get(session_id=session_id).status == CheckoutSessionStatus.EXPIRED
    with pytest.raises(fake_stripe.FakeError):  # the resident can no longer pay on it
        stripe_fake.fake.complete_session(session_id)
    requests = [path for method, path, _h in stripe_fake.fake.requests if method == "POST"]
    assert requests[-1] == f"/v1/checkout/sessions/{session_id}/expire"


@pytest.mark.parametrize("change", ["credit", "void", "other_page_paid"])
def test_every_change_of_the_balance_closes_the_open_pages(
    building: Property,
    stripe_fake: RunningFake,
    django_capture_on_commit_callbacks: Any,
    client: Client,
    change: str,
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("100.00"))
    session_id = _open_page(p)
    with django_capture_on_commit_callbacks(execute=True):
        if change == "credit":
            # Credit from another invoice of the unit, voided after a cheque paid part of it.
            other = open_invoice(building, number=2, amount=Decimal("40.00"), unit=p.invoice.unit)
            services.record_payment(
                property=building,
                invoice_id=other.pk,
                actor=manager,
                amount=Decimal("20.00"),
                paid_on=dt.date.today(),
                method="cheque",
            )
            invoicing.void_invoice(actor=manager, invoice_id=other.pk, reason="Erreur")
            apply_credit(
                property=building,
                unit_id=p.invoice.unit_id,
                invoice_id=p.invoice.pk,
                amount=Decimal("20.00"),
                actor=manager,
            )
        elif change == "void":
            invoicing.void_invoice(actor=manager, invoice_id=p.invoice.pk, reason="Erreur")
        else:
            # A co-owner opened a page of their own and paid on it: the first page closes.
            co_owner = UserFactory(email="co@example.com")
            resident = ResidentFactory(property=building, email="co@example.com", user=co_owner)
            OccupancyFactory(unit=p.invoice.unit, resident=resident, is_primary=False)
            second = online.start_checkout(
                invoice_id=p.invoice.pk, user=co_owner, success_url=SUCCESS, cancel_url=CANCEL
            ).rsplit("/", 1)[1]
            assert second != session_id
            post_event(client, stripe_fake.fake.complete_session(second))
    assert stripe_fake.fake.sessions[session_id]["status"] == "expired"


def test_no_page_is_opened_for_more_than_the_balance_due_at_that_moment(
    building: Property, stripe_fake: RunningFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("100.00"))
    create = stripe_gateway.create_checkout_session

    def create_while_a_cheque_is_recorded(**kwargs: Any) -> dict[str, Any]:
        session = create(**kwargs)  # Stripe answers after the manager recorded a cheque
        _cheque(building, p, manager, "30.00")
        return session

    monkeypatch.setattr(stripe_gateway, "create_checkout_session", create_while_a_cheque_is_recorded)
    with pytest.raises(InvalidTransition):
        _open_page(p)
    assert not CheckoutSession.objects.exists()
    (session,) = stripe_fake.fake.sessions.values()
    assert session["status"] == "expired"  # the page Stripe opened for 100 $ is closed at once
    monkeypatch.setattr(stripe_gateway, "create_checkout_session", create)
    new_id = _open_page(p)
    assert stripe_fake.fake.sessions[new_id]["amount_total"] == 7000


def _overpaid(building: Property, stripe_fake: RunningFake, client: Client) -> tuple[Payer, Payment]:
    """The card payment's webhook arrives after a cheque paid 30 $ of the 100 $ (the page was paid
    before its expiry took effect): 30 $ too much."""
    manager = member(building, Role.MANAGER, email="gestion@example.com")
    manager.language = "en"
    manager.save()
    member(building, Role.BOARD, email="ca@example.com")  # the board does not handle payments
    p = payer(building, amount=Decimal("100.00"))
    session_id = _open_page(p)
    event = stripe_fake.fake.complete_session(session_id)
    _cheque(building, p, manager, "30.00")
    assert post_event(client, event).status_code == 200
    return p, Payment.objects.get(method="card")


def test_money_beyond_the_balance_is_kept_as_credit_and_the_resident_and_managers_are_told(
    building: Property, stripe_fake: RunningFake, client: Client, smtp_server: SMTPServer
) -> None:
    p, _card = _overpaid(building, stripe_fake, client)
    assert credit_balance(unit=p.invoice.unit) == Decimal("30.00")
    for message in EmailMessage.objects.filter(kind__startswith="payment_overpaid"):
        assert deliver_message(message_id=message.pk) == "sent"
    by_recipient = {str(m["To"]): m for m in smtp_server.messages}
    assert set(by_recipient) == {"marie@example.com", "gestion@example.com"}
    resident = by_recipient["marie@example.com"]
    assert resident["Subject"] == "Paiement au-delà du solde dû — Frais de condo"
    assert "30,00\xa0$" in body_text(resident) and "crédit" in body_text(resident)
    staff = by_recipient["gestion@example.com"]
    assert staff["Subject"].startswith("To do: an online payment above the balance due")
    assert "$30.00" in body_text(staff)
    assert f"/invoices/{p.invoice.pk}/" in body_text(staff)
    # Redelivered: told once.
    post_event(client, stripe_fake.fake.last_event("checkout.session.completed"))
    assert EmailMessage.objects.filter(kind__startswith="payment_overpaid").count() == 2


def test_the_excess_is_refunded_to_the_card_from_the_invoice_page_in_one_confirmed_step(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, card = _overpaid(building, stripe_fake, client)
    manager_client = Client()
    manager_client.force_login(member(building, Role.TREASURER, email="tresor@example.com"))
    dashboard = manager_client.get(reverse("properties:dashboard", args=[building.pk])).content.decode()
    assert "Paiements en ligne au-delà du solde dû" in dashboard and "Unité 101 : 30,00" in dashboard
    page_url = reverse("invoicing:detail", args=[building.pk, p.invoice.pk])
    page = manager_client.get(page_url).content.decode()
    assert "Rembourser l’excédent sur la carte (30,00" in page
    dialog_url = reverse("payments:refund_online", args=[building.pk, card.pk])
    dialog = manager_client.get(dialog_url, {"overpaid": "1", "amount": "30.00"}).content.decode()
    assert 'value="30,00"' in dialog  # prefilled: the manager only confirms
    response = manager_client.post(dialog_url, {"amount": "30,00", "reason": "Payé deux fois"})
    assert response.status_code == 302
    assert credit_balance(unit=p.invoice.unit) == 0
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID and p.invoice.amount_paid == Decimal("100.00")
    (refund,) = stripe_fake.fake.refunds.values()
    assert refund["amount"] == 3000
    assert Payment.objects.filter(kind=PaymentKind.REFUND, amount=Decimal("30.00")).count() == 1
    assert AuditEvent.objects.filter(verb="payment.refunded").exists()
    assert "excédent sur la carte" not in manager_client.get(page_url).content.decode()
    assert online.overpayments_to_refund(p.invoice) == []
    dashboard = manager_client.get(reverse("properties:dashboard", args=[building.pk])).content.decode()
    assert "Paiements en ligne au-delà du solde dû" not in dashboard
