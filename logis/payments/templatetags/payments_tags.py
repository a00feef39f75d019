"""Template helpers for payments shown on other apps' pages (invoice detail)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from logis.payments.models import CREDIT_METHOD, MANUAL_METHODS, Payment, PaymentKind, PaymentStatus

register = template.Library()


def _returned(payment: Payment) -> Decimal:
    # .all() uses the prefetched reversals (invoice_detail prefetches them): no query per row.
    return sum(
        (r.amount for r in payment.reversals.all() if r.status == PaymentStatus.SUCCEEDED), Decimal("0.00")
    )


@register.filter
def can_reverse(payment: Payment) -> bool:
    """A manual or credit payment with nothing given back on it yet, not a share of a remittance (that one
    is reversed as a whole, from its receipt)."""
    return (
        payment.remittance_id is None
        and payment.kind == PaymentKind.PAYMENT
        and payment.status == PaymentStatus.SUCCEEDED
        and payment.method in (*MANUAL_METHODS, CREDIT_METHOD)
        and not payment.reversals.all()
    )


@register.filter
def can_refund(payment: Payment) -> bool:
    """A manual payment with something left to refund and not reversed."""
    if payment.kind != PaymentKind.PAYMENT or payment.status != PaymentStatus.SUCCEEDED:
        return False
    if payment.method not in MANUAL_METHODS:
        return False
    if any(r.kind == PaymentKind.REVERSAL for r in payment.reversals.all()):
        return False
    return payment.amount - _returned(payment) > 0
