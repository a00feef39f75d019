"""Template helpers for online (Stripe) payments shown on the invoice page."""

from __future__ import annotations

from decimal import Decimal

from django import template

from logis.payments.models import Payment, PaymentStatus
from logis.payments.online_refunds import refundable_online

register = template.Library()


@register.filter
def can_refund_online(payment: Payment) -> bool:
    """A succeeded Stripe payment with money left to give back (reversals are prefetched: no query)."""
    if not refundable_online(payment):
        return False
    returned = sum(
        (r.amount for r in payment.reversals.all() if r.status == PaymentStatus.SUCCEEDED), Decimal("0.00")
    )
    return payment.amount - returned > 0


@register.simple_tag
def overpayments_of(invoice: object) -> list[tuple[Payment, Decimal]]:
    """``{% overpayments_of invoice as overpaid %}``: online payments whose excess waits in the unit's
    credit, with what can be refunded to the card now."""
    from logis.invoicing.models import Invoice
    from logis.payments.online_refunds import overpayments_to_refund

    return overpayments_to_refund(invoice) if isinstance(invoice, Invoice) else []


@register.simple_tag
def pay_links_of(invoice: object) -> list[object]:
    """``{% pay_links_of invoice as links %}``: the « Voir et payer » links of this invoice still valid."""
    from logis.invoicing.models import Invoice
    from logis.payments.paylinks import active_links

    return list(active_links(invoice)) if isinstance(invoice, Invoice) else []
