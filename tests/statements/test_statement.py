"""The unit's account statement: one line per event that changes what the unit owes, each on its local
date in the property's time zone; the opening balance is everything before the period; the closing
balance equals the balance due of the open invoices less the unit's credit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from logis.collections.late_fees import apply_late_fees
from logis.collections.models import LateFeeMode, LateFeePolicy
from logis.invoicing.models import Invoice
from logis.properties.models import Property, Unit
from logis.statements.selectors import LineKind, Statement, default_period, unit_statement
from tests.factories import InvoiceFactory, UnitFactory, add_unit_credit
from tests.statements.conftest import Ledger, at, utc

D = Decimal
JAN_1 = dt.date(2025, 1, 1)


def statement(ledger: Ledger, start: dt.date = JAN_1, end: dt.date | None = None) -> Statement:
    return unit_statement(unit=ledger.unit, start=start, end=end or ledger.today)


def rows(s: Statement) -> list[tuple[LineKind, Decimal | None, Decimal | None, Decimal | None]]:
    return [(line.kind, line.debit, line.credit, line.balance) for line in s.lines]


def fr(text: Callable[[], str]) -> str:
    with translation.override("fr"):
        return text()


def en(text: Callable[[], str]) -> str:
    with translation.override("en"):
        return text()


# --- Invoices ---------------------------------------------------------------------------------------


def test_a_published_invoice_is_charged_on_its_publish_date_in_the_property_zone(ledger: Ledger) -> None:
    # 03:30 UTC on 1 March is still 28 February, 22:30, in Toronto.
    invoice = ledger.invoice("100.00", when=utc(dt.date(2025, 3, 1), 3, 30), title="Cotisation de mars")
    s = statement(ledger)
    [line] = s.lines
    assert (line.date, line.kind, line.debit, line.credit, line.balance) == (
        dt.date(2025, 2, 28),
        LineKind.INVOICE,
        D("100.00"),
        None,
        D("100.00"),
    )
    assert line.invoice_id == invoice.pk
    assert fr(lambda: line.description) == f"Facture nº {invoice.number} — Cotisation de mars"
    assert en(lambda: line.description) == f"Invoice no. {invoice.number} — Cotisation de mars"


def test_drafts_and_drafts_voided_unpublished_never_appear(ledger: Ledger) -> None:
    ledger.draft("80.00")
    ledger.void(ledger.draft("90.00"))
    s = statement(ledger)
    assert s.lines == [] and s.opening_balance == 0 and s.closing_balance == 0
    assert ledger.closing() == ledger.owed_less_credit() == 0


def test_voiding_a_published_invoice_credits_its_amount_on_the_void_date(ledger: Ledger) -> None:
    invoice = ledger.invoice("250.00", when=at(dt.date(2025, 1, 10)))
    ledger.void(invoice, when=at(dt.date(2025, 2, 3), 9))
    s = statement(ledger)
    assert [(line.date, line.kind) for line in s.lines] == [
        (dt.date(2025, 1, 10), LineKind.INVOICE),
        (dt.date(2025, 2, 3), LineKind.VOID),
    ]
    assert rows(s)[1] == (LineKind.VOID, None, D("250.00"), D("0.00"))
    assert fr(lambda: s.lines[1].description) == f"Annulée : Facture nº {invoice.number} — Cotisation"
    assert s.closing_balance == 0 == ledger.owed_less_credit()


def test_a_voided_invoice_with_payments_leaves_them_as_credit_on_the_account(ledger: Ledger) -> None:
    invoice = ledger.invoice("300.00", when=at(dt.date(2025, 1, 10)))
    ledger.pay(invoice, "100.00", on=dt.date(2025, 1, 15), reference="1234")
    ledger.void(invoice, when=at(dt.date(2025, 2, 2)))
    s = statement(ledger)
    assert rows(s) == [
        (LineKind.INVOICE, D("300.00"), None, D("300.00")),
        (LineKind.PAYMENT, None, D("100.00"), D("200.00")),
        (LineKind.VOID, None, D("300.00"), D("-100.00")),
    ]
    assert "100,00\u00a0$ reçu reste au crédit du compte" in fr(lambda: s.lines[2].description)
    assert s.closing_balance == D("-100.00") and s.closing_credit == D("100.00")
    assert ledger.closing() == ledger.owed_less_credit() == D("-100.00")


def test_a_late_fee_is_an_ordinary_invoice_line(ledger: Ledger, prop: Property) -> None:
    original = ledger.invoice("500.00", title="Cotisation de juin")
    LateFeePolicy.objects.create(
        property=prop, enabled=True, mode=LateFeeMode.FIXED, fixed_amount=D("25.00"), grace_days=0
    )
    billed_on = original.due_date + dt.timedelta(days=2)
    assert apply_late_fees(now=at(billed_on, 9)) == 1
    s = statement(ledger, end=billed_on)
    assert [(line.kind, line.debit, line.date) for line in s.lines][-1] == (
        LineKind.INVOICE,
        D("25.00"),
        billed_on,
    )
    assert fr(lambda: s.lines[-1].description).endswith(f"Frais de retard — facture nº {original.number}")
    assert s.closing_balance == D("525.00")


# --- Payments ---------------------------------------------------------------------------------------


def test_a_payment_is_a_credit_line_with_its_method_and_reference(ledger: Ledger) -> None:
    invoice = ledger.invoice("120.00", when=at(dt.date(2025, 3, 1)))
    ledger.pay(invoice, "120.00", on=dt.date(2025, 3, 5), method="interac", reference="CA7Q")
    s = statement(ledger)
    assert rows(s)[1] == (LineKind.PAYMENT, None, D("120.00"), D("0.00"))
    assert s.lines[1].date == dt.date(2025, 3, 5) and s.lines[1].invoice_id == invoice.pk
    assert (
        fr(lambda: s.lines[1].description)
        == f"Paiement (Virement Interac, réf. CA7Q) — Facture nº {invoice.number} — Cotisation"
    )
    assert (
        en(lambda: s.lines[1].description)
        == f"Payment (Interac e-Transfer, ref. CA7Q) — Invoice no. {invoice.number} — Cotisation"
    )


def test_a_reversal_and_a_refund_are_charged_back(ledger: Ledger) -> None:
    invoice = ledger.invoice("200.00", when=at(dt.date(2025, 3, 1)))
    first = ledger.pay(invoice, "50.00", on=dt.date(2025, 3, 2))
    second = ledger.pay(invoice, "150.00", on=dt.date(2025, 3, 3))
    ledger.reverse(first, on=dt.date(2025, 3, 4))
    ledger.refund(second, "40.00", on=dt.date(2025, 3, 5))
    s = statement(ledger)
    assert rows(s) == [
        (LineKind.INVOICE, D("200.00"), None, D("200.00")),
        (LineKind.PAYMENT, None, D("50.00"), D("150.00")),
        (LineKind.PAYMENT, None, D("150.00"), D("0.00")),
        (LineKind.REVERSAL, D("50.00"), None, D("50.00")),
        (LineKind.REFUND, D("40.00"), None, D("90.00")),
    ]
    assert fr(lambda: s.lines[3].description).startswith("Paiement annulé (Chèque)")
    assert fr(lambda: s.lines[4].description).startswith("Remboursement (Chèque)")
    assert ledger.closing() == ledger.owed_less_credit() == D("90.00")


# --- Credit -----------------------------------------------------------------------------------------


def test_credit_applied_and_its_reversal_are_notes_that_leave_the_balance_alone(ledger: Ledger) -> None:
    voided = ledger.invoice("100.00", when=at(dt.date(2025, 1, 5)))
    ledger.pay(voided, "100.00", on=dt.date(2025, 1, 6))  # paid in full: the invoice is paid…
    ledger.refund(voided.payments.get(), "100.00", on=dt.date(2025, 1, 7))  # …then reopened
    ledger.pay(voided, "60.00", on=dt.date(2025, 1, 8))
    ledger.void(voided, when=at(dt.date(2025, 1, 9)))  # 60 $ of credit
    later = ledger.invoice("150.00", when=at(dt.date(2025, 2, 1)))
    applied = ledger.apply_credit(later, "60.00", on=dt.date(2025, 2, 2))
    ledger.reverse(applied, on=dt.date(2025, 2, 3))
    s = statement(ledger, start=dt.date(2025, 2, 1))
    assert s.opening_balance == D("-60.00")
    assert rows(s) == [
        (LineKind.INVOICE, D("150.00"), None, D("90.00")),
        (LineKind.CREDIT_APPLIED, None, None, None),
        (LineKind.CREDIT_RETURNED, None, None, None),
    ]
    assert s.lines[1].is_note and s.lines[1].invoice_id == later.pk
    assert fr(lambda: s.lines[1].description) == (
        f"60,00\u00a0$ du crédit au compte appliqués à Facture nº {later.number} — Cotisation"
    )
    assert en(lambda: s.lines[2].description).startswith("Credit application reversed: $60.00 back to")
    assert s.closing_balance == D("90.00") == ledger.owed_less_credit()


def test_credit_refunded_to_the_resident_is_charged_back_to_the_account(ledger: Ledger) -> None:
    invoice = ledger.invoice("80.00", when=at(dt.date(2025, 1, 5)))
    ledger.pay(invoice, "80.00", on=dt.date(2025, 1, 6))
    ledger.refund(invoice.payments.get(), "30.00", on=dt.date(2025, 1, 7))
    ledger.void(invoice, when=at(dt.date(2025, 1, 8)))  # 50 $ of credit
    ledger.refund_credit("50.00", when=at(dt.date(2025, 1, 20)))
    s = statement(ledger)
    assert rows(s)[-1] == (LineKind.CREDIT_REFUNDED, D("50.00"), None, D("0.00"))
    assert s.lines[-1].date == dt.date(2025, 1, 20) and s.lines[-1].invoice_id is None
    assert fr(lambda: s.lines[-1].description) == "Crédit au compte remboursé (Virement Interac)"
    assert s.closing_balance == 0 == ledger.owed_less_credit()


def test_credit_added_without_a_payment_is_a_credit_line(ledger: Ledger) -> None:
    add_unit_credit(unit=ledger.unit, amount=D("12.34"), reason="Trop-perçu reçu en main propre")
    [line] = statement(ledger).lines
    assert (line.kind, line.debit, line.credit, line.balance) == (
        LineKind.CREDIT_RECEIVED,
        None,
        D("12.34"),
        D("-12.34"),
    )
    assert ledger.closing() == ledger.owed_less_credit() == D("-12.34")


# --- The period -------------------------------------------------------------------------------------


def test_opening_balance_counts_everything_before_the_period(ledger: Ledger) -> None:
    march = dt.date(2025, 3, 1)
    # Toronto is UTC-5 until 9 March: 04:59 UTC on 1 March is 23:59 on 28 February there.
    old = ledger.invoice("100.00", when=utc(march, 4, 59))
    ledger.pay(old, "30.00", on=dt.date(2025, 2, 28))
    voided = ledger.invoice("70.00", when=at(dt.date(2025, 2, 1)))
    ledger.void(voided, when=at(dt.date(2025, 2, 27), 23, 59))
    s = statement(ledger, start=march)
    assert s.opening_balance == D("70.00")
    assert s.lines == []
    assert s.closing_balance == D("70.00") == ledger.owed_less_credit()


def test_an_event_on_the_first_day_of_the_period_belongs_to_the_period(ledger: Ledger) -> None:
    march = dt.date(2025, 3, 1)
    before = ledger.invoice("100.00", when=utc(march, 4, 59))  # 23:59 on 28 February in Toronto
    first = ledger.invoice("40.00", when=utc(march, 5, 0))  # midnight on 1 March in Toronto
    ledger.pay(before, "20.00", on=march)
    s = statement(ledger, start=march, end=dt.date(2025, 3, 31))
    assert s.opening_balance == D("100.00")
    assert [(line.date, line.kind, line.invoice_id) for line in s.lines] == [
        (march, LineKind.INVOICE, first.pk),
        (march, LineKind.PAYMENT, before.pk),
    ]
    assert s.closing_balance == D("120.00")


def test_the_last_day_of_the_period_ends_at_local_midnight(ledger: Ledger) -> None:
    april = dt.date(2025, 4, 1)
    # Daylight time (UTC-4) in April: 03:59 UTC on 1 April is still 31 March, 23:59, in Toronto.
    last = ledger.invoice("10.00", when=utc(april, 3, 59))
    ledger.invoice("20.00", when=utc(april, 4, 0))  # 1 April, 00:00: after the period
    s = statement(ledger, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31))
    assert [(line.date, line.invoice_id) for line in s.lines] == [(dt.date(2025, 3, 31), last.pk)]
    assert s.closing_balance == D("10.00")
    after = statement(ledger, start=april, end=april)
    assert after.opening_balance == D("10.00") and after.closing_balance == D("30.00")


def test_dates_follow_the_property_zone_not_utc(prop: Property, ledger: Ledger) -> None:
    prop.timezone = "America/Vancouver"
    prop.save()
    ledger.unit.property = prop
    # 07:30 UTC on 1 March is 23:30 on 28 February in Vancouver (and 02:30 on 1 March in Toronto).
    ledger.invoice("10.00", when=utc(dt.date(2025, 3, 1), 7, 30))
    s = statement(ledger, start=dt.date(2025, 3, 1))
    assert s.lines == [] and s.opening_balance == D("10.00")


def test_a_period_without_activity_still_has_its_balances(ledger: Ledger) -> None:
    invoice = ledger.invoice("55.00", when=at(dt.date(2025, 1, 10)))
    ledger.pay(invoice, "5.00", on=dt.date(2025, 1, 11))
    s = statement(ledger, start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 28))
    assert not s.has_activity
    assert s.opening_balance == s.closing_balance == D("50.00")


def test_the_default_period_is_the_twelve_months_up_to_today() -> None:
    assert default_period(dt.date(2025, 6, 15)) == (dt.date(2024, 6, 16), dt.date(2025, 6, 15))
    assert default_period(dt.date(2024, 2, 29)) == (dt.date(2023, 3, 1), dt.date(2024, 2, 29))
    assert default_period(dt.date(2025, 1, 1)) == (dt.date(2024, 1, 2), dt.date(2025, 1, 1))


def test_another_unit_and_another_property_never_appear(ledger: Ledger, prop: Property) -> None:
    neighbour = UnitFactory(property=prop, number="102")
    InvoiceFactory(property=prop, unit=neighbour, number=900, status="open", amount=D("999.00"))
    ledger.invoice("10.00", when=at(dt.date(2025, 1, 2)))
    assert [line.debit for line in statement(ledger).lines] == [D("10.00")]


# --- Cost -------------------------------------------------------------------------------------------


def _history(ledger: Ledger, months: int) -> None:
    """``months`` of dues: each published, paid in two parts (one reversed), some voided with payments,
    credit applied and refunded."""
    for n in range(months):
        day = JAN_1 + dt.timedelta(days=7 * n)
        invoice = ledger.invoice("100.00", when=at(day))
        first = ledger.pay(invoice, "40.00", on=day)
        ledger.reverse(first, on=day)
        ledger.pay(invoice, "30.00", on=day, reference=f"=cmd{n}")
        if n % 3 == 0:
            ledger.void(invoice, when=at(day, 15))  # 30 $ of credit…
        elif n % 3 == 1:
            ledger.apply_credit(invoice, "20.00", on=day)  # …20 $ applied…
        else:
            ledger.refund_credit("10.00", when=at(day, 16))  # …and 10 $ given back


def test_the_statement_costs_the_same_queries_whatever_the_number_of_lines(ledger: Ledger) -> None:
    _history(ledger, 3)
    unit = Unit.objects.select_related("property").get(pk=ledger.unit.pk)
    with CaptureQueriesContext(connection) as few:
        small = unit_statement(unit=unit, start=dt.date(2025, 1, 8), end=ledger.today)
    _history(ledger, 30)
    with CaptureQueriesContext(connection) as many:
        large = unit_statement(unit=unit, start=dt.date(2025, 1, 8), end=ledger.today)
    assert len(large.lines) > 5 * len(small.lines) > 0
    assert len(many.captured_queries) == len(few.captured_queries) == 7
    assert ledger.closing() == ledger.owed_less_credit()


@pytest.mark.parametrize("invoices", [0, 1])
def test_invoices_made_by_hand_without_publish_stamps_still_balance(ledger: Ledger, invoices: int) -> None:
    """Rows written outside the services (older data, fixtures) have no published_at/voided_at: their
    creation and last change date them, so the books still balance."""
    for n in range(invoices):
        InvoiceFactory(property=ledger.prop, unit=ledger.unit, number=500 + n, status="open")
        InvoiceFactory(property=ledger.prop, unit=ledger.unit, number=600 + n, status="void")
    assert Invoice.objects.filter(unit=ledger.unit, published_at__isnull=True).count() == 2 * invoices
    assert ledger.closing() == ledger.owed_less_credit() == D("100.00") * invoices
