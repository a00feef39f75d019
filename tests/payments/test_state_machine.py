"""Any sequence of payments, reversals, refunds, voids, credit applications and credit refunds keeps
the books consistent.

A hypothesis state machine drives the real services and, after every step, checks:

1. ``invoice.amount_paid`` == succeeded payments - succeeded reversals and refunds, of that invoice;
2. 0 <= amount_paid <= amount, so the balance (amount - amount_paid) is never negative;
3. status: PAID iff published, not void, balance 0; OPEN iff published, not void, balance > 0;
4. the Factures cards (``invoice_summary``) equal sums over the invoices;
5. the Paiements totals: net == received - returned, and over the whole property
   net == sum(amount_paid of non-void invoices) + sum(unit credit) + credit refunded;
   the totals of each unit add up to the property's;
6. each unit's credit == what its voided invoices had received - credit applied (net of reversals)
   - credit refunded, and is never negative;
7. a shadow model (plain Python) predicts which calls succeed and the amount paid of every invoice;
8. each unit's account statement (« Relevé de compte »), over its full history: closing balance ==
   sum of the balance due of its open invoices - its credit, and the running balance ends there; cut
   at a day, the opening balance (SQL aggregates) equals the sum of the lines before the cut.
   (Payments are recorded up to three days back, so the cut falls between events.)
"""

from __future__ import annotations

import datetime as dt
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
from logis.invoicing.selectors import invoice_summary
from logis.invoicing.totals import invoice_total_mismatches
from logis.payments import credits
from logis.payments.models import CREDIT_METHOD, Payment, PaymentKind, PaymentStatus
from logis.payments.selectors import (
    PaymentFilters,
    credit_refund_list,
    payment_list,
    payment_totals,
    property_credit,
    property_payment_totals,
)
from logis.payments.services import MANUAL_METHODS, record_payment, refund_payment, reverse_payment
from logis.payments.totals import payment_total_mismatches
from logis.properties.models import Property, Unit
from logis.statements.selectors import LineKind, opening_balance, unit_statement
from tests.factories import PropertyFactory, UnitFactory, member

CENT = Decimal("0.01")
amounts = st.integers(min_value=1, max_value=60_000).map(lambda c: Decimal(c) * CENT)
picks = st.integers(min_value=0, max_value=10_000)
methods = st.sampled_from([str(m) for m in MANUAL_METHODS])
days_back = st.integers(min_value=0, max_value=3)
# Before anything the machine does: the statement over the full history starts here.
EPOCH = dt.date(2000, 1, 1)


# How an amount is chosen against a limit (what is available): all of it, part of it, or a cent over.
modes = st.sampled_from(["whole", "part", "over"])


def _shape(amount: Decimal, mode: str, limit: Decimal) -> Decimal:
    if mode == "whole":
        return limit
    if mode == "over":
        return limit + CENT
    return min(amount, limit) if limit > 0 else amount


def _sum(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))


class Books(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.prop = cast(Property, PropertyFactory(payments_enabled=True))
        self.actor = member(self.prop, Role.TREASURER)
        self.units = [cast(Unit, UnitFactory(property=self.prop, number=str(n))) for n in (1, 2)]
        self.today = today_in(self.prop.timezone)
        # Shadow model: what each invoice has received, its status, and each payment's state.
        self.paid: dict[int, Decimal] = {}
        self.amount: dict[int, Decimal] = {}
        self.unit_of: dict[int, int] = {}
        self.status: dict[int, str] = {}
        self.payments: list[int] = []
        self.returned: dict[int, Decimal] = {}  # payment id -> what reversals/refunds gave back
        self.reversed: set[int] = set()
        self.method: dict[int, str] = {}
        self.payment_invoice: dict[int, int] = {}
        self.credit: dict[int, Decimal] = {u.pk: Decimal("0.00") for u in self.units}
        self.credit_refunded: dict[int, Decimal] = {u.pk: Decimal("0.00") for u in self.units}
        self.checks = 0

    # --- helpers -----------------------------------------------------------------------------

    def _invoice(self, pick: int, *, received: bool = False) -> int | None:
        """One of the invoices; with ``received``, preferably an open one that has received money."""
        ids = (
            [i for i in self.paid if self.paid[i] > 0 and self.status[i] == InvoiceStatus.OPEN]
            if received
            else []
        )
        ids = ids or list(self.paid)
        return ids[pick % len(ids)] if ids else None

    def _open(self, pick: int) -> int | None:
        """Three times in four an open invoice (when there is one), else any: refusals are tested too."""
        ids = [i for i in self.paid if self.status[i] == InvoiceStatus.OPEN]
        return ids[pick % len(ids)] if ids and pick % 4 else self._invoice(pick)

    def _payment(self, pick: int) -> int | None:
        """Three times in four a payment nothing was given back on, on a live invoice."""
        live = [
            p
            for p in self.payments
            if self.returned[p] == 0 and self.status[self.payment_invoice[p]] != InvoiceStatus.VOID
        ]
        ids = live if live and pick % 4 else self.payments
        return ids[pick % len(ids)] if ids else None

    def _balance(self, invoice_id: int) -> Decimal:
        return self.amount[invoice_id] - self.paid[invoice_id]

    def _after_payment(self, invoice_id: int) -> None:
        self.status[invoice_id] = InvoiceStatus.PAID if self._balance(invoice_id) == 0 else InvoiceStatus.OPEN

    # --- rules -------------------------------------------------------------------------------

    @initialize(amounts=st.lists(amounts, min_size=4, max_size=4))
    def some_open_invoices(self, amounts: list[Decimal]) -> None:
        """Two open invoices per unit to start with, so voids and credit applications meet."""
        for n, amount in enumerate(amounts):
            self.publish_invoice(unit=n % 2, amount=amount)

    @rule(unit=st.integers(0, 1), amount=amounts)
    def publish_invoice(self, unit: int, amount: Decimal) -> None:
        invoice = invoicing.create_invoice(
            actor=self.actor,
            property=self.prop,
            unit_id=self.units[unit].pk,
            title="Cotisation",
            amount=amount,
            due_date=self.today + dt.timedelta(days=5),
        )
        invoicing.publish_invoice(actor=self.actor, invoice_id=invoice.pk)
        self.paid[invoice.pk] = Decimal("0.00")
        self.amount[invoice.pk] = amount
        self.unit_of[invoice.pk] = self.units[unit].pk
        self.status[invoice.pk] = InvoiceStatus.OPEN

    @precondition(lambda self: self.paid)
    @rule(pick=picks, amount=amounts, method=methods, whole=st.booleans(), back=days_back)
    def record(self, pick: int, amount: Decimal, method: str, whole: bool, back: int) -> None:
        invoice_id = self._open(pick)
        assert invoice_id is not None
        if whole and self._balance(invoice_id) > 0:
            amount = self._balance(invoice_id)
        self._record(invoice_id, amount, method, paid_on=self.today - dt.timedelta(days=back))

    def _record(self, invoice_id: int, amount: Decimal, method: str, paid_on: dt.date | None = None) -> None:
        ok = self.status[invoice_id] == InvoiceStatus.OPEN and amount <= self._balance(invoice_id)
        try:
            payment = record_payment(
                property=self.prop,
                invoice_id=invoice_id,
                actor=self.actor,
                amount=amount,
                paid_on=paid_on or self.today,
                method=method,
            )
        except DomainError:
            assert not ok, "a valid payment was refused"
            return
        assert ok, "a payment above the balance, or on a closed invoice, was accepted"
        self.paid[invoice_id] += amount
        self._after_payment(invoice_id)
        self._track(payment)

    def _track(self, payment: Payment) -> None:
        self.payments.append(payment.pk)
        self.returned[payment.pk] = Decimal("0.00")
        self.method[payment.pk] = payment.method
        self.payment_invoice[payment.pk] = payment.invoice_id

    @precondition(lambda self: self.payments)
    @rule(pick=picks)
    def reverse(self, pick: int) -> None:
        payment_id = self._payment(pick)
        assert payment_id is not None
        invoice_id = self.payment_invoice[payment_id]
        ok = (
            self.status[invoice_id] != InvoiceStatus.VOID
            and self.returned[payment_id] == 0
            and payment_id not in self.reversed
        )
        try:
            reverse_payment(property=self.prop, payment_id=payment_id, actor=self.actor, reason="Erreur")
        except DomainError:
            assert not ok, "a valid reversal was refused"
            return
        assert ok, "a reversal that should be refused was accepted"
        amount = Payment.objects.get(pk=payment_id).amount
        self.reversed.add(payment_id)
        self.returned[payment_id] = amount
        self.paid[invoice_id] -= amount
        self._after_payment(invoice_id)
        if self.method[payment_id] == CREDIT_METHOD:
            self.credit[self.unit_of[invoice_id]] += amount

    @precondition(lambda self: self.payments)
    @rule(pick=picks, amount=amounts, whole=st.booleans(), method=methods)
    def refund(self, pick: int, amount: Decimal, whole: bool, method: str) -> None:
        payment_id = self._payment(pick)
        assert payment_id is not None
        invoice_id = self.payment_invoice[payment_id]
        left = Payment.objects.get(pk=payment_id).amount - self.returned[payment_id]
        if whole and left > 0:
            amount = left
        ok = (
            self.status[invoice_id] in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
            and self.method[payment_id] != CREDIT_METHOD
            and payment_id not in self.reversed
            and amount <= left
        )
        try:
            refund_payment(
                property=self.prop,
                payment_id=payment_id,
                actor=self.actor,
                amount=amount,
                reason="Remboursé",
                method=method,
            )
        except DomainError:
            assert not ok, "a valid refund was refused"
            return
        assert ok, "a refund that should be refused was accepted"
        self.returned[payment_id] += amount
        self.paid[invoice_id] -= amount
        self._after_payment(invoice_id)

    # Voids close invoices for good: only while there are a few open ones, so payments keep happening.
    @precondition(lambda self: sum(s == InvoiceStatus.OPEN for s in self.status.values()) >= 3)
    @rule(pick=picks, received=st.booleans())
    def void(self, pick: int, received: bool) -> None:
        invoice_id = self._invoice(pick, received=received)
        assert invoice_id is not None
        self._void(invoice_id)

    def _void(self, invoice_id: int) -> None:
        ok = self.status[invoice_id] == InvoiceStatus.OPEN
        try:
            invoicing.void_invoice(
                actor=self.actor, invoice_id=invoice_id, reason="Annulée", property=self.prop
            )
        except DomainError:
            assert not ok, "voiding an open invoice was refused"
            return
        assert ok, "a paid or void invoice was voided"
        self.status[invoice_id] = InvoiceStatus.VOID
        self.credit[self.unit_of[invoice_id]] += self.paid[invoice_id]

    @precondition(lambda self: any(s == InvoiceStatus.OPEN for s in self.status.values()))
    @rule(pick=picks, amount=amounts, method=methods)
    def pay_part_then_void(self, pick: int, amount: Decimal, method: str) -> None:
        """The case the credit exists for: an open invoice partly paid, then voided."""
        open_ids = [i for i in self.paid if self.status[i] == InvoiceStatus.OPEN]
        invoice_id = open_ids[pick % len(open_ids)]
        if self._balance(invoice_id) > CENT:
            self._record(invoice_id, min(amount, self._balance(invoice_id) - CENT), method)
        self._void(invoice_id)

    @precondition(lambda self: any(v > 0 for v in self.credit.values()))
    @rule(pick=picks, amount=amounts, mode=modes)
    def apply_credit(self, pick: int, amount: Decimal, mode: str) -> None:
        # Mostly an open invoice of a unit that has credit, so that applications do happen.
        likely = [
            i for i in self.paid if self.status[i] == InvoiceStatus.OPEN and self.credit[self.unit_of[i]] > 0
        ]
        invoice_id = likely[pick % len(likely)] if likely and pick % 4 else self._invoice(pick)
        assert invoice_id is not None
        unit_id = self.unit_of[invoice_id]
        amount = _shape(amount, mode, min(self.credit[unit_id], self._balance(invoice_id)))
        ok = (
            self.status[invoice_id] == InvoiceStatus.OPEN
            and 0 < amount <= self.credit[unit_id]
            and amount <= self._balance(invoice_id)
        )
        try:
            payment = credits.apply_credit(
                property=self.prop, unit_id=unit_id, invoice_id=invoice_id, amount=amount, actor=self.actor
            )
        except DomainError:
            assert not ok, "a valid credit application was refused"
            return
        assert ok, "an invalid credit application was accepted"
        self.credit[unit_id] -= amount
        self.paid[invoice_id] += amount
        self._after_payment(invoice_id)
        self._track(payment)

    @precondition(lambda self: any(v > 0 for v in self.credit.values()))
    @rule(unit=st.integers(0, 1), amount=amounts, mode=modes, method=methods)
    def refund_credit(self, unit: int, amount: Decimal, mode: str, method: str) -> None:
        unit_id = self.units[unit].pk
        amount = _shape(amount, mode, self.credit[unit_id])
        ok = 0 < amount <= self.credit[unit_id]
        try:
            credits.refund_credit(
                property=self.prop,
                unit_id=unit_id,
                amount=amount,
                method=method,
                reason="Chèque",
                actor=self.actor,
            )
        except DomainError:
            assert not ok, "a valid credit refund was refused"
            return
        assert ok, "a credit refund above the credit was accepted"
        self.credit[unit_id] -= amount
        self.credit_refunded[unit_id] += amount

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def summaries_agree(self) -> None:
        # The summary rows the pages read (docs/decisions/0033) equal a full recomputation after every step.
        assert invoice_total_mismatches(self.prop.pk) == []
        assert payment_total_mismatches(self.prop.pk) == []

    @invariant()
    def books_agree(self) -> None:
        invoices = list(Invoice.objects.filter(property=self.prop))
        payments = list(Payment.objects.filter(property=self.prop))
        for invoice in invoices:
            mine = [p for p in payments if p.invoice_id == invoice.pk and p.status == PaymentStatus.SUCCEEDED]
            received = _sum([p.amount for p in mine if p.kind == PaymentKind.PAYMENT])
            returned = _sum([p.amount for p in mine if p.kind != PaymentKind.PAYMENT])
            # 1, 7
            assert invoice.amount_paid == received - returned == self.paid[invoice.pk]
            # 2
            assert 0 <= invoice.amount_paid <= invoice.amount
            # 3
            assert invoice.number is not None
            assert invoice.status == self.status[invoice.pk]
            if invoice.status != InvoiceStatus.VOID:
                is_paid = invoice.amount_paid == invoice.amount
                assert (invoice.status == InvoiceStatus.PAID) == is_paid
                assert (invoice.status == InvoiceStatus.OPEN) == (not is_paid)
                assert invoice.balance == invoice.amount - invoice.amount_paid
            else:
                assert invoice.balance == 0

        # 4: the Factures cards (no invoice is overdue here: every due date is in the future).
        summary = invoice_summary(self.prop, self.today)
        open_ = [i for i in invoices if i.status == InvoiceStatus.OPEN]
        paid = [i for i in invoices if i.status == InvoiceStatus.PAID]
        assert summary.open.amount == _sum([i.amount - i.amount_paid for i in open_])
        assert summary.open.count == len(open_)
        assert summary.paid.amount == _sum([i.amount for i in paid]) == _sum([i.amount_paid for i in paid])
        assert summary.paid.count == len(paid)
        assert summary.overdue.count == 0 and summary.overdue.amount == 0
        assert summary.total.amount == summary.open.amount + summary.paid.amount
        assert summary.total.count == len(open_) + len(paid)

        # 5: the Paiements totals.
        every = PaymentFilters()
        totals = payment_totals(
            payment_list(property=self.prop, filters=every),
            credit_refund_list(property=self.prop, filters=every),
        )
        assert totals["net"] == totals["received"] - totals["returned"]
        # The page's unfiltered totals read the summary rows: the same figures.
        assert property_payment_totals(property=self.prop) == totals
        money = [p for p in payments if p.method != CREDIT_METHOD and p.status == PaymentStatus.SUCCEEDED]
        assert totals["received"] == _sum([p.amount for p in money if p.kind == PaymentKind.PAYMENT])
        non_void_paid = _sum([i.amount_paid for i in invoices if i.status != InvoiceStatus.VOID])
        unit_credit = property_credit(property=self.prop)
        refunded = credits.credit_refunded(property=self.prop)
        assert refunded == _sum(list(self.credit_refunded.values()))
        # The Net is the money that moved: credit given back to a resident left the property (decision 0030).
        assert totals["credit_refunded"] == refunded
        assert totals["net"] == non_void_paid + unit_credit
        per_unit = [
            payment_totals(
                payment_list(property=self.prop, filters=PaymentFilters(unit_id=u.pk)),
                credit_refund_list(property=self.prop, filters=PaymentFilters(unit_id=u.pk)),
            )
            for u in self.units
        ]
        for key in ("received", "returned", "net", "credit_applied", "credit_refunded"):
            assert _sum([t[key] for t in per_unit]) == totals[key]

        # 6: each unit's credit.
        for unit in self.units:
            balance = credits.credit_balance(unit=unit)
            assert balance == self.credit[unit.pk] >= 0
            voided = _sum(
                [i.amount_paid for i in invoices if i.unit_id == unit.pk and i.status == InvoiceStatus.VOID]
            )
            credit_payments = [p for p in payments if p.unit_id == unit.pk and p.method == CREDIT_METHOD]
            applied = _sum([p.amount for p in credit_payments if p.kind == PaymentKind.PAYMENT]) - _sum(
                [p.amount for p in credit_payments if p.kind != PaymentKind.PAYMENT]
            )
            assert balance == voided - applied - self.credit_refunded[unit.pk]
        assert unit_credit == _sum(list(self.credit.values()))

        # 8: each unit's statement, for its full history and cut at any day.
        today = today_in(self.prop.timezone)
        for unit in self.units:
            own = [i for i in invoices if i.unit_id == unit.pk]
            owed = _sum([i.amount - i.amount_paid for i in own if i.status == InvoiceStatus.OPEN])
            full = unit_statement(unit=unit, start=EPOCH, end=today)
            assert full.opening_balance == 0
            assert full.closing_balance == owed - credits.credit_balance(unit=unit)
            running = [line.balance for line in full.lines if not line.is_note]
            assert (running[-1] if running else 0) == full.closing_balance
            assert sum(line.kind == LineKind.INVOICE for line in full.lines) == len(own)
            assert sum(line.kind == LineKind.VOID for line in full.lines) == sum(
                i.status == InvoiceStatus.VOID for i in own
            )
            # Cut one, two or three days back, in turn: the opening balance there (SQL aggregates)
            # is the sum of the lines before it.
            self.checks += 1
            cut = today - dt.timedelta(days=1 + self.checks % 3)
            before = [line for line in full.lines if line.date < cut]
            assert opening_balance(unit=unit, start=cut) == _sum(
                [line.debit or Decimal(0) for line in before]
            ) - _sum([line.credit or Decimal(0) for line in before])


@pytest.mark.slow
@pytest.mark.django_db
def test_any_sequence_of_payments_reversals_refunds_voids_and_credits_keeps_the_books_consistent() -> None:
    Books.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Books.TestCase().runTest()
