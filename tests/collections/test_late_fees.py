"""Late fees: billed as their own invoice linked to the overdue one (never an edit), after the grace
period, at most once per period, never on void, paid, draft or late-fee invoices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.collections.arithmetic import interest_for_month
from logis.collections.late_fees import apply_late_fees, fee_period
from logis.collections.models import LateFee, LateFeeMode, LateFeePolicy
from logis.core.dates import add_months
from logis.core.models import AuditEvent
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.properties.models import Property, Unit
from tests.collections.conftest import at
from tests.factories import InvoiceFactory

InvoiceMaker = Callable[..., Invoice]
PolicyMaker = Callable[..., LateFeePolicy]
NBSP = "\u00a0"

DUE = dt.date(2027, 6, 15)


def fees_of(invoice: Invoice) -> list[LateFee]:
    return list(
        LateFee.objects.filter(original=invoice).select_related("fee_invoice").order_by("period_index")
    )


# --- Fixed fee: once per invoice ------------------------------------------------------------------


def test_a_fixed_fee_is_billed_as_a_new_published_invoice_linked_to_the_original(
    prop: Property, invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(fixed_amount=Decimal("25.00"), grace_days=5)
    original = invoice_due(DUE, number=7, title="Cotisation de juin")
    before = Invoice.objects.values().get(pk=original.pk)

    assert apply_late_fees(now=at(DUE + dt.timedelta(days=6))) == 1

    [late_fee] = fees_of(original)
    fee = late_fee.fee_invoice
    assert fee.pk != original.pk
    assert (fee.status, fee.amount, fee.unit_id) == (InvoiceStatus.OPEN, Decimal("25.00"), original.unit_id)
    assert fee.number is not None and fee.number != original.number
    assert fee.title == "Frais de retard — facture nº 7"
    assert "facture nº 7 (« Cotisation de juin »)" in fee.description
    assert fee.created_by is None and fee.published_by is None
    assert fee.due_date == DUE + dt.timedelta(days=6)
    assert (late_fee.period_index, late_fee.period_end, late_fee.balance) == (0, None, Decimal("1234.56"))
    # The original is never edited.
    assert Invoice.objects.values().get(pk=original.pk) == before


def test_a_fixed_fee_is_billed_once_per_invoice_however_long_it_stays_overdue(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(fixed_amount=Decimal("25.00"))
    original = invoice_due(DUE)
    total = 0
    for days in (1, 1, 2, 31, 62, 400):
        total += apply_late_fees(now=at(DUE + dt.timedelta(days=days)))
    assert total == 1
    assert len(fees_of(original)) == 1


def test_no_fee_during_the_grace_period_and_one_the_day_after(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(grace_days=10)
    original = invoice_due(DUE)
    assert apply_late_fees(now=at(DUE)) == 0  # due today: not overdue
    assert apply_late_fees(now=at(DUE + dt.timedelta(days=10), 23, 59)) == 0  # last day of grace
    assert apply_late_fees(now=at(DUE + dt.timedelta(days=11), 0, 1)) == 1
    assert fees_of(original)[0].period_start == DUE + dt.timedelta(days=11)


# --- Never on void, paid, draft, or late-fee invoices ------------------------------------------------


def test_never_on_void_paid_or_draft_invoices(
    prop: Property, unit: Unit, invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy()
    paid = invoice_due(DUE, amount=Decimal("100.00"), amount_paid=Decimal("100.00"))
    void = invoice_due(DUE, status=InvoiceStatus.VOID)
    draft = InvoiceFactory(property=prop, unit=unit, due_date=DUE)

    assert apply_late_fees(now=at(DUE + dt.timedelta(days=3))) == 0
    assert fees_of(paid) == fees_of(void) == fees_of(draft) == []


def test_a_partly_paid_overdue_invoice_gets_a_fee(invoice_due: InvoiceMaker, fee_policy: PolicyMaker) -> None:
    fee_policy()
    original = invoice_due(DUE, amount=Decimal("100.00"), amount_paid=Decimal("60.00"))
    assert apply_late_fees(now=at(DUE + dt.timedelta(days=1))) == 1
    assert fees_of(original)[0].balance == Decimal("40.00")


def test_never_a_fee_on_a_late_fee(invoice_due: InvoiceMaker, fee_policy: PolicyMaker) -> None:
    fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=Decimal("18"))
    original = invoice_due(DUE)
    apply_late_fees(now=at(DUE + dt.timedelta(days=1)))
    [first] = fees_of(original)
    fee_invoice = first.fee_invoice

    # Months later the fee invoice is itself overdue: the original gets more interest, the fee never.
    for months in range(1, 4):
        apply_late_fees(now=at(add_months(DUE + dt.timedelta(days=1), months)))
    assert len(fees_of(original)) == 4
    assert fees_of(fee_invoice) == []
    assert not LateFee.objects.filter(original__in=LateFee.objects.values("fee_invoice")).exists()


def test_no_fee_when_payments_are_disabled_or_the_policy_is_off(
    prop: Property, invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    policy = fee_policy(enabled=False)
    original = invoice_due(DUE)
    assert apply_late_fees(now=at(DUE + dt.timedelta(days=1))) == 0
    policy.enabled = True
    policy.save()
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    assert apply_late_fees(now=at(DUE + dt.timedelta(days=1))) == 0
    assert fees_of(original) == []


# --- Interest: monthly, on the balance, rounded half up ---------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "rate", "expected"),
    [
        (Decimal("1234.56"), Decimal("18"), Decimal("18.52")),  # 18.5184
        (Decimal("1000.00"), Decimal("12"), Decimal("10.00")),
        (Decimal("1.00"), Decimal("6"), Decimal("0.01")),  # 0.005: half up, not half even
        (Decimal("3.00"), Decimal("1"), Decimal("0.00")),  # 0.0025
        (Decimal("250.00"), Decimal("7.5"), Decimal("1.56")),  # 1.5625
    ],
)
def test_monthly_interest_is_balance_times_rate_over_twelve_rounded_half_up(
    balance: Decimal, rate: Decimal, expected: Decimal
) -> None:
    assert interest_for_month(balance, rate) == expected


def test_interest_is_billed_once_per_month_on_the_balance_still_due(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=Decimal("18"), grace_days=0)
    original = invoice_due(DUE, amount=Decimal("1234.56"))
    start = DUE + dt.timedelta(days=1)

    assert apply_late_fees(now=at(start)) == 1
    assert apply_late_fees(now=at(start + dt.timedelta(days=20))) == 0  # same month
    Invoice.objects.filter(pk=original.pk).update(amount_paid=Decimal("234.56"))  # a partial payment
    assert apply_late_fees(now=at(add_months(start, 1))) == 1
    assert apply_late_fees(now=at(add_months(start, 1), 18)) == 0

    first, second = fees_of(original)
    assert (first.period_index, first.amount, first.fee_invoice.amount) == (
        0,
        Decimal("18.52"),
        Decimal("18.52"),
    )
    assert (second.period_index, second.balance, second.amount) == (1, Decimal("1000.00"), Decimal("15.00"))
    assert (first.period_start, first.period_end) == (start, add_months(start, 1))
    description = first.fee_invoice.description
    assert f"1{NBSP}234,56{NBSP}$ × 18 % ÷ 12 = 18,52{NBSP}$" in description


def test_a_missed_month_is_not_billed_later(invoice_due: InvoiceMaker, fee_policy: PolicyMaker) -> None:
    """After an outage only the current period is billed: at most once per period, never back-filled."""
    fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=Decimal("12"))
    original = invoice_due(DUE)
    start = DUE + dt.timedelta(days=1)
    apply_late_fees(now=at(start))
    assert apply_late_fees(now=at(add_months(start, 3) + dt.timedelta(days=2))) == 1
    assert [f.period_index for f in fees_of(original)] == [0, 3]


# --- Time travel: month ends and Feb 29 ---------------------------------------------------------------


def test_periods_from_january_31_go_through_feb_29_2028_and_month_ends() -> None:
    start = dt.date(2028, 1, 31)
    assert [add_months(start, n) for n in range(5)] == [
        dt.date(2028, 1, 31),
        dt.date(2028, 2, 29),
        dt.date(2028, 3, 31),
        dt.date(2028, 4, 30),
        dt.date(2028, 5, 31),
    ]
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    due = dt.date(2027, 12, 31)  # grace 30 days: first fee on January 31, 2028
    assert fee_period(LateFeeMode.INTEREST, due, 30, dt.date(2028, 2, 28)).index == 0  # type: ignore[union-attr]
    assert fee_period(LateFeeMode.INTEREST, due, 30, dt.date(2028, 2, 29)).index == 1  # type: ignore[union-attr]
    assert fee_period(LateFeeMode.INTEREST, due, 30, dt.date(2028, 3, 30)).index == 1  # type: ignore[union-attr]
    assert fee_period(LateFeeMode.INTEREST, due, 30, dt.date(2028, 3, 31)).index == 2  # type: ignore[union-attr]
    assert fee_period(LateFeeMode.INTEREST, due, 30, dt.date(2028, 1, 30)) is None


def test_interest_on_feb_29_2028_in_toronto_local_dates(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=Decimal("12"), grace_days=30)
    original = invoice_due(dt.date(2027, 12, 31), amount=Decimal("600.00"))

    assert apply_late_fees(now=at(dt.date(2028, 1, 30), 23, 59)) == 0  # grace ends Jan 30
    assert apply_late_fees(now=at(dt.date(2028, 1, 31), 0, 1)) == 1
    # 23:30 on Feb 28 in Toronto is Feb 29 in UTC: still the first period.
    assert apply_late_fees(now=at(dt.date(2028, 2, 28), 23, 30)) == 0
    assert apply_late_fees(now=at(dt.date(2028, 2, 29), 0, 30)) == 1
    assert apply_late_fees(now=at(dt.date(2028, 3, 30), 12)) == 0
    assert apply_late_fees(now=at(dt.date(2028, 3, 31), 12)) == 1

    assert [(f.period_start, f.period_end, f.amount) for f in fees_of(original)] == [
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29), Decimal("6.00")),
        (dt.date(2028, 2, 29), dt.date(2028, 3, 31), Decimal("6.00")),
        (dt.date(2028, 3, 31), dt.date(2028, 4, 30), Decimal("6.00")),
    ]


def test_grace_ends_across_the_fall_back_daylight_saving_change(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(grace_days=2)
    original = invoice_due(dt.date(2027, 11, 4))  # fee from November 7, the day clocks go back
    late_on_nov_6 = at(dt.date(2027, 11, 6), 23, 30)
    assert late_on_nov_6.astimezone(dt.UTC).date() == dt.date(2027, 11, 7)
    assert apply_late_fees(now=late_on_nov_6) == 0
    assert apply_late_fees(now=at(dt.date(2027, 11, 7), 1, 30)) == 1
    assert fees_of(original)[0].period_start == dt.date(2027, 11, 7)


# --- Notify, audit, query count, and the invoice pages -------------------------------------------------


def test_the_fee_invoice_is_emailed_when_the_policy_says_so(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(notify_resident=True, title_pattern="Pénalité — {title} (nº {number})")
    original = invoice_due(DUE, number=12, title="Cotisation")
    apply_late_fees(now=at(DUE + dt.timedelta(days=1)))
    fee = fees_of(original)[0].fee_invoice
    assert fee.title == "Pénalité — Cotisation (nº 12)"
    [email] = EmailMessage.objects.filter(invoice=fee)
    assert email.kind == "invoice_published"
    assert email.to_email == "marie@example.com"


def test_no_email_for_the_fee_invoice_when_notify_is_off(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker
) -> None:
    fee_policy(notify_resident=False)
    original = invoice_due(DUE)
    apply_late_fees(now=at(DUE + dt.timedelta(days=1)))
    assert not EmailMessage.objects.filter(invoice=fees_of(original)[0].fee_invoice).exists()


def test_a_late_fee_is_audited_as_done_by_logis(invoice_due: InvoiceMaker, fee_policy: PolicyMaker) -> None:
    fee_policy()
    original = invoice_due(DUE)
    apply_late_fees(now=at(DUE + dt.timedelta(days=1)))
    fee = fees_of(original)[0]
    verbs = set(AuditEvent.objects.filter(actor__isnull=True).values_list("verb", flat=True))
    assert {"late_fee.applied", "invoice.created", "invoice.published"} <= verbs
    after = AuditEvent.objects.get(verb="late_fee.applied").after
    assert after is not None and after["original"] == original.pk
    assert fee.fee_invoice.created_by is None


def test_the_job_costs_one_query_per_property_when_nothing_is_due(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker, django_assert_num_queries
) -> None:
    fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=Decimal("18"), grace_days=5)
    for i in range(40):
        invoice_due(DUE + dt.timedelta(days=i))  # within the grace period or not yet due
    already = invoice_due(DUE - dt.timedelta(days=30))
    now = at(DUE + dt.timedelta(days=3))
    apply_late_fees(now=now)
    assert len(fees_of(already)) == 1
    with django_assert_num_queries(2):  # the enabled policies, then one query for this property
        assert apply_late_fees(now=now) == 0


def test_a_backlog_of_fees_is_billed_over_several_runs(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logis.collections import late_fees

    monkeypatch.setattr(late_fees, "MAX_PER_RUN", 4)
    fee_policy()
    for _ in range(6):
        invoice_due(DUE)
    now = at(DUE + dt.timedelta(days=1))
    assert [apply_late_fees(now=now + dt.timedelta(minutes=i)) for i in range(3)] == [4, 2, 0]
    assert LateFee.objects.count() == 6


def test_the_invoice_pages_link_the_fee_and_the_original(
    prop: Property, invoice_due: InvoiceMaker, fee_policy: PolicyMaker, manager_client: Client
) -> None:
    fee_policy(fixed_amount=Decimal("25.00"))
    original = invoice_due(DUE, number=3)
    apply_late_fees(now=at(DUE + dt.timedelta(days=1)))
    fee = fees_of(original)[0].fee_invoice

    page = manager_client.get(reverse("invoicing:detail", args=[prop.pk, original.pk])).content.decode()
    assert reverse("invoicing:detail", args=[prop.pk, fee.pk]) in page
    assert "Frais de retard — facture nº 3" in page
    fee_page = manager_client.get(reverse("invoicing:detail", args=[prop.pk, fee.pk])).content.decode()
    assert "Cette facture est un frais de retard sur la" in fee_page
    assert reverse("invoicing:detail", args=[prop.pk, original.pk]) in fee_page
