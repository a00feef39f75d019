"""Online payments on the statement, through the local fake of Stripe: a payment above the balance now due
(its excess becomes credit), a payment of an invoice voided meanwhile, a refund taken partly from that
credit, a pre-authorized debit still clearing (a note) or failed (nothing). The closing balance always
equals the open invoices' balance due less the unit's credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from logis.accounts.models import User
from logis.payments import online
from logis.payments.models import Payment, PaymentStatus
from logis.properties.models import Property, Resident
from logis.statements.selectors import LineKind, unit_statement
from tests.factories import UserFactory
from tests.payments.stripe_fake import RunningFake, post_event, stripe_fake_fixture  # noqa: F401
from tests.statements.conftest import Ledger

D = Decimal


@pytest.fixture
def payer(ledger: Ledger, prop: Property) -> User:
    prop.accepted_methods = ["card", "acss_debit", "cheque"]
    prop.save()
    user = UserFactory(email="marie@example.com")
    Resident.objects.filter(occupancies__unit=ledger.unit).update(user=user)
    return user


def _pay_online(payer: User, invoice_id: int, fake: RunningFake, *, method: str = "card") -> str:
    url = online.start_checkout(
        invoice_id=invoice_id,
        user=payer,
        success_url="http://testserver/ok",
        cancel_url="http://testserver/no",
    )
    session_id = url.rstrip("/").rsplit("/", 1)[1]
    fake.fake.complete_session(session_id, method=method)
    online.sync_checkout_session(session_id=session_id)
    return session_id


def _kinds(ledger: Ledger) -> list[tuple[LineKind, Decimal | None, Decimal | None]]:
    s = unit_statement(unit=ledger.unit, start=ledger.today, end=ledger.today)
    return [(line.kind, line.debit, line.credit) for line in s.lines]


def test_an_online_payment_above_the_balance_is_one_payment_line_and_its_excess_is_credit(
    ledger: Ledger, payer: User, stripe_fake: RunningFake
) -> None:
    invoice = ledger.invoice("100.00")
    session_id = online.start_checkout(
        invoice_id=invoice.pk,
        user=payer,
        success_url="http://testserver/ok",
        cancel_url="http://testserver/no",
    ).rsplit("/", 1)[1]
    ledger.pay(invoice, "30.00")  # a cheque arrives while the resident pays the whole 100 $ by card
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    assert _kinds(ledger) == [
        (LineKind.INVOICE, D("100.00"), None),
        (LineKind.PAYMENT, None, D("30.00")),
        (LineKind.PAYMENT, None, D("100.00")),
    ]
    assert ledger.closing() == ledger.owed_less_credit() == D("-30.00")

    # A refund of 40 $: 30 $ from the credit it made, 10 $ from the invoice. One line of 40 $.
    card = Payment.objects.get(method="card")
    online.refund_online_payment(
        property=ledger.prop, payment_id=card.pk, actor=ledger.actor, amount=D("40.00"), reason="Trop perçu"
    )
    assert _kinds(ledger)[-1] == (LineKind.REFUND, D("40.00"), None)
    assert ledger.closing() == ledger.owed_less_credit() == D("10.00")


def test_an_online_payment_of_an_invoice_voided_meanwhile_stays_as_credit(
    ledger: Ledger, payer: User, stripe_fake: RunningFake, client: Client
) -> None:
    invoice = ledger.invoice("60.00")
    session_id = online.start_checkout(
        invoice_id=invoice.pk,
        user=payer,
        success_url="http://testserver/ok",
        cancel_url="http://testserver/no",
    ).rsplit("/", 1)[1]
    ledger.void(invoice)
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    assert _kinds(ledger) == [
        (LineKind.INVOICE, D("60.00"), None),
        (LineKind.VOID, None, D("60.00")),
        (LineKind.PAYMENT, None, D("60.00")),
    ]
    assert ledger.closing() == ledger.owed_less_credit() == D("-60.00")

    # Refunded from the Stripe dashboard: the webhook records it; the credit goes back to the resident.
    stripe_fake.fake.create_refund({"payment_intent": Payment.objects.get().provider_payment_id})
    assert post_event(client, stripe_fake.fake.last_event("charge.refunded")).status_code == 200
    assert _kinds(ledger)[-1] == (LineKind.REFUND, D("60.00"), None)
    assert ledger.closing() == ledger.owed_less_credit() == 0


def test_a_debit_still_clearing_is_a_note_and_a_failed_one_is_not_shown(
    ledger: Ledger, payer: User, stripe_fake: RunningFake, client: Client
) -> None:
    invoice = ledger.invoice("80.00")
    session_id = _pay_online(payer, invoice.pk, stripe_fake, method="acss_debit")
    s = unit_statement(unit=ledger.unit, start=ledger.today, end=ledger.today)
    assert [(line.kind, line.debit, line.credit, line.balance) for line in s.lines] == [
        (LineKind.INVOICE, D("80.00"), None, D("80.00")),
        (LineKind.PENDING, None, None, None),
    ]
    with translation.override("fr"):
        assert s.lines[1].description == (
            f"Paiement en ligne de 80,00\u00a0$ en traitement (Débit préautorisé) — "
            f"Facture nº {invoice.number} — Cotisation : pas encore reçu"
        )
    assert s.closing_balance == D("80.00") == ledger.owed_less_credit()

    post_event(client, stripe_fake.fake.settle_debit(session_id, succeeded=False))
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert _kinds(ledger) == [(LineKind.INVOICE, D("80.00"), None)]
    assert ledger.closing() == ledger.owed_less_credit() == D("80.00")


def test_a_debit_that_clears_becomes_a_payment_on_the_day_it_cleared(
    ledger: Ledger, payer: User, stripe_fake: RunningFake, client: Client
) -> None:
    invoice = ledger.invoice("80.00")
    session_id = _pay_online(payer, invoice.pk, stripe_fake, method="acss_debit")
    Payment.objects.update(paid_on=ledger.today - dt.timedelta(days=3))  # started three days ago
    post_event(client, stripe_fake.fake.settle_debit(session_id, succeeded=True))
    assert Payment.objects.get().paid_on == ledger.today
    assert _kinds(ledger) == [(LineKind.INVOICE, D("80.00"), None), (LineKind.PAYMENT, None, D("80.00"))]
    assert ledger.closing() == ledger.owed_less_credit() == 0
