"""GST and QST of one invoice line: 5 % and 9.975 % of its amount, each rounded to the cent (half up)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from logis.finances.models import GST_RATE, QST_RATE

CENT = Decimal("0.01")


def line_taxes(amount: Decimal, *, taxable: bool) -> tuple[Decimal, Decimal]:
    """(GST, QST) of a line of ``amount`` (before taxes); (0, 0) when its category is exempt."""
    if not taxable:
        return Decimal("0.00"), Decimal("0.00")
    gst = (amount * GST_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
    qst = (amount * QST_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
    return gst, qst
