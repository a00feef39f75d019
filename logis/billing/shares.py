"""The share split: an amount divided between units in proportion to their shares, to the cent.

Pure arithmetic (standard library only, no Django): batches split by shares, recurring dues divide an
annual budget into twelve months, and budgets reuse it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K")

_CENT = Decimal("0.01")


def split_by_shares(total: Decimal, shares: dict[K, Decimal]) -> dict[K, Decimal]:
    """Split ``total`` between the keys in proportion to their shares, to the cent, summing exactly.

    Largest remainder: each key gets the floor of its exact part in cents; the cents left over go one
    each to the keys with the largest remainders (ties: the key that comes first in ``shares``).
    Shares need not add up to 100; they must be >= 0 with a positive sum.
    """
    if total.quantize(_CENT) != total:
        raise ValueError("total must have at most two decimals")
    cents = int(total * 100)
    if cents < 0:
        raise ValueError("total must not be negative")
    if any(s < 0 for s in shares.values()):
        raise ValueError("shares must not be negative")
    weight = sum((Fraction(s) for s in shares.values()), Fraction(0))
    if weight <= 0:
        raise ValueError("shares must have a positive sum")
    keys = list(shares)
    floors: list[int] = []
    remainders: list[tuple[Fraction, int]] = []
    for order, share in enumerate(shares.values()):
        exact = Fraction(cents) * Fraction(share) / weight
        floor = exact.numerator // exact.denominator
        floors.append(floor)
        remainders.append((exact - floor, -order))
    left = cents - sum(floors)
    for _rem, negative_order in sorted(remainders, reverse=True)[:left]:
        floors[-negative_order] += 1
    return {key: Decimal(c) / 100 for key, c in zip(keys, floors, strict=True)}


def monthly_budget(annual: Decimal, period: dt.date) -> Decimal:
    """The month's part of an annual budget: twelve parts to the cent that add up to the budget exactly."""
    parts = split_by_shares(annual, {m: Decimal(1) for m in range(1, 13)})
    return parts[period.month]
