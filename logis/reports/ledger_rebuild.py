"""The ledger of data that existed before it, and the check that the ledger agrees with the records.

``backfill_property`` posts, for a property with no journal yet, the entries the services would have
posted for its invoices, payments and credit entries (the data migration ``reports.0001`` and
``manage.py rebuild_ledger`` call it). ``ledger_mismatches`` compares the ledger with the records it
mirrors — the receivable of each unit with the balance due of its invoices, its unit credit with its
credit entries, bank and Stripe clearing with the money that moved, revenue and taxes with the lines of
the invoices in force — and lists every difference (none, ever). Lives in reports: it reads invoicing and
payments, which sit above the ledger (decision 0029).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

from django.db import transaction

from logis.finances.models import CategoryCode
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.ledger import posting
from logis.ledger.models import AccountKind, EntryKind, JournalEntry
from logis.ledger.posting import Leg, account, money_account
from logis.ledger.selectors import balances_by_account, balances_by_unit, unbalanced_entries
from logis.payments.models import CREDIT_METHOD, CreditKind, Payment, PaymentKind, PaymentStatus, UnitCredit
from logis.properties.models import ONLINE_METHODS, Property

ZERO = Decimal("0.00")


def _local(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


def backfill_property(prop: Property) -> int:
    """Post the entries of everything ``prop`` already holds; a property with a journal is left alone.
    Returns the number of entries posted. One transaction."""
    with transaction.atomic():
        Property.objects.select_for_update().get(pk=prop.pk)
        if JournalEntry.objects.filter(property=prop).exists():
            return 0
        count = 0
        zone = prop.timezone
        pid = prop.pk

        def leg(kind: str, amount: Decimal, **kw: int | None) -> Leg:
            return Leg(account(pid, kind), amount, **kw)

        def post(date: dt.date, kind: str, legs: list[Leg], source: tuple[str, int], memo: str = "") -> None:
            nonlocal count
            if any(x.amount for x in legs):
                posting.post(
                    property_id=pid,
                    date=date,
                    kind=kind,
                    legs=legs,
                    source_type=source[0],
                    source_id=source[1],
                    memo=memo,
                )
                count += 1

        credits = list(UnitCredit.objects.filter(property=prop))
        by_payment: dict[int, list[UnitCredit]] = defaultdict(list)
        void_credit: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for c in credits:
            if c.payment_id is not None:
                by_payment[c.payment_id].append(c)
            elif c.kind == CreditKind.VOIDED_INVOICE and c.invoice_id is not None:
                void_credit[c.invoice_id] += c.amount

        invoices = list(
            Invoice.objects.filter(property=prop, published_at__isnull=False).order_by("published_at", "id")
        )
        for inv in invoices:
            with posting.event(
                property_id=pid,
                date=_local(inv.published_at, zone),  # type: ignore[arg-type]
                kind=EntryKind.INVOICE_PUBLISHED,
                source=("invoice", inv.pk),
                memo=f"#{inv.number} {inv.title}",
            ) as ev:
                posting.invoice_legs(ev, inv)
            count += 1
        for inv in invoices:
            if inv.status == InvoiceStatus.VOID:
                voided = inv.voided_at or inv.updated_at
                with posting.invoice_voided(inv, date=_local(voided, zone)):
                    posting.credit_moved(unit_id=inv.unit_id, amount=void_credit[inv.pk])
                count += 1

        payments = Payment.objects.filter(property=prop, status=PaymentStatus.SUCCEEDED).select_related(
            "reverses"
        )
        for p in payments.order_by("id"):
            linked = by_payment.get(p.pk, [])
            unit = p.unit_id
            if p.kind == PaymentKind.PAYMENT and p.method == CREDIT_METHOD:
                legs = [
                    leg(AccountKind.UNIT_CREDIT, p.amount, unit_id=unit),
                    leg(AccountKind.RECEIVABLE, -p.amount, unit_id=unit),
                ]
                post(p.paid_on, EntryKind.CREDIT_APPLIED, legs, ("payment", p.pk))
            elif p.kind == PaymentKind.PAYMENT:
                to_credit = sum((c.amount for c in linked if c.amount > 0), ZERO)
                legs = [
                    leg(money_account(p.method), p.amount),
                    leg(AccountKind.UNIT_CREDIT, -to_credit, unit_id=unit),
                    leg(AccountKind.RECEIVABLE, -(p.amount - to_credit), unit_id=unit),
                ]
                post(p.paid_on, EntryKind.PAYMENT, legs, ("payment", p.pk), p.reference)
            elif p.kind == PaymentKind.REVERSAL:
                credit_back = p.reverses is not None and p.reverses.method == CREDIT_METHOD
                other = (
                    leg(AccountKind.UNIT_CREDIT, -p.amount, unit_id=unit)
                    if credit_back
                    else leg(money_account(p.method), -p.amount)
                )
                post(
                    p.paid_on,
                    EntryKind.PAYMENT_REVERSED,
                    [leg(AccountKind.RECEIVABLE, p.amount, unit_id=unit), other],
                    ("payment", p.pk),
                    p.note,
                )
            else:  # a refund: what the unit's credit held, then the invoice
                from_credit = -sum((c.amount for c in linked if c.amount < 0), ZERO)
                legs = [
                    leg(money_account(p.method), -p.amount),
                    leg(AccountKind.UNIT_CREDIT, from_credit, unit_id=unit),
                    leg(AccountKind.RECEIVABLE, p.amount - from_credit, unit_id=unit),
                ]
                post(p.paid_on, EntryKind.PAYMENT_REFUNDED, legs, ("payment", p.pk), p.note)

        for c in credits:
            if c.payment_id is not None:
                continue
            day = _local(c.created_at, zone)
            if c.kind == CreditKind.REFUNDED:
                legs = [
                    leg(AccountKind.UNIT_CREDIT, -c.amount, unit_id=c.unit_id),
                    leg(money_account(c.method), c.amount),
                ]
                post(day, EntryKind.CREDIT_REFUNDED, legs, ("unit_credit", c.pk), c.reason)
            elif c.kind == CreditKind.OPENING_BALANCE:
                kind = EntryKind.OPENING_CREDIT if c.amount > 0 else EntryKind.OPENING_CREDIT_REMOVED
                legs = [
                    leg(AccountKind.UNIT_CREDIT, -c.amount, unit_id=c.unit_id),
                    leg(AccountKind.OPENING_EQUITY, c.amount),
                ]
                post(day, kind, legs, ("unit_credit", c.pk), c.reason)
        return count


def backfill_all() -> int:
    return sum(backfill_property(p) for p in Property.objects.order_by("id"))


def expected_figures(prop: Property) -> dict[str, dict[object, Decimal]]:
    """What the records say each ledger figure is (debit balances: assets > 0, the others < 0)."""
    receivable: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for unit_id, amount, paid in Invoice.objects.filter(
        property=prop, status__in=(InvoiceStatus.OPEN, InvoiceStatus.PAID)
    ).values_list("unit_id", "amount", "amount_paid"):
        receivable[unit_id] += amount - paid
    unit_credit: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for unit_id, amount in UnitCredit.objects.filter(property=prop).values_list("unit_id", "amount"):
        unit_credit[unit_id] -= amount
    cash: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for kind, method, amount, original in Payment.objects.filter(
        property=prop, status=PaymentStatus.SUCCEEDED
    ).values_list("kind", "method", "amount", "reverses__method"):
        if method == CREDIT_METHOD or (kind == PaymentKind.REVERSAL and original == CREDIT_METHOD):
            continue
        where = AccountKind.STRIPE_CLEARING if method in ONLINE_METHODS else AccountKind.BANK
        cash[where] += amount if kind == PaymentKind.PAYMENT else -amount
    for method, amount in UnitCredit.objects.filter(
        property=prop, kind=CreditKind.REFUNDED, payment__isnull=True
    ).values_list("method", "amount"):
        cash[AccountKind.STRIPE_CLEARING if method in ONLINE_METHODS else AccountKind.BANK] += amount
    income: dict[object, Decimal] = defaultdict(lambda: ZERO)
    for category_id, code, amount, gst, qst in InvoiceLine.objects.filter(
        invoice__property=prop, invoice__status__in=(InvoiceStatus.OPEN, InvoiceStatus.PAID)
    ).values_list("category_id", "category__code", "amount", "gst_amount", "qst_amount"):
        key = AccountKind.OPENING_EQUITY if code == CategoryCode.OPENING_BALANCE else ("revenue", category_id)
        income[key] -= amount
        income[AccountKind.GST_PAYABLE] -= gst
        income[AccountKind.QST_PAYABLE] -= qst
    for amount in UnitCredit.objects.filter(property=prop, kind=CreditKind.OPENING_BALANCE).values_list(
        "amount", flat=True
    ):
        income[AccountKind.OPENING_EQUITY] += amount
    return {"receivable": receivable, "unit_credit": unit_credit, "cash": cash, "income": income}


def ledger_mismatches(prop: Property) -> list[str]:
    """Every way the property's ledger disagrees with its records (an empty list: it agrees)."""
    problems = [f"entry {pk} does not balance" for pk in unbalanced_entries(property=prop)]
    expected = expected_figures(prop)
    actual_by_account = balances_by_account(property=prop)
    actual: dict[str, dict[object, Decimal]] = {
        "receivable": cast(
            "dict[object, Decimal]", balances_by_unit(property=prop, kind=AccountKind.RECEIVABLE)
        ),
        "unit_credit": cast(
            "dict[object, Decimal]", balances_by_unit(property=prop, kind=AccountKind.UNIT_CREDIT)
        ),
        "cash": {
            k: v
            for (k, _c), v in actual_by_account.items()
            if k in (AccountKind.BANK, AccountKind.STRIPE_CLEARING)
        },
        "income": {
            (("revenue", c) if k == AccountKind.REVENUE else k): v
            for (k, c), v in actual_by_account.items()
            if k
            in (
                AccountKind.REVENUE,
                AccountKind.GST_PAYABLE,
                AccountKind.QST_PAYABLE,
                AccountKind.OPENING_EQUITY,
            )
        },
    }
    for figure, wanted in expected.items():
        got = actual[figure]
        for key in sorted(set(wanted) | set(got), key=str):
            if wanted.get(key, ZERO) != got.get(key, ZERO):
                problems.append(
                    f"{prop}: {figure} {key}: ledger {got.get(key, ZERO)}, records {wanted.get(key, ZERO)}"
                )
    return problems
