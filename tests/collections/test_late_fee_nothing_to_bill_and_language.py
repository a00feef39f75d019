"""Late fees: an interest that rounds to 0,00 $ is recorded as "nothing to bill" for its period (never
considered again that period, never ahead of a real fee), and the fee invoice is written in the language of
the unit's primary resident (fallback: the property's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.collections import late_fees
from logis.collections.arithmetic import interest_for_month, smallest_billable_balance
from logis.collections.late_fees import apply_late_fees
from logis.collections.models import LateFee, LateFeeMode, LateFeePolicy
from logis.core.dates import add_months
from logis.invoicing.models import Invoice
from logis.properties.models import Property, Unit
from tests.collections.conftest import at
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory

InvoiceMaker = Callable[..., Invoice]
PolicyMaker = Callable[..., LateFeePolicy]
NBSP = "\u00a0"
DUE = dt.date(2027, 6, 15)
START = DUE + dt.timedelta(days=1)
TINY = Decimal("0.30")  # 0.30 × 18 % ÷ 12 = 0.0045 → 0,00 $


def interest_policy(fee_policy: PolicyMaker, rate: str = "18") -> LateFeePolicy:
    return fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=Decimal(rate))


@pytest.mark.parametrize("rate", ["18", "7.5", "12", "0.01", "1", "3.33", "99.99"])
def test_the_smallest_billable_balance_is_the_first_cent_whose_interest_is_not_zero(rate: str) -> None:
    threshold = smallest_billable_balance(Decimal(rate))
    assert threshold is not None
    assert interest_for_month(threshold, Decimal(rate)) == Decimal("0.01")
    assert interest_for_month(threshold - Decimal("0.01"), Decimal(rate)) == Decimal("0.00")


def test_an_interest_rounding_to_zero_is_recorded_as_nothing_to_bill_once_per_period(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker, django_assert_num_queries
) -> None:
    interest_policy(fee_policy)
    original = invoice_due(DUE, amount=TINY)
    invoices = Invoice.objects.count()

    assert apply_late_fees(now=at(START)) == 0
    [record] = LateFee.objects.filter(original=original)
    assert (record.fee_invoice, record.amount, record.period_index) == (None, Decimal("0.00"), 0)
    assert (record.balance, record.period_end) == (TINY, add_months(START, 1))
    assert Invoice.objects.count() == invoices  # nothing billed
    with django_assert_num_queries(2):  # no longer a candidate this period
        assert apply_late_fees(now=at(START + dt.timedelta(days=3))) == 0

    # The next period is considered again: still nothing to bill, recorded for that period.
    assert apply_late_fees(now=at(add_months(START, 1))) == 0
    assert list(LateFee.objects.filter(original=original).values_list("period_index", "amount")) == [
        (0, Decimal("0.00")),
        (1, Decimal("0.00")),
    ]


def test_a_real_fee_is_billed_on_the_first_run_behind_more_than_max_per_run_tiny_balances(
    invoice_due: InvoiceMaker, fee_policy: PolicyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(late_fees, "MAX_PER_RUN", 5)
    interest_policy(fee_policy)
    tiny = [invoice_due(DUE - dt.timedelta(days=i), amount=TINY) for i in range(7)]  # older: listed first
    real = invoice_due(DUE, amount=Decimal("1234.56"))

    assert apply_late_fees(now=at(START)) == 1
    [fee] = LateFee.objects.filter(original=real)
    assert fee.fee_invoice is not None and fee.amount == Decimal("18.52")
    assert LateFee.objects.filter(fee_invoice__isnull=True).count() == 4  # the rest of the run's budget

    assert apply_late_fees(now=at(START, 9, 1)) == 0  # the backlog is worked off...
    assert apply_late_fees(now=at(START, 9, 2)) == 0
    assert LateFee.objects.filter(original__in=tiny, fee_invoice__isnull=True).count() == 7
    amounts = set(LateFee.objects.filter(original__in=tiny).values_list("amount", flat=True))
    assert amounts == {Decimal("0.00")}


def test_the_original_invoice_page_lists_only_billed_fees(
    prop: Property, invoice_due: InvoiceMaker, fee_policy: PolicyMaker, manager_client: Client
) -> None:
    interest_policy(fee_policy)
    original = invoice_due(DUE, number=41, amount=TINY)
    apply_late_fees(now=at(START))
    assert LateFee.objects.filter(original=original).exists()
    page = manager_client.get(reverse("invoicing:detail", args=[prop.pk, original.pk]))
    assert page.status_code == 200
    assert "Frais de retard — facture nº 41" not in page.content.decode()


# --- The fee invoice in the resident's language ------------------------------------------------------


def unit_with_resident(prop: Property, number: str, language: str | None) -> Unit:
    unit = UnitFactory(property=prop, number=number)
    if language is not None:
        resident = ResidentFactory(property=prop, email=f"r{number}@example.com", language=language)
        OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return unit


@pytest.mark.parametrize("property_language", ["fr", "en"])
def test_the_fee_is_explained_in_the_residents_language_and_titled_in_the_propertys(
    prop: Property, invoice_due: InvoiceMaker, fee_policy: PolicyMaker, property_language: str
) -> None:
    Property.objects.filter(pk=prop.pk).update(language=property_language)
    interest_policy(fee_policy)
    french = invoice_due(DUE, number=11, unit=unit_with_resident(prop, "201", "fr"), title="Cotisation")
    english = invoice_due(DUE, number=12, unit=unit_with_resident(prop, "202", "en"), title="Dues")

    assert apply_late_fees(now=at(START)) == 2

    # Issue 14: the title is in the property's language (it sits in the property's invoice list).
    fr_title, en_title = (
        ("Frais de retard — facture nº 11", "Frais de retard — facture nº 12")
        if property_language == "fr"
        else ("Late fee — invoice no. 11", "Late fee — invoice no. 12")
    )
    fr_fee = LateFee.objects.get(original=french).fee_invoice
    assert fr_fee is not None and fr_fee.title == fr_title
    assert fr_fee.description.startswith("Intérêts de 18 % par année")
    assert f"1{NBSP}234,56{NBSP}$ × 18 % ÷ 12 = 18,52{NBSP}$" in fr_fee.description
    en_fee = LateFee.objects.get(original=english).fee_invoice
    assert en_fee is not None and en_fee.title == en_title
    assert en_fee.description.startswith("Interest at 18 % a year")
    assert "$1,234.56 × 18 % ÷ 12 = $18.52" in en_fee.description


@pytest.mark.parametrize(("property_language", "title"), [("fr", "Frais de retard"), ("en", "Late fee")])
def test_without_a_primary_resident_the_fee_invoice_uses_the_propertys_language(
    prop: Property, invoice_due: InvoiceMaker, fee_policy: PolicyMaker, property_language: str, title: str
) -> None:
    Property.objects.filter(pk=prop.pk).update(language=property_language)
    fee_policy(fixed_amount=Decimal("25.00"))
    original = invoice_due(DUE, number=13, unit=unit_with_resident(prop, "203", None))
    assert apply_late_fees(now=at(START)) == 1
    fee = LateFee.objects.get(original=original).fee_invoice
    assert fee is not None and fee.title.startswith(title)
