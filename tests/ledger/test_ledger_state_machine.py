"""Proof of the ledger: any sequence of money events keeps it balanced and equal to the records.

A hypothesis state machine drives the real services — publishing (an exempt line, a taxable line, a late
fee), payments by cheque (whole or part) and online through Stripe as its webhook reports them (any
amount: above the balance the excess becomes credit), reversals, manual and online refunds, voids with
payments (their money becomes credit), credit applied and refunded, opening balances imported (owed
and credit) and replaced — and after every step reads the database:

1. every journal entry balances, and the trial balance's debit total equals its credit total;
2. the receivable of each unit equals the balance due of its open and paid invoices;
3. the unit-credit account of each unit equals its credit balance (``credit_balance``);
4. bank and Stripe clearing hold exactly the money that moved (received - reversed - refunded - credit
   refunded, by where it went), and revenue per category, GST and QST equal the lines of the invoices
   in force (``logis.reports.ledger_rebuild.ledger_mismatches`` compares them all);
5. the journal is never changed: the entries seen at one step are still there, line for line, later;
6. every figure a person reads equals the ledger (issue 11, « Figures that agree »): the Factures cards
   (open + overdue) and the aging total are the receivable, each unit's aging row is its receivable, each
   unit's statement closing balance and the portal balance of its resident are its receivable less its
   unit credit, the Paiements « Net » is the money in the bank and Stripe clearing, and so are the sum of
   ``payments.csv`` and the API's payment totals; ``invoices.csv``'s balances and the API's cards add up
   to the receivable, and the API's trial balance is the trial balance.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from typing import cast

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.errors import DomainError
from logis.core.permissions import Role
from logis.finances.models import CategoryCode, ChargeCategory
from logis.finances.selectors import ensure_finance_defaults
from logis.imports.services import apply_import, preview_import
from logis.invoicing import services as invoicing
from logis.invoicing.lines import LineInput
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.selectors import invoice_summary
from logis.invoicing.totals import invoice_total_mismatches
from logis.ledger.models import AccountKind, JournalLine
from logis.ledger.selectors import balances_by_account, balances_by_unit, trial_balance, unbalanced_entries
from logis.payments import credits, stripe_events
from logis.payments.checkout import cents
from logis.payments.models import CREDIT_METHOD, CheckoutSession, Payment, PaymentKind, PaymentStatus
from logis.payments.online_refunds import record_charge_refunded, refunded_so_far
from logis.payments.selectors import property_payment_totals
from logis.payments.services import record_payment, refund_payment, reverse_payment
from logis.payments.totals import payment_total_mismatches
from logis.portal.selectors import portal_overview
from logis.properties.models import Property, Resident, Unit
from logis.reports.ledger_rebuild import ledger_mismatches
from logis.reports.selectors import aging_by_unit, aging_totals
from logis.statements.selectors import unit_statement
from tests.api.conftest import ApiClient, token_for
from tests.factories import PropertyFactory, UserFactory, member
from tests.imports.helpers import csv_bytes

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
amounts = st.integers(min_value=1, max_value=40_000).map(lambda c: Decimal(c) * CENT)
signed = (
    st.integers(min_value=-40_000, max_value=40_000).filter(lambda c: c != 0).map(lambda c: Decimal(c) * CENT)
)
picks = st.integers(min_value=0, max_value=10_000)
counter = itertools.count()


def _csv_amount(amount: Decimal) -> str:
    return str(amount).replace(".", ",")


class Ledger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.prop = cast(
            Property, PropertyFactory(payments_enabled=True, accepted_methods=["card", "cheque"])
        )
        self.actor = member(self.prop, Role.TREASURER)
        self.admin = member(self.prop, Role.ADMIN)
        self.today = today_in(self.prop.timezone)
        ensure_finance_defaults(self.prop)
        self.parking = ChargeCategory.objects.get(property=self.prop, code=CategoryCode.PARKING)
        self.parking.taxable = True
        self.parking.save(update_fields=["taxable"])
        self.seen: dict[int, tuple[int, int, Decimal, Decimal]] = {}
        self.units: list[Unit] = []
        self.portal: dict[int, User] = {}
        self.client = Client()
        self.client.force_login(member(self.prop, Role.TREASURER, language="en"))
        self.api = ApiClient(token_for(self.actor), "en")

    # --- helpers -----------------------------------------------------------------------------

    def _import(self, balances: list[Decimal], day: dt.date) -> None:
        rows = [
            [str(101 + n), "50", "", f"Résident{n}", "Test", f"r{n}@example.com", "oui", _csv_amount(b),
             day.isoformat()]
            for n, b in enumerate(balances)
        ]  # fmt: skip
        batch, plan = preview_import(actor=self.admin, property=self.prop, name="u.csv", data=csv_bytes(rows))
        if plan.ok:
            apply_import(actor=self.admin, property=self.prop, batch_id=batch.pk)

    def _invoices(self) -> list[Invoice]:
        return list(
            Invoice.objects.filter(property=self.prop).exclude(status=InvoiceStatus.DRAFT).order_by("pk")
        )

    def _invoice(self, pick: int) -> Invoice | None:
        found = self._invoices()
        return found[pick % len(found)] if found else None

    def _payment(self, pick: int, **filters: object) -> Payment | None:
        found = list(
            Payment.objects.filter(
                property=self.prop, kind=PaymentKind.PAYMENT, status=PaymentStatus.SUCCEEDED, **filters
            ).order_by("pk")
        )
        return found[pick % len(found)] if found else None

    def _publish(self, unit: int, amount: Decimal, **kwargs: object) -> None:
        invoice = invoicing.create_invoice(
            actor=self.actor,
            property=self.prop,
            unit_id=self.units[unit % len(self.units)].pk,
            title="Cotisation",
            amount=amount,
            due_date=self.today + dt.timedelta(days=5),
            **kwargs,  # type: ignore[arg-type]
        )
        invoicing.publish_invoice(actor=self.actor, invoice_id=invoice.pk)

    # --- rules -------------------------------------------------------------------------------

    @initialize(opening=st.lists(signed, min_size=2, max_size=2), back=st.integers(1, 90))
    def opening_balances(self, opening: list[Decimal], back: int) -> None:
        """The units arrive by import with their opening balances: owed (an invoice) or ahead (credit)."""
        self._import(opening, self.today - dt.timedelta(days=back))
        self.units = list(Unit.objects.filter(property=self.prop).order_by("number"))
        assert len(self.units) == 2
        self._residents()

    @rule(unit=st.integers(0, 1), balance=signed)
    def replace_opening_balance(self, unit: int, balance: Decimal) -> None:
        """A corrected file: an unpaid opening balance is replaced (the old one voided or taken back)."""
        rows = [Decimal("0.00")] * 2
        rows[unit] = balance
        self._import(rows, self.today - dt.timedelta(days=10))

    @rule(unit=st.integers(0, 1), amount=amounts)
    def publish(self, unit: int, amount: Decimal) -> None:
        self._publish(unit, amount)

    @rule(unit=st.integers(0, 1), amount=amounts, taxed=amounts)
    def publish_with_a_taxable_line(self, unit: int, amount: Decimal, taxed: Decimal) -> None:
        lines = [LineInput("Cotisation", None, amount), LineInput("Stationnement", self.parking.pk, taxed)]
        self._publish(unit, None, lines=lines)  # type: ignore[arg-type]

    @rule(unit=st.integers(0, 1), amount=amounts)
    def late_fee(self, unit: int, amount: Decimal) -> None:
        """A late fee is an invoice of the late-fee category, published as the collections job does."""
        self._publish(unit, amount, category_code=CategoryCode.LATE_FEE)

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def pay_by_cheque(self, pick: int, amount: Decimal, whole: bool) -> None:
        invoice = self._invoice(pick)
        if invoice is None:
            return
        if whole:
            amount = invoice.amount - invoice.amount_paid
        try:
            record_payment(
                property=self.prop, invoice_id=invoice.pk, actor=self.actor, amount=amount,
                paid_on=self.today, method="cheque",
            )  # fmt: skip
        except DomainError:
            return

    @rule(pick=picks, amount=amounts, whole=st.booleans(), pending_first=st.booleans())
    def pay_online(self, pick: int, amount: Decimal, whole: bool, pending_first: bool) -> None:
        """A Checkout Session paid by card (or a debit pending first: nothing posts until it clears)."""
        invoice = self._invoice(pick)
        if invoice is None:
            return
        if whole and invoice.balance > 0:
            amount = invoice.balance
        n = next(counter)
        row = CheckoutSession.objects.create(
            session_id=f"cs_ledger_{n}", property=self.prop, invoice=invoice, amount=amount,
            payment_method_types=["card"],
        )  # fmt: skip
        session = {
            "id": row.session_id,
            "status": "complete",
            "payment_status": "unpaid" if pending_first else "paid",
            "metadata": {"invoice_id": str(invoice.pk)},
            "amount_total": cents(amount),
            "currency": "cad",
            "payment_intent": f"pi_ledger_{n}",
        }
        entries = JournalLine.objects.count()
        stripe_events.record_online_payment(session=session)
        if pending_first:
            assert JournalLine.objects.count() == entries, "a pending payment posted to the ledger"
            stripe_events.record_online_payment(
                session={**session, "payment_status": "paid"}, event_type=stripe_events.ASYNC_SUCCEEDED
            )

    @rule(pick=picks)
    def reverse(self, pick: int) -> None:
        payment = self._payment(pick, method__in=["cheque", CREDIT_METHOD])
        if payment is None:
            return
        try:
            reverse_payment(property=self.prop, payment_id=payment.pk, actor=self.actor, reason="Erreur")
        except DomainError:
            return

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def refund_cheque(self, pick: int, amount: Decimal, whole: bool) -> None:
        payment = self._payment(pick, method="cheque")
        if payment is None:
            return
        if whole:
            amount = payment.amount - refunded_so_far(payment)
        try:
            refund_payment(
                property=self.prop, payment_id=payment.pk, actor=self.actor, amount=amount,
                reason="Remboursé", method="cheque",
            )  # fmt: skip
        except DomainError:
            return

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
        n = next(counter)
        refunds = {
            "has_more": False,
            "data": [{"id": f"re_ledger_{n}", "amount": cents(amount), "created": n}],
        }
        record_charge_refunded(
            {"id": f"ch_ledger_{n}", "payment_intent": payment.provider_payment_id, "refunds": refunds}
        )

    @rule(pick=picks, amount=amounts, whole=st.booleans())
    def apply_credit(self, pick: int, amount: Decimal, whole: bool) -> None:
        invoice = self._invoice(pick)
        if invoice is None:
            return
        if whole:
            amount = min(credits.credit_balance(unit=invoice.unit), invoice.amount - invoice.amount_paid)
        try:
            credits.apply_credit(
                property=self.prop, unit_id=invoice.unit_id, invoice_id=invoice.pk, amount=amount,
                actor=self.actor,
            )  # fmt: skip
        except DomainError:
            return

    @rule(unit=st.integers(0, 1), amount=amounts, whole=st.booleans())
    def refund_credit(self, unit: int, amount: Decimal, whole: bool) -> None:
        target = self.units[unit]
        if whole:
            amount = credits.credit_balance(unit=target)
        try:
            credits.refund_credit(
                property=self.prop, unit_id=target.pk, amount=amount, method="cheque", reason="Départ",
                actor=self.actor,
            )  # fmt: skip
        except DomainError:
            return

    @rule(pick=picks)
    def void(self, pick: int) -> None:
        """Void an open invoice (with payments: they become the unit's credit)."""
        invoice = self._invoice(pick)
        if invoice is None:
            return
        try:
            invoicing.void_invoice(
                actor=self.actor, invoice_id=invoice.pk, reason="Annulée", property=self.prop
            )
        except DomainError:
            return

    def _csv(self, name: str) -> list[dict[str, str]]:
        response = self.client.get(reverse(f"reports:{name}", args=[self.prop.pk]))
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    def _residents(self) -> None:
        """A portal login for the resident of each unit, who sees the unit's balance there."""
        for resident in Resident.objects.filter(property=self.prop, user__isnull=True):
            resident.user = cast(User, UserFactory(language="fr"))
            resident.save(update_fields=["user"])
        for unit in self.units:
            user = Resident.objects.get(occupancies__unit=unit, occupancies__is_primary=True).user
            assert user is not None
            self.portal[unit.pk] = user

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_balances_and_agrees(self) -> None:
        if not self.units:
            return
        assert unbalanced_entries(property=self.prop) == []
        balance = trial_balance(property=self.prop, as_of=self.today + dt.timedelta(days=1))
        assert balance.total_debit == balance.total_credit
        receivable = balances_by_unit(property=self.prop, kind=AccountKind.RECEIVABLE)
        unit_credit = balances_by_unit(property=self.prop, kind=AccountKind.UNIT_CREDIT)
        for unit in self.units:
            owed = sum(
                (i.amount - i.amount_paid for i in Invoice.objects.filter(
                    unit=unit, status__in=(InvoiceStatus.OPEN, InvoiceStatus.PAID))),
                ZERO,
            )  # fmt: skip
            assert receivable.get(unit.pk, ZERO) == owed, f"receivable of {unit.number}"
            assert -unit_credit.get(unit.pk, ZERO) == credits.credit_balance(unit=unit), (
                f"credit of {unit.number}"
            )
        assert ledger_mismatches(self.prop) == []
        # The summary rows the pages read (docs/decisions/0033) equal a full recomputation after every step.
        assert invoice_total_mismatches(self.prop.pk) == []
        assert payment_total_mismatches(self.prop.pk) == []

    @invariant()
    def every_figure_equals_the_ledger(self) -> None:
        if not self.units:
            return
        receivable = balances_by_unit(property=self.prop, kind=AccountKind.RECEIVABLE)
        unit_credit = balances_by_unit(property=self.prop, kind=AccountKind.UNIT_CREDIT)
        owed = sum(receivable.values(), ZERO)
        accounts = balances_by_account(property=self.prop)
        money = sum(
            (
                v
                for (kind, _c), v in accounts.items()
                if kind in (AccountKind.BANK, AccountKind.STRIPE_CLEARING)
            ),
            ZERO,
        )
        # Factures cards and aging.
        cards = invoice_summary(self.prop, self.today)
        assert cards.open.amount + cards.overdue.amount == owed, "Factures cards"
        assert aging_totals(property=self.prop, today=self.today).amount == owed, "aging total"
        aging = {u.pk: u.total for u in aging_by_unit(property=self.prop, today=self.today)}  # type: ignore[attr-defined]
        assert aging == {pk: v for pk, v in receivable.items() if v}, "aging by unit"
        # Each unit's statement and its resident's portal.
        for unit in self.units:
            position = receivable.get(unit.pk, ZERO) + unit_credit.get(unit.pk, ZERO)
            statement = unit_statement(unit=unit, start=self.today - dt.timedelta(days=400), end=self.today)
            assert statement.closing_balance == position, f"statement of {unit.number}"
            portal = portal_overview(user=self.portal[unit.pk])
            assert portal.balance_due - portal.credit == position, f"portal of {unit.number}"
        # Paiements « Net », payments.csv, invoices.csv.
        assert property_payment_totals(property=self.prop)["net"] == money, "Paiements Net"
        assert sum((Decimal(r["Amount"]) for r in self._csv("payments_csv") if r["Amount"]), ZERO) == money, (
            "payments.csv"
        )
        assert sum((Decimal(r["Balance due"]) for r in self._csv("invoices_csv")), ZERO) == owed, (
            "invoices.csv"
        )
        # The API.
        base = f"/properties/{self.prop.pk}"
        api_cards = self.api.get(f"{base}/invoices/summary").json()
        assert Decimal(api_cards["open"]["amount"]) + Decimal(api_cards["overdue"]["amount"]) == owed, (
            "API cards"
        )
        assert Decimal(self.api.get(f"{base}/payments").json()["totals"]["net"]) == money, "API net"
        tb = self.api.get(f"{base}/ledger/trial-balance").json()
        assert tb["total_debit"] == tb["total_credit"], "API trial balance"

    @invariant()
    def journal_never_changes(self) -> None:
        for line in JournalLine.objects.filter(entry__property=self.prop):
            now = (line.entry_id, line.account_id, line.debit, line.credit)
            assert self.seen.setdefault(line.pk, now) == now, "a journal line changed"
        assert set(self.seen) == set(
            JournalLine.objects.filter(entry__property=self.prop).values_list("pk", flat=True)
        ), "a journal line disappeared"


@pytest.mark.slow
@pytest.mark.django_db
@override_settings(API_RATE_LIMIT_PER_MINUTE=0)  # hundreds of API reads a minute: the test's, not abuse
def test_any_sequence_of_money_events_keeps_the_ledger_balanced_and_equal_to_the_records() -> None:
    Ledger.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        # No 'explain' phase: on a failure it replays each step many times against the database and
        # outlasts the 300 s watchdog; the shrunk steps are enough to read the failure.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Ledger.TestCase().runTest()
