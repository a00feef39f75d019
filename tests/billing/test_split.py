"""The largest-remainder split (``logis.billing.shares``, pure): parts to the cent that always add up to the
exact total."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logis.billing.shares import monthly_budget, split_by_shares

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


@given(total=totals, shares=shares_maps)
def test_each_part_is_the_floor_or_the_ceiling_of_its_exact_part_in_cents(
    total: Decimal, shares: dict[int, Decimal]
) -> None:
    parts = split_by_shares(total, shares)
    weight = sum((Fraction(s) for s in shares.values()), Fraction(0))
    for key, part in parts.items():
        exact_cents = Fraction(int(total * 100)) * Fraction(shares[key]) / weight
        cents = int(part * 100)
        assert exact_cents - 1 < cents < exact_cents + 1


@given(total=totals, shares=shares_maps)
def test_the_split_is_deterministic(total: Decimal, shares: dict[int, Decimal]) -> None:
    assert split_by_shares(total, shares) == split_by_shares(total, dict(shares))
    assert list(split_by_shares(total, shares)) == list(shares)


@given(total=totals, shares=shares_maps)
def test_a_larger_share_never_gets_a_smaller_part(total: Decimal, shares: dict[int, Decimal]) -> None:
    parts = split_by_shares(total, shares)
    for a in shares:
        for b in shares:
            if shares[a] > shares[b]:
                assert parts[a] >= parts[b]


@given(total=totals, shares=shares_maps, factor=st.integers(min_value=1, max_value=1000))
def test_only_the_proportions_of_the_shares_matter(
    total: Decimal, shares: dict[int, Decimal], factor: int
) -> None:
    scaled = {key: share * factor for key, share in shares.items()}
    assert split_by_shares(total, scaled) == split_by_shares(total, shares)


@given(total=totals, shares=shares_maps)
def test_a_zero_share_gets_nothing(total: Decimal, shares: dict[int, Decimal]) -> None:
    parts = split_by_shares(total, shares)
    assert all(parts[key] == 0 for key, share in shares.items() if share == 0)


def test_the_module_is_pure() -> None:
    """Only the standard library: budgets and any other caller reuse it without models or settings."""
    import ast
    import sys
    from pathlib import Path

    import logis.billing.shares as shares_module

    tree = ast.parse(Path(shares_module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {"__future__"}
