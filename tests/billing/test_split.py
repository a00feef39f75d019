"""The largest-remainder split: parts to the cent that always add up to the exact total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logis.billing.services import monthly_budget, split_by_shares

totals = st.integers(min_value=0, max_value=10**11).map(lambda c: Decimal(c) / 100)
share_values = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False)
shares_maps = st.dictionaries(
    st.integers(min_value=1, max_value=10**6), share_values, min_size=1, max_size=60
).filter(lambda d: sum(d.values()) > 0)


@given(total=totals, shares=shares_maps)
def test_parts_always_add_up_to_the_total(total: Decimal, shares: dict[int, Decimal]) -> None:
    parts = split_by_shares(total, shares)
    assert sum(parts.values()) == total
    assert set(parts) == set(shares)


@given(total=totals, shares=shares_maps)
def test_each_part_is_within_a_cent_of_its_exact_share(total: Decimal, shares: dict[int, Decimal]) -> None:
    parts = split_by_shares(total, shares)
    weight = sum(shares.values())
    for key, part in parts.items():
        assert part == part.quantize(Decimal("0.01"))
        exact = total * shares[key] / weight
        assert abs(part - exact) < Decimal("0.01")
        assert part >= 0


@given(total=totals, shares=shares_maps)
def test_equal_shares_differ_by_at_most_a_cent(total: Decimal, shares: dict[int, Decimal]) -> None:
    same = dict.fromkeys(shares, Decimal(1))
    parts = split_by_shares(total, same)
    assert max(parts.values()) - min(parts.values()) <= Decimal("0.01")


def test_leftover_cents_go_to_the_largest_remainders_then_to_the_first_unit() -> None:
    assert split_by_shares(Decimal("100.00"), {1: Decimal(1), 2: Decimal(1), 3: Decimal(1)}) == {
        1: Decimal("33.34"),
        2: Decimal("33.33"),
        3: Decimal("33.33"),
    }
    # 10.00 by 2/3 and 1/3: 6.666… and 3.333…; the larger remainder (.666) takes the cent.
    assert split_by_shares(Decimal("10.00"), {7: Decimal(2), 8: Decimal(1)}) == {
        7: Decimal("6.67"),
        8: Decimal("3.33"),
    }


def test_shares_that_do_not_add_up_to_100_are_proportions() -> None:
    assert split_by_shares(Decimal("90.00"), {1: Decimal("10"), 2: Decimal("20")}) == {
        1: Decimal("30.00"),
        2: Decimal("60.00"),
    }


@pytest.mark.parametrize(
    ("total", "shares"),
    [
        (Decimal("1.005"), {1: Decimal(1)}),
        (Decimal("-1.00"), {1: Decimal(1)}),
        (Decimal("1.00"), {1: Decimal(0)}),
        (Decimal("1.00"), {1: Decimal(-1), 2: Decimal(2)}),
    ],
)
def test_refuses_what_cannot_be_split(total: Decimal, shares: dict[int, Decimal]) -> None:
    with pytest.raises(ValueError):
        split_by_shares(total, shares)


@given(budget=totals)
def test_twelve_monthly_parts_add_up_to_the_annual_budget(budget: Decimal) -> None:
    import datetime as dt

    months = [monthly_budget(budget, dt.date(2027, m, 1)) for m in range(1, 13)]
    assert sum(months) == budget
