"""The settlement rule (``logis.payments.settlement.settle``), through every service that moves money.

A hypothesis state machine drives the real services (manual payments, online payments as Stripe reports
them, including ones above the balance due, reversals, manual and online refunds, credit applications,
voids) and a direct ``settle`` of any signed amount, and after every step reads the database:

1. 0 <= amount_paid <= amount on every invoice;
2. an open or paid invoice is paid iff nothing is left due, and has ``paid_at`` iff paid;
3. amount_paid is what the shadow model predicts (payments applied up to the balance due, less what
   reversals and refunds took back from the invoice);
4. the money is all somewhere: received - returned == sum(amount_paid of non-void invoices) + credit.

Stripe is not called: the sessions are the rows Logis keeps when it opens one, and what Stripe reports
(a completed session, a refunded charge) is given to the services as the webhook would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import cast

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from logis.core.dates import today_in
from logis.core.errors import DomainError
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.totals import invoice_total_mismatches
from logis.ledger import posting as ledger
from logis.ledger.models import AccountKind, EntryKind
from logis.payments import credits, stripe_events
from logis.payments.checkout import cents
from logis.payments.models import CREDIT_METHOD, CheckoutSession, Payment, PaymentKind, PaymentStatus
from logis.payments.online_refunds import record_charge_refunded, refunded_so_far
from logis.payments.selectors import PaymentFilters, payment_list, payment_totals, property_credit
from logis.payments.services import record_payment, refund_payment, reverse_payment
from logis.payments.settlement import SettlementError, settle
from logis.payments.totals import payment_total_mismatches
from logis.properties.models import Property, Unit
from tests.factories import PropertyFactory, UnitFactory, member

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
amounts = st.integers(min_value=1, max_value=40_000).map(lambda c: Decimal(c) * CENT)
picks = st.integers(min_value=0, max_value=10_000)
counter = itertools.count()


class Settlement(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.prop = cast(
            Property, PropertyFactory(payments_enabled=True, accepted_methods=["card", "cheque"])
        )
        self.actor = member(self.prop, Role.TREASURER)
        self.units = [cast(Unit, UnitFactory(property=self.prop, number=str(n))) for n in (1, 2)]
        self.today = today_in(self.prop.timezone)
        self.expected: dict[int, Decimal] = {}  # invoice id -> what it should have received
        self.voided: set[int] = set()
        self.undoing = False

    # --- helpers -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _ledger_event(self, change: Decimal) -> Iterator[None]:
        """settle refuses to move a receivable outside a ledger event: the direct settlement is money
        in the bank (the journal stays balanced)."""
        with ledger.event(
            property_id=self.prop.pk, date=self.today, kind=EntryKind.PAYMENT, source=("test", None)
        ) as ev:
            ev.add(AccountKind.BANK, change)
            yield

    def _invoice(self, pick: int) -> Invoice:
        ids = sorted(self.expected)
        return Invoice.objects.get(pk=ids[pick % len(ids)])

    def _payment(self, pick: int, **filters: object) -> Payment | None:
        found = list(
            Payment.objects.filter(
                property=self.prop, kind=PaymentKind.PAYMENT, status=PaymentStatus.SUCCEEDED, **filters
            ).order_by("pk")
        )
        return found[pick % len(found)] if found else None

    def _from_invoice(self, payment: Payment, before: Decimal) -> None:
        """What the invoice gave back of the last refund (the rest came off the unit's credit)."""
        invoice = Invoice.objects.get(pk=payment.invoice_id)
        self.expected[invoice.pk] -= before - invoice.amount_paid

    # --- rules -------------------------------------------------------------------------------

    @initialize(amounts=st.lists(amounts, min_size=3, max_size=3))
    def some_invoices(self, amounts: list[Decimal]) -> None:
        for n, amount in enumerate(amounts):
            self.publish(unit=n % 2, amount=amount)

    @rule(unit=st.integers(0, 1), amount=amounts)
    def publish(self, unit: int, amount: Decimal) -> None:
        invoice = invoicing.create_invoice(
            actor=self.actor,
            property=self.prop,
            unit_id=self.units[unit].pk,
            title="Cotisation",
            amount=amount,
            due_date=self.today + dt.timedelta(days=5),
        )
        invoicing.publish_invoice(actor=self.actor, invoice_id=invoice.pk)
        self.expected[invoice.pk] = ZERO

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def pay_by_cheque(self, pick: int, amount: Decimal, whole: bool) -> None:
        invoice = self._invoice(pick)
        if whole:
            amount = invoice.amount - invoice.amount_paid
        try:
            record_payment(
                property=self.prop,
                invoice_id=invoice.pk,
                actor=self.actor,
                amount=amount,
                paid_on=self.today,
                method="cheque",
            )
        except DomainError:
            return
        self.expected[invoice.pk] += amount

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def pay_online(self, pick: int, amount: Decimal, whole: bool) -> None:
        """A Checkout Session paid: for the balance due, or for an amount asked before the balance
        changed (any amount: what is above the balance becomes the unit's credit)."""
        invoice = self._invoice(pick)
        if whole and invoice.balance > 0:
            amount = invoice.balance
        n = next(counter)
        row = CheckoutSession.objects.create(
            session_id=f"cs_settle_{n}",
            property=self.prop,
            invoice=invoice,
            amount=amount,
            payment_method_types=["card"],
        )
        stripe_events.record_online_payment(
            session={
                "id": row.session_id,
                "status": "complete",
                "payment_status": "paid",
                "metadata": {"invoice_id": str(invoice.pk)},
                "amount_total": cents(amount),
                "currency": "cad",
                "payment_intent": f"pi_settle_{n}",
            }
        )
        if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
            self.expected[invoice.pk] += min(amount, invoice.amount - invoice.amount_paid)

    @rule(pick=picks)
    def reverse(self, pick: int) -> None:
        payment = self._payment(pick, method__in=["cheque", CREDIT_METHOD])
        if payment is None:
            return
        try:
            reverse_payment(property=self.prop, payment_id=payment.pk, actor=self.actor, reason="Erreur")
        except DomainError:
            return
        self.expected[payment.invoice_id] -= payment.amount

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def refund_cheque(self, pick: int, amount: Decimal, whole: bool) -> None:
        payment = self._payment(pick, method="cheque")
        if payment is None:
            return
        if whole:
            amount = payment.amount - refunded_so_far(payment)
        try:
            refund_payment(
                property=self.prop,
                payment_id=payment.pk,
                actor=self.actor,
                amount=amount,
                reason="Remboursé",
                method="cheque",
            )
        except DomainError:
            return
        self.expected[payment.invoice_id] -= amount

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def refund_online(self, pick: int, amount: Decimal, whole: bool) -> None:
        """A refund made in the Stripe dashboard (``charge.refunded``): never more than what is left."""
        payment = self._payment(pick, method="card")
        if payment is None:
            return
        left = payment.amount - refunded_so_far(payment)
        amount = left if whole else min(amount, left)
        if amount <= 0:
            return
        before = Invoice.objects.get(pk=payment.invoice_id).amount_paid
        n = next(counter)
        refunds = {
            "has_more": False,
            "data": [{"id": f"re_settle_{n}", "amount": cents(amount), "created": n}],
        }
        record_charge_refunded(
            {"id": f"ch_settle_{n}", "payment_intent": payment.provider_payment_id, "refunds": refunds}
        )
        if payment.invoice_id not in self.voided:
            self._from_invoice(payment, before)

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def apply_credit(self, pick: int, amount: Decimal, whole: bool) -> None:
        invoice = self._invoice(pick)
        available = credits.credit_balance(unit=invoice.unit)
        if whole:
            amount = min(available, invoice.amount - invoice.amount_paid)
        try:
            credits.apply_credit(
                property=self.prop,
                unit_id=invoice.unit_id,
                invoice_id=invoice.pk,
                amount=amount,
                actor=self.actor,
            )
        except DomainError:
            return
        self.expected[invoice.pk] += amount

    @precondition(lambda self: len(self.expected) - len(self.voided) >= 3)
    @rule(pick=picks)
    def void(self, pick: int) -> None:
        invoice = self._invoice(pick)
        try:
            invoicing.void_invoice(
                actor=self.actor, invoice_id=invoice.pk, reason="Annulée", property=self.prop
            )
        except DomainError:
            return
        self.voided.add(invoice.pk)

    @rule(
        pick=picks, change=st.integers(min_value=-50_000, max_value=50_000).map(lambda c: Decimal(c) * CENT)
    )
    def settle_directly(self, pick: int, change: Decimal) -> None:
        """The rule itself, given anything: it settles within the bounds or refuses, changing nothing;
        a settlement accepted is checked, then undone (no payment record stands behind it)."""
        invoice = self._invoice(pick)
        fits = (
            invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
            and ZERO <= invoice.amount_paid + change <= invoice.amount
        )
        try:
            with self._ledger_event(change):
                settle(invoice, change)
        except SettlementError:
            assert not fits and change != 0, "a settlement within the bounds was refused"
            return
        assert fits or change == 0, "a settlement outside the bounds was accepted"
        self.expected[invoice.pk] += change
        self.undoing = True  # amount_paid moved without money: the money check waits for the undo
        self.settled()
        self.undoing = False
        with self._ledger_event(-change):
            settle(invoice, -change)
        self.expected[invoice.pk] -= change

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def summaries_agree(self) -> None:
        # The summary rows the pages read (docs/decisions/0033) equal a full recomputation after every step.
        assert invoice_total_mismatches(self.prop.pk) == []
        assert payment_total_mismatches(self.prop.pk) == []

    @invariant()
    def settled(self) -> None:
        received = ZERO
        for invoice in Invoice.objects.filter(property=self.prop):
            assert ZERO <= invoice.amount_paid <= invoice.amount, invoice
            assert invoice.amount_paid == self.expected[invoice.pk], invoice
            if invoice.status != InvoiceStatus.VOID:
                assert invoice.status == (
                    InvoiceStatus.PAID if invoice.amount_paid == invoice.amount else InvoiceStatus.OPEN
                ), invoice
                assert (invoice.paid_at is not None) == (invoice.status == InvoiceStatus.PAID), invoice
                received += invoice.amount_paid
        totals = payment_totals(payment_list(property=self.prop, filters=PaymentFilters()))
        if not self.undoing:
            assert totals["net"] == received + property_credit(property=self.prop)


@pytest.mark.slow
@pytest.mark.django_db
def test_any_sequence_of_payments_reversals_refunds_and_credits_keeps_every_invoice_settled() -> None:
    Settlement.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Settlement.TestCase().runTest()
